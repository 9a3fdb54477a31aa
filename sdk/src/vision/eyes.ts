import type { InferenceSession } from '../runtime/inference.js';
import { cropResizeMap } from './affine.js';
import { wipe, type Point } from './image.js';
import type { Pyramid } from './pyramid.js';
import { softmax } from './softmax.js';
import { warpToTensor } from './warp.js';

const SIZE = 24;
/** Crop side as a multiple of the eye's corner-to-corner width (the vendor's choice). */
const PADDING = 1.6;

export interface EyeState {
  /** Probability that the eye is closed, per eye (image-left, image-right). */
  closedLeft: number;
  closedRight: number;
}

async function closedProbability(session: InferenceSession, pyramid: Pyramid, pts: Point[], corners: [number, number], lids: number[]): Promise<number> {
  const cx = lids.reduce((s, i) => s + pts[i]!.x, 0) / lids.length;
  const cy = lids.reduce((s, i) => s + pts[i]!.y, 0) / lids.length;
  const side = Math.max(4, Math.hypot(pts[corners[1]]!.x - pts[corners[0]]!.x, pts[corners[1]]!.y - pts[corners[0]]!.y) * PADDING);
  const input = warpToTensor(pyramid, cropResizeMap(cx - side / 2, cy - side / 2, side, side, SIZE, SIZE), SIZE, SIZE, { order: 'grey', mean: 0, std: 255 });
  const out = await session.run({ input: { data: input, dims: [1, 1, SIZE, SIZE] } });
  wipe(input);
  const logits = out.output?.data;
  if (!logits || logits.length !== 2) throw new Error('eye model returned an unexpected shape');
  return softmax(logits)[0]!;
}

export async function estimateEyes(session: InferenceSession, pyramid: Pyramid, landmarks68: Point[]): Promise<EyeState> {
  const closedLeft = await closedProbability(session, pyramid, landmarks68, [36, 39], [37, 38, 40, 41]);
  const closedRight = await closedProbability(session, pyramid, landmarks68, [42, 45], [43, 44, 46, 47]);
  return { closedLeft, closedRight };
}
