import { MAX_ENROLMENT_CAPTURES } from '@chehra/contract';
import { ApiError, badRequest } from '../errors.js';
import type { Probe } from './probe.js';

/**
 * Enrolment from 2–3 captures of one person. The captures must agree with each other (every pair
 * at or above the model's match threshold): a capture that does not is a different person slipped
 * into the enrolment, or a bad photo, and the whole enrolment is refused.
 *
 * They are stored as ONE template, the normalised mean of the (flip-averaged) captures. Measured
 * on lfw-dev with the real pipeline (benchmarks/accuracy.ts, `policies.*.galleries`): see the
 * README's "Templates built to last" for the figures behind choosing the mean over keeping every
 * capture (best-of-N scoring).
 */
export const MAX_CAPTURES = MAX_ENROLMENT_CAPTURES;

export interface CombinedCapture {
  embedding: Float32Array;
  quality: number;
  liveness: number;
  captures: number;
}

const cosine = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
};

export function combineCaptures(probes: readonly Probe[]): CombinedCapture {
  if (probes.length === 0 || probes.length > MAX_CAPTURES) throw badRequest('capture_count', `enrol with 1 to ${MAX_CAPTURES} captures`);
  const model = probes[0]!.model;
  if (probes.some((p) => p.model.id !== model.id)) throw new ApiError(422, 'captures_model_mismatch', 'every capture of one enrolment must come from the same model');
  for (let i = 0; i < probes.length; i++) {
    for (let j = i + 1; j < probes.length; j++) {
      if (cosine(probes[i]!.embedding, probes[j]!.embedding) < model.matchThreshold) {
        throw new ApiError(422, 'captures_disagree', 'the captures do not look like one person; capture the beneficiary again, alone in the frame');
      }
    }
  }
  const mean = new Float32Array(probes[0]!.embedding.length);
  for (const p of probes) for (let i = 0; i < mean.length; i++) mean[i]! += p.embedding[i]!;
  const norm = Math.sqrt(cosine(mean, mean));
  for (let i = 0; i < mean.length; i++) mean[i]! /= norm;
  return {
    embedding: mean,
    // The template is as good as its weakest capture.
    quality: Math.min(...probes.map((p) => p.quality)),
    liveness: Math.min(...probes.map((p) => p.liveness)),
    captures: probes.length,
  };
}
