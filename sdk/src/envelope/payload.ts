import { fromBase64, toBase64 } from './base64.js';
import { EnvelopeError } from './errors.js';

/** What the device seals: one capture, bound to one request and one worker. */
export interface EnvelopePayload {
  embedding: Float32Array;
  modelId: string;
  /** Quality score in [0, 1] from the SDK's quality gate. */
  quality: number;
  /** Passive liveness score in [0, 1]; higher is more likely live. */
  liveness: number;
  /** Capture time, milliseconds since the epoch. */
  capturedAt: number;
  /** 16 random bytes, base64: the service refuses to see the same one twice. */
  requestNonce: string;
  /** The worker's id: must equal the `sub` of the token that carries the envelope. */
  worker: string;
}

export const MAX_EMBEDDING_DIM = 2048;

// Float32 little-endian, explicitly, so the bytes are the same on every device.
function embeddingToBase64(embedding: Float32Array): string {
  const bytes = new Uint8Array(embedding.length * 4);
  const view = new DataView(bytes.buffer);
  embedding.forEach((value, i) => view.setFloat32(i * 4, value, true));
  const text = toBase64(bytes);
  bytes.fill(0);
  return text;
}

function embeddingFromBase64(text: unknown): Float32Array | null {
  const bytes = typeof text === 'string' ? fromBase64(text) : null;
  if (!bytes || bytes.length === 0 || bytes.length % 4 !== 0 || bytes.length / 4 > MAX_EMBEDDING_DIM) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  bytes.fill(0);
  return out;
}

export function encodePayload(p: EnvelopePayload): Uint8Array {
  const json = JSON.stringify({
    embedding: embeddingToBase64(p.embedding),
    modelId: p.modelId,
    quality: p.quality,
    liveness: p.liveness,
    capturedAt: p.capturedAt,
    requestNonce: p.requestNonce,
    worker: p.worker,
  });
  return new TextEncoder().encode(json);
}

const invalid = (what: string) => new EnvelopeError('payload_invalid', `sealed payload: ${what}`);

const isScore = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;

/** Checks shape and types only; dimension and model rules belong to whoever opens it. */
export function decodePayload(bytes: Uint8Array): EnvelopePayload {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw invalid('not UTF-8 JSON');
  }
  if (typeof raw !== 'object' || raw === null) throw invalid('not an object');
  const r = raw as Record<string, unknown>;
  const embedding = embeddingFromBase64(r.embedding);
  if (!embedding) throw invalid('embedding must be base64 float32 little-endian');
  for (const value of embedding) {
    if (!Number.isFinite(value)) throw invalid('embedding has non-finite values');
  }
  if (typeof r.modelId !== 'string' || r.modelId.length === 0 || r.modelId.length > 128) throw invalid('modelId must be a string');
  if (!isScore(r.quality)) throw invalid('quality must be a number in [0, 1]');
  if (!isScore(r.liveness)) throw invalid('liveness must be a number in [0, 1]');
  if (typeof r.capturedAt !== 'number' || !Number.isSafeInteger(r.capturedAt) || r.capturedAt <= 0) throw invalid('capturedAt must be epoch milliseconds');
  const nonce = typeof r.requestNonce === 'string' ? fromBase64(r.requestNonce) : null;
  if (!nonce || nonce.length < 16 || nonce.length > 64) throw invalid('requestNonce must be at least 16 bytes of base64');
  if (typeof r.worker !== 'string' || r.worker.length === 0 || r.worker.length > 128) throw invalid('worker must be a string');
  return {
    embedding,
    modelId: r.modelId,
    quality: r.quality,
    liveness: r.liveness,
    capturedAt: r.capturedAt,
    requestNonce: r.requestNonce as string,
    worker: r.worker,
  };
}
