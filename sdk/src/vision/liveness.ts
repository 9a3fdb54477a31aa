import type { InferenceSession } from '../runtime/inference.js';
import { cropResizeMap } from './affine.js';
import { scaledCropInside } from './crop.js';
import { wipe, type Box } from './image.js';
import type { Pyramid } from './pyramid.js';
import { softmax } from './softmax.js';
import { warpToTensor } from './warp.js';

const SIZE = 128;
/** The model judges the face with its surroundings (screen bezels, paper edges): 2.7× the box. */
const CONTEXT_SCALE = 2.7;

/**
 * Probability (0…1) that the face is live, from fr_liveness: class 0 = live. Cropped around the
 * detector's own box (not the squared one): on the pad samples that separates the live capture
 * (0.85 vs 0.40 squared) from print and replay (both ~0), and BGR rather than RGB is what makes
 * ordinary photos score live (LFW: 3/40 below 0.5 in BGR, 21/40 in RGB).
 */
export async function scoreLiveness(session: InferenceSession, pyramid: Pyramid, detectorBox: Box): Promise<number> {
  const { width, height } = pyramid.base;
  const r = scaledCropInside(detectorBox, CONTEXT_SCALE, width, height);
  // Raw 0…255 BGR, as OpenCV hands frames to the model's training code.
  const input = warpToTensor(pyramid, cropResizeMap(r.x, r.y, r.w, r.h, SIZE, SIZE), SIZE, SIZE, { order: 'BGR', mean: 0, std: 1 });
  const out = await session.run({ input: { data: input, dims: [1, 3, SIZE, SIZE] } });
  wipe(input);
  const logits = out.output?.data;
  if (!logits || logits.length !== 3) throw new Error('liveness model returned an unexpected shape');
  return softmax(logits)[0]!;
}
