import { ChehraApiError, ChehraClient, ChehraError, type CallOptions, type Enrolment, type Verification } from './client.js';
import { fromBase64, KEY_BYTES, newRequestNonce, sealEnvelope, type SealedEnvelope } from './envelope/index.js';

/**
 * The worker's session on the device. Everything it holds lives in memory only — the token,
 * the service's public key, and captures sealed but not yet answered — and `logout()` zeroes
 * the typed arrays and drops the rest. The SDK writes no file, ever.
 */

export type SessionErrorCode =
  /** The session was logged out; start a new one. */
  | 'session_closed'
  /** The token is not a JWT with a `sub` (it is not verified here: that is the service's job). */
  | 'token_malformed'
  /** A new token belongs to another worker than the session's. */
  | 'token_worker_mismatch'
  /** The pipeline's result was a failure, or lacks an embedding / model id / scores. */
  | 'capture_invalid'
  /** The sealed capture waited longer than `pendingTtlMs` and was dropped: capture again. */
  | 'capture_expired'
  /** No such pending capture: it was already sent, discarded, or belongs to another session. */
  | 'capture_unknown'
  /** GET /v1/keys did not give a usable current X25519 key. */
  | 'service_key_invalid';

export class ChehraSessionError extends ChehraError {
  declare readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string) {
    super(code, message);
    this.name = 'ChehraSessionError';
  }
}

/** What `seal` needs from the pipeline's ok-result (`FaceSuccess` fits as it is). */
export interface SealableCapture {
  ok?: boolean;
  /** L2-normalised embedding; zeroed by `seal` once sealed. */
  embedding: Float32Array;
  modelId: string;
  /** Quality in [0, 1], or the pipeline's report with its `score`. */
  quality: number | { score: number };
  /** Liveness in [0, 1], or the pipeline's report with its `score`. */
  liveness: number | { score: number };
}

/** A sealed capture waiting for the service's answer. A handle: it holds no biometric data. */
export interface PendingCapture {
  readonly id: string;
  /** The service key it is sealed to. */
  readonly kid: string;
  /** Capture time as the service's clock sees it (epoch ms). */
  readonly capturedAt: number;
  /** Device time (epoch ms) after which the session drops it. */
  readonly expiresAt: number;
}

export interface WorkerSessionOptions {
  /** The service, e.g. https://chehra.example.gov.in */
  baseUrl: string;
  /** The worker's bearer token from sign-in. */
  token: string;
  /**
   * How long a sealed capture may wait for its answer before it is dropped (and its embedding
   * zeroed). Default 120 s: well inside the service's 300 s capture window, with room for a
   * slow upload and some clock error.
   */
  pendingTtlMs?: number;
  /** Per-request timeout for the client. Default 30 s. */
  timeoutMs?: number;
  /** Date capture times by the service's clock (from the `Date` header). Default true. */
  useServerClock?: boolean;
  /** Device clock, for tests. Default Date.now. */
  now?: () => number;
  fetch?: typeof fetch;
}

export interface SendOptions extends CallOptions {}

export interface VerifyOptions extends SendOptions {
  scheme?: 'THR';
  /** This device's id: the service counts failed face attempts per beneficiary and device. */
  deviceId?: string;
}

interface ServiceKey {
  kid: string;
  publicKey: Uint8Array;
}

interface Pending extends PendingCapture {
  /** A copy of the embedding, kept only to re-seal if the service rotated its key. */
  embedding: Float32Array;
  modelId: string;
  quality: number;
  liveness: number;
  envelope: SealedEnvelope;
  timer: ReturnType<typeof setTimeout> | undefined;
  kid: string;
}

interface State {
  token: string | undefined;
  key: ServiceKey | undefined;
  keyFetch: Promise<ServiceKey> | undefined;
  pending: Map<string, Pending>;
  closed: boolean;
  abort: AbortController;
}

const DEFAULT_PENDING_TTL_MS = 120_000;

let peek: (s: WorkerSession) => State;

export class WorkerSession {
  readonly #state: State;
  readonly #client: ChehraClient;
  readonly #ttl: number;
  readonly #now: () => number;
  readonly #useServerClock: boolean;
  readonly #worker: string;
  #tokenExp: number | undefined;
  #counter = 0;

  static {
    peek = (s) => s.#state;
  }

  /** A session with the service key already fetched (step 2 of the data flow). */
  static async open(options: WorkerSessionOptions): Promise<WorkerSession> {
    const session = new WorkerSession(options);
    await session.refreshKeys();
    return session;
  }

  constructor(options: WorkerSessionOptions) {
    const claims = decodeClaims(options.token);
    this.#worker = claims.sub;
    this.#tokenExp = claims.exp;
    this.#ttl = options.pendingTtlMs ?? DEFAULT_PENDING_TTL_MS;
    if (!(this.#ttl > 0)) throw new RangeError('pendingTtlMs must be positive');
    this.#now = options.now ?? Date.now;
    this.#useServerClock = options.useServerClock ?? true;
    this.#state = { token: options.token, key: undefined, keyFetch: undefined, pending: new Map(), closed: false, abort: new AbortController() };
    this.#client = new ChehraClient({
      baseUrl: options.baseUrl,
      token: () => this.#open().token,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      now: this.#now,
    });
  }

  /** The worker id (`sub` of the token), sealed into every envelope. */
  get worker(): string {
    this.#open();
    return this.#worker;
  }

  /** When the token expires, by its own claim (not verified; for the UI to prompt sign-in). */
  get tokenExpiresAt(): Date | undefined {
    return this.#tokenExp === undefined ? undefined : new Date(this.#tokenExp * 1000);
  }

  get closed(): boolean {
    return this.#state.closed;
  }

  /** kid of the service key captures are sealed to, once fetched. */
  get serviceKeyId(): string | undefined {
    return this.#state.key?.kid;
  }

  /** The authenticated client for the other routes (beneficiaries, consents). Refused after logout. */
  get api(): ChehraClient {
    this.#open();
    return this.#client;
  }

  /** After re-authentication: same worker, fresh token. Pending captures stay valid. */
  replaceToken(token: string): void {
    const state = this.#open();
    const claims = decodeClaims(token);
    if (claims.sub !== this.#worker) throw new ChehraSessionError('token_worker_mismatch', 'the new token belongs to another worker; log out and start a new session');
    state.token = token;
    this.#tokenExp = claims.exp;
  }

  /** Fetches GET /v1/keys and keeps the current key (concurrent callers share one request). */
  refreshKeys(options: CallOptions = {}): Promise<{ kid: string }> {
    const state = this.#open();
    state.keyFetch ??= this.#fetchKey(state, options).finally(() => {
      state.keyFetch = undefined;
    });
    return state.keyFetch.then((k) => ({ kid: k.kid }));
  }

  async #fetchKey(state: State, options: CallOptions): Promise<ServiceKey> {
    const keys = await this.#guard(() => this.#client.keys(this.#callOptions(options)));
    const entry = Array.isArray(keys.keys) ? keys.keys.find((k) => k.kid === keys.current) : undefined;
    const publicKey = entry && typeof entry.publicKey === 'string' ? fromBase64(entry.publicKey) : null;
    if (!entry || entry.alg !== 'x25519-xsalsa20poly1305' || !publicKey || publicKey.length !== KEY_BYTES) {
      publicKey?.fill(0);
      throw new ChehraSessionError('service_key_invalid', 'the service did not offer a usable current encryption key');
    }
    if (state.closed) {
      publicKey.fill(0);
      throw closedError();
    }
    state.key?.publicKey.fill(0);
    state.key = { kid: entry.kid, publicKey };
    return state.key;
  }

  async #currentKey(options: CallOptions): Promise<ServiceKey> {
    const state = this.#open();
    if (state.key) return state.key;
    await this.refreshKeys(options);
    const key = this.#open().key;
    if (!key) throw new ChehraSessionError('service_key_invalid', 'the service did not offer a usable current encryption key');
    return key;
  }

  /**
   * Seals the pipeline's ok-result to the service key, bound to this worker, a fresh request
   * nonce and the capture time; zeroes `capture.embedding` once sealed. The sealed capture
   * waits in memory (at most `pendingTtlMs`) until sent with `enrol` or `verify`.
   */
  async seal(capture: SealableCapture, options: CallOptions = {}): Promise<PendingCapture> {
    this.#open();
    const checked = checkCapture(capture);
    const key = await this.#currentKey(options);
    const state = this.#open();
    const now = this.#now();
    const embedding = Float32Array.from(capture.embedding);
    capture.embedding.fill(0);
    const entry: Pending = {
      id: `c${++this.#counter}`,
      kid: key.kid,
      capturedAt: Math.round(now + (this.#useServerClock ? (this.#client.serverClockOffsetMs ?? 0) : 0)),
      expiresAt: now + this.#ttl,
      embedding,
      modelId: checked.modelId,
      quality: checked.quality,
      liveness: checked.liveness,
      envelope: undefined as unknown as SealedEnvelope,
      timer: undefined,
    };
    entry.envelope = this.#sealEntry(entry, key);
    const timer = setTimeout(() => this.#drop(entry), this.#ttl);
    (timer as { unref?: () => void }).unref?.();
    entry.timer = timer;
    state.pending.set(entry.id, entry);
    return handleOf(entry);
  }

  #sealEntry(entry: Pending, key: ServiceKey): SealedEnvelope {
    const envelope = sealEnvelope(
      {
        embedding: entry.embedding,
        modelId: entry.modelId,
        quality: entry.quality,
        liveness: entry.liveness,
        capturedAt: entry.capturedAt,
        requestNonce: newRequestNonce(),
        worker: this.#worker,
      },
      key,
    );
    entry.kid = key.kid;
    return envelope;
  }

  /** Captures sealed and not yet answered (handles only). */
  pending(): PendingCapture[] {
    const state = this.#open();
    const now = this.#now();
    for (const entry of [...state.pending.values()]) if (entry.expiresAt <= now) this.#drop(entry);
    return [...state.pending.values()].map(handleOf);
  }

  /** The sealed envelope of a pending capture, for sending it some other way. */
  envelopeOf(capture: PendingCapture): SealedEnvelope {
    return this.#live(capture).envelope;
  }

  /** Drops a pending capture and zeroes its embedding (the worker cancelled). */
  discard(capture: PendingCapture): void {
    const entry = this.#open().pending.get(capture.id);
    if (entry) this.#drop(entry);
  }

  /** Enrols the beneficiary's face: seals `capture` (or sends an already sealed one). */
  enrol(beneficiaryId: string, capture: SealableCapture | PendingCapture, options: SendOptions = {}): Promise<Enrolment> {
    return this.#send(capture, options, (envelope, o) => this.#client.enrolTemplate(beneficiaryId, envelope, o));
  }

  /**
   * 1:1 verification for the month's ration: seals `capture` (or sends an already sealed one).
   * Refusals (already_distributed, consent_required…) throw ChehraApiError with `fallback`.
   */
  verify(beneficiaryId: string, capture: SealableCapture | PendingCapture, options: VerifyOptions = {}): Promise<Verification> {
    const { scheme, deviceId, ...call } = options;
    return this.#send(capture, call, (envelope, o) => this.#client.verify({ beneficiaryId, ...(scheme ? { scheme } : {}), envelope, ...(deviceId ? { deviceId } : {}) }, o));
  }

  /**
   * Sends a pending capture. Any answer of the service consumes it (a second send of the same
   * envelope would be a replay). On `envelope_unknown_key` the service rotated its key past
   * the grace period: refetch the keys once and re-seal. On a network failure or timeout the
   * capture stays pending until it expires, so the app can resend it (harmless: the service
   * refuses a replayed nonce); the error's `capture` names it.
   */
  async #send<T>(capture: SealableCapture | PendingCapture, options: SendOptions, call: (envelope: SealedEnvelope, o: CallOptions) => Promise<T>): Promise<T> {
    this.#open();
    const handle = isHandle(capture) ? capture : await this.seal(capture, options);
    let resealed = false;
    for (;;) {
      const entry = this.#live(handle);
      try {
        const result = await this.#guard(() => call(entry.envelope, this.#callOptions(options)));
        this.#drop(entry);
        return result;
      } catch (err) {
        if (this.#state.closed) throw closedError();
        if (err instanceof ChehraApiError && err.code === 'envelope_unknown_key' && !resealed) {
          resealed = true;
          await this.refreshKeys(options);
          const live = this.#live(handle);
          live.envelope = this.#sealEntry(live, this.#open().key!);
          continue;
        }
        if (err instanceof ChehraApiError && err.isNetworkFailure && this.#state.pending.has(entry.id)) {
          err.capture = handleOf(entry);
        } else {
          this.#drop(entry);
        }
        throw err;
      }
    }
  }

  /**
   * Ends the session: aborts requests in flight, zeroes the service key and every embedding
   * held for pending captures, drops the token and envelopes. Every later call throws
   * `session_closed`. Safe to call twice.
   */
  logout(): void {
    const state = this.#state;
    if (state.closed) return;
    state.closed = true;
    state.abort.abort();
    for (const entry of [...state.pending.values()]) this.#drop(entry);
    state.pending.clear();
    state.key?.publicKey.fill(0);
    state.key = undefined;
    state.keyFetch = undefined;
    state.token = undefined;
  }

  #open(): State {
    if (this.#state.closed) throw closedError();
    return this.#state;
  }

  #live(handle: PendingCapture): Pending {
    const state = this.#open();
    const entry = state.pending.get(handle.id);
    if (entry && entry.expiresAt > this.#now()) return entry;
    if (entry) this.#drop(entry);
    if (entry || handle.expiresAt <= this.#now()) {
      throw new ChehraSessionError('capture_expired', 'the sealed capture waited too long and was dropped; capture the face again');
    }
    throw new ChehraSessionError('capture_unknown', 'this capture was already sent or discarded; capture the face again');
  }

  #drop(entry: Pending): void {
    entry.embedding.fill(0);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.envelope = undefined as unknown as SealedEnvelope;
    this.#state.pending.delete(entry.id);
  }

  #callOptions(options: CallOptions): CallOptions {
    const signal = options.signal ? AbortSignal.any([options.signal, this.#state.abort.signal]) : this.#state.abort.signal;
    return { ...options, signal };
  }

  /** A request cut short by logout reports `session_closed`, not `aborted`. */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (this.#state.closed) throw closedError();
      throw err;
    }
  }
}

/**
 * @internal For the SDK's own tests: the typed arrays a session holds right now, so a test can
 * check that logout and expiry zero them. Not exported from the package index.
 */
export function heldBuffersForTesting(session: WorkerSession): { serviceKey: Uint8Array | undefined; embeddings: Float32Array[] } {
  const state = peek(session);
  return { serviceKey: state.key?.publicKey, embeddings: [...state.pending.values()].map((p) => p.embedding) };
}

function closedError(): ChehraSessionError {
  return new ChehraSessionError('session_closed', 'the session has been logged out; sign in again');
}

function handleOf(entry: Pending): PendingCapture {
  return Object.freeze({ id: entry.id, kid: entry.kid, capturedAt: entry.capturedAt, expiresAt: entry.expiresAt });
}

function isHandle(x: SealableCapture | PendingCapture): x is PendingCapture {
  return typeof (x as PendingCapture).id === 'string' && !('embedding' in x);
}

const scoreOf = (x: unknown): number | undefined => {
  const v = typeof x === 'number' ? x : x && typeof x === 'object' ? (x as { score?: unknown }).score : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
};

/** Shape checks whose messages name the field, never its value. */
function checkCapture(capture: SealableCapture): { modelId: string; quality: number; liveness: number } {
  const invalid = (what: string) => new ChehraSessionError('capture_invalid', `cannot seal this capture: ${what}`);
  if (!capture || typeof capture !== 'object') throw invalid('not a pipeline result');
  if (capture.ok === false) throw invalid('the pipeline refused the capture; show its message and capture again');
  if (!(capture.embedding instanceof Float32Array) || capture.embedding.length === 0) throw invalid('embedding must be a non-empty Float32Array');
  let norm = 0;
  for (const v of capture.embedding) norm += v * v;
  if (!Number.isFinite(norm) || norm === 0) throw invalid('embedding is zero or not finite (already sealed once?)');
  if (typeof capture.modelId !== 'string' || capture.modelId.length === 0) throw invalid('modelId is missing');
  const quality = scoreOf(capture.quality);
  if (quality === undefined) throw invalid('quality must be a score in [0, 1]');
  const liveness = scoreOf(capture.liveness);
  if (liveness === undefined) throw invalid('liveness must be a score in [0, 1]');
  return { modelId: capture.modelId, quality, liveness };
}

function decodeClaims(token: string): { sub: string; exp?: number } {
  const malformed = () => new ChehraSessionError('token_malformed', 'the token is not a JWT with a subject; sign in again');
  if (typeof token !== 'string') throw malformed();
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) throw malformed();
  let claims: unknown;
  try {
    const b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
    const bytes = fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    if (!bytes) throw malformed();
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw malformed();
  }
  if (!claims || typeof claims !== 'object') throw malformed();
  const { sub, exp } = claims as { sub?: unknown; exp?: unknown };
  if (typeof sub !== 'string' || sub.length === 0) throw malformed();
  return typeof exp === 'number' && Number.isFinite(exp) ? { sub, exp } : { sub };
}
