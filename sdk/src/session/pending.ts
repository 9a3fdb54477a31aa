import type { SealedEnvelope } from '../envelope/index.js';
import type { PendingCapture } from './capture.js';
import { ChehraSessionError } from './errors.js';

/** A sealed capture as the session holds it. Only the handle (`PendingCapture`) leaves. */
export interface Pending extends PendingCapture {
  /** A copy of the embedding, kept only to re-seal if the service rotated its key. */
  embedding: Float32Array;
  modelId: string;
  quality: number;
  liveness: number;
  envelope: SealedEnvelope;
  timer: ReturnType<typeof setTimeout> | undefined;
  kid: string;
}

export function handleOf(entry: Pending): PendingCapture {
  return Object.freeze({ id: entry.id, kid: entry.kid, capturedAt: entry.capturedAt, expiresAt: entry.expiresAt });
}

/**
 * The captures sealed and not yet answered, in memory only. Each is dropped — its embedding
 * zeroed, its envelope let go — when answered, discarded, expired (a timer, and a check on every
 * read so a suspended device cannot send a stale one) or at logout.
 */
export class PendingCaptures {
  readonly #entries = new Map<string, Pending>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  add(entry: Pending): PendingCapture {
    const timer = setTimeout(() => this.drop(entry), this.ttlMs);
    (timer as { unref?: () => void }).unref?.();
    entry.timer = timer;
    this.#entries.set(entry.id, entry);
    return handleOf(entry);
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  get(id: string): Pending | undefined {
    return this.#entries.get(id);
  }

  /** The entry behind a handle, if it is still within its time; otherwise why not. */
  live(handle: PendingCapture): Pending {
    const entry = this.#entries.get(handle.id);
    if (entry && entry.expiresAt > this.now()) return entry;
    if (entry) this.drop(entry);
    if (entry || handle.expiresAt <= this.now()) {
      throw new ChehraSessionError('capture_expired', 'the sealed capture waited too long and was dropped; capture the face again');
    }
    throw new ChehraSessionError('capture_unknown', 'this capture was already sent or discarded; capture the face again');
  }

  /** Handles of the captures still within their time (the expired ones are dropped first). */
  list(): PendingCapture[] {
    const now = this.now();
    for (const entry of [...this.#entries.values()]) if (entry.expiresAt <= now) this.drop(entry);
    return [...this.#entries.values()].map(handleOf);
  }

  drop(entry: Pending): void {
    entry.embedding.fill(0);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.envelope = undefined as unknown as SealedEnvelope;
    this.#entries.delete(entry.id);
  }

  dropAll(): void {
    for (const entry of [...this.#entries.values()]) this.drop(entry);
    this.#entries.clear();
  }

  /** The embeddings held right now (for the SDK's own tests of zeroing). */
  embeddings(): Float32Array[] {
    return [...this.#entries.values()].map((p) => p.embedding);
  }
}
