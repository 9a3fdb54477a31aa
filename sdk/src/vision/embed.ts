import type { InferenceSession } from '../runtime/inference.js';
import { wipe, type RgbImage } from './image.js';
import { toTensor } from './tensor.js';

/**
 * How an aligned face becomes one embedding.
 * 'flip-average' (default): the embedding of the face plus that of its mirror image, normalised —
 * test-time flip averaging, standard for ArcFace-type models. Measured on lfw-dev with this
 * pipeline (benchmarks/accuracy.ts, `policies`): it is what models/manifest.json's threshold is
 * calibrated for. It costs one more embedder run (~13 ms on one thread).
 * 'single': the face as captured, one run.
 */
export type EmbeddingRecipe = 'flip-average' | 'single';

/** L2-normalised embedding of a 112×112 ArcFace-aligned face. fr_feature wants BGR. */
export async function embedAlignedFace(session: InferenceSession, aligned: RgbImage, recipe: EmbeddingRecipe = 'flip-average'): Promise<Float32Array> {
  const input = toTensor(aligned, { order: 'BGR', mean: 127.5, std: 127.5 });
  const dims = [1, 3, aligned.height, aligned.width];
  try {
    const embedding = await runEmbedder(session, input, dims);
    if (recipe === 'single') return l2Normalise(embedding);
    mirrorPlanes(input, aligned.width);
    const mirrored = await runEmbedder(session, input, dims);
    // Each half normalised first, so neither view outweighs the other.
    l2Normalise(embedding);
    l2Normalise(mirrored);
    for (let i = 0; i < embedding.length; i++) embedding[i]! += mirrored[i]!;
    mirrored.fill(0);
    return l2Normalise(embedding);
  } finally {
    wipe(input);
  }
}

async function runEmbedder(session: InferenceSession, input: Float32Array, dims: number[]): Promise<Float32Array> {
  const out = await session.run({ input: { data: input, dims } });
  const raw = out.output?.data;
  if (!raw) throw new Error('embedder returned no output');
  const embedding = Float32Array.from(raw);
  raw.fill(0);
  return embedding;
}

/** Mirrors every row of a planar (NCHW, batch 1) tensor in place: the horizontally flipped face. */
export function mirrorPlanes(t: Float32Array, width: number): void {
  for (let row = 0, rows = t.length / width; row < rows; row++) {
    const start = row * width;
    for (let i = 0, j = width - 1; i < j; i++, j--) {
      const a = t[start + i]!;
      t[start + i] = t[start + j]!;
      t[start + j] = a;
    }
  }
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
