import type { EnvelopePayload } from '@chehra/sdk/envelope';
import { ApiError, badRequest, forbidden } from '../errors.js';
import type { EmbedderModel, ModelPolicy } from './models.js';

export interface ProbeRules {
  models: ModelPolicy;
  captureWindowMs: number;
  captureSkewMs: number;
}

export interface Probe {
  embedding: Float32Array;
  model: EmbedderModel;
  quality: number;
  liveness: number;
  requestNonce: string;
}

/** What the service insists on before an opened envelope may touch the database. */
export function checkProbe(payload: EnvelopePayload, worker: string, now: Date, rules: ProbeRules): Probe {
  if (payload.worker !== worker) throw forbidden('envelope_worker_mismatch', 'the envelope was sealed for a different worker than the token holder');
  const age = now.getTime() - payload.capturedAt;
  if (age > rules.captureWindowMs || age < -rules.captureSkewMs) {
    throw badRequest('capture_time_out_of_window', `the capture is older than ${rules.captureWindowMs / 1000} s or dated in the future; capture again`);
  }
  const model = rules.models.embedders.get(payload.modelId);
  if (!model) throw new ApiError(422, 'unknown_model', 'the embedding was made by a model this service does not accept');
  if (payload.embedding.length !== model.dim) {
    throw new ApiError(422, 'embedding_dimension_mismatch', `the model's embeddings have ${model.dim} dimensions`);
  }
  let norm = 0;
  for (const x of payload.embedding) norm += x * x;
  // The SDK L2-normalises; a zero or wildly scaled vector is not a face embedding.
  if (!(Math.abs(Math.sqrt(norm) - 1) < 0.01)) throw new ApiError(422, 'embedding_not_normalised', 'the embedding must be L2-normalised');
  return { embedding: payload.embedding, model, quality: payload.quality, liveness: payload.liveness, requestNonce: payload.requestNonce };
}
