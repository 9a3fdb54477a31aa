import type { InferenceSession } from '../runtime/inference.js';
import { wipe, type RgbImage } from './image.js';
import { toTensor } from './tensor.js';

/** L2-normalised embedding of a 112×112 ArcFace-aligned face. fr_feature wants BGR. */
export async function embedAlignedFace(session: InferenceSession, aligned: RgbImage): Promise<Float32Array> {
  const input = toTensor(aligned, { order: 'BGR', mean: 127.5, std: 127.5 });
  const out = await session.run({ input: { data: input, dims: [1, 3, aligned.height, aligned.width] } });
  wipe(input);
  const raw = out.output?.data;
  if (!raw) throw new Error('embedder returned no output');
  const embedding = Float32Array.from(raw);
  raw.fill(0);
  return l2Normalise(embedding);
}

export function l2Normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (!(norm > 0)) throw new Error('embedding has zero norm');
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

/** Cosine similarity of two embeddings (both L2-normalised: a dot product). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError('embeddings differ in dimension');
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
