import { ChehraSessionError } from './errors.js';

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

export function isHandle(x: SealableCapture | PendingCapture): x is PendingCapture {
  return typeof (x as PendingCapture).id === 'string' && !('embedding' in x);
}

const scoreOf = (x: unknown): number | undefined => {
  const v = typeof x === 'number' ? x : x && typeof x === 'object' ? (x as { score?: unknown }).score : undefined;
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : undefined;
};

/** Shape checks whose messages name the field, never its value. */
export function checkCapture(capture: SealableCapture): { modelId: string; quality: number; liveness: number } {
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
