import type { InferenceSession } from '../runtime/inference.js';
import { cropResizeMap } from './affine.js';
import { boxArea, wipe, type Box } from './image.js';
import { iou, nonMaxSuppression, type ScoredBox } from './nms.js';
import type { Pyramid } from './pyramid.js';
import { warpToTensor } from './warp.js';

const INPUT_W = 320;
const INPUT_H = 240;

export interface DetectorSettings {
  scoreThreshold: number;
  iouThreshold: number;
}

/** Faces found, most confident first, in working-image pixels. */
export async function detectFaces(session: InferenceSession, pyramid: Pyramid, settings: DetectorSettings): Promise<ScoredBox[]> {
  const { width, height } = pyramid.base;
  // The whole frame stretched to 320×240, as the detector was trained.
  const input = warpToTensor(pyramid, cropResizeMap(0, 0, width, height, INPUT_W, INPUT_H), INPUT_W, INPUT_H, { order: 'RGB', mean: 127, std: 128 });
  const out = await session.run({ input: { data: input, dims: [1, 3, INPUT_H, INPUT_W] } });
  wipe(input);
  const scores = out.scores?.data;
  const boxes = out.boxes?.data;
  if (!scores || !boxes) throw new Error('detector returned no scores/boxes');

  const candidates: ScoredBox[] = [];
  const n = scores.length / 2;
  for (let i = 0; i < n; i++) {
    const score = scores[2 * i + 1]!;
    if (score < settings.scoreThreshold) continue;
    const b = 4 * i;
    candidates.push({
      x1: boxes[b]! * width,
      y1: boxes[b + 1]! * height,
      x2: boxes[b + 2]! * width,
      y2: boxes[b + 3]! * height,
      score,
    });
  }
  return nonMaxSuppression(candidates.filter((c) => boxArea(c) > 0), settings.iouThreshold);
}

/**
 * The face being verified: the largest, with a mild preference for the centre of the frame
 * (an adult's face at the edge should not win over the child in the middle just by being
 * slightly bigger).
 */
export function pickPrimaryFace<T extends Box>(faces: readonly T[], width: number, height: number): T | undefined {
  const diag = Math.hypot(width, height);
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const f of faces) {
    const dx = (f.x1 + f.x2) / 2 - width / 2;
    const dy = (f.y1 + f.y2) / 2 - height / 2;
    const centrality = 1 - Math.hypot(dx, dy) / diag; // 0.5 … 1
    const s = boxArea(f) * centrality;
    if (s > bestScore) {
      bestScore = s;
      best = f;
    }
  }
  return best;
}

/**
 * Other faces that make the capture ambiguous: at least `areaRatio` of the primary face's area,
 * centred in the middle 60% of the frame, and not a duplicate box on the primary face. A worker
 * frames the beneficiary in the middle; a similar face beside them there (a mother holding a
 * child) means we cannot tell who is being verified, while a bystander at the edge does not.
 */
export function competingFaces<T extends Box>(faces: readonly T[], primary: T, width: number, height: number, areaRatio: number): T[] {
  return faces.filter((f) => {
    if (f === primary || boxArea(f) < areaRatio * boxArea(primary) || iou(f, primary) > 0.3) return false;
    const cx = (f.x1 + f.x2) / 2 / width;
    const cy = (f.y1 + f.y2) / 2 / height;
    return cx >= 0.2 && cx <= 0.8 && cy >= 0.2 && cy <= 0.8;
  });
}

/**
 * The square box the landmark, pose and liveness crops are built from: side = box height,
 * same centre, clipped to the image. This is how the vendor's glue fed those models.
 */
export function squareFaceBox(face: Box, width: number, height: number): Box {
  const side = face.y2 - face.y1;
  const cx = (face.x1 + face.x2) / 2;
  const cy = (face.y1 + face.y2) / 2;
  return {
    x1: Math.max(0, cx - side / 2),
    y1: Math.max(0, cy - side / 2),
    x2: Math.min(width - 1, cx + side / 2),
    y2: Math.min(height - 1, cy + side / 2),
  };
}
