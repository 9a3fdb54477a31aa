import { invertAffine, type Affine } from './affine.js';
import type { Point } from './image.js';

/** insightface's 112×112 ArcFace reference: eyes, nose tip, mouth corners. */
export const ARCFACE_REFERENCE: readonly Point[] = [
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
];

export const ALIGNED_SIZE = 112;

/**
 * Least-squares similarity (rotation, uniform scale, translation; no reflection) taking `src`
 * onto `dst` — Umeyama's solution, which in 2-D reduces to this closed form. A similarity keeps
 * the face's proportions; the vendor's 3-point affine shears them and cost ~10 accuracy points.
 */
export function umeyamaSimilarity(src: readonly Point[], dst: readonly Point[]): Affine {
  const n = src.length;
  if (n < 2 || n !== dst.length) throw new RangeError('need at least two point pairs');
  let sx = 0, sy = 0, dx = 0, dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i]!.x; sy += src[i]!.y; dx += dst[i]!.x; dy += dst[i]!.y;
  }
  sx /= n; sy /= n; dx /= n; dy /= n;
  let dot = 0, cross = 0, norm = 0;
  for (let i = 0; i < n; i++) {
    const ax = src[i]!.x - sx, ay = src[i]!.y - sy;
    const bx = dst[i]!.x - dx, by = dst[i]!.y - dy;
    dot += ax * bx + ay * by;
    cross += ax * by - ay * bx;
    norm += ax * ax + ay * ay;
  }
  if (norm < 1e-9) throw new RangeError('source points are degenerate');
  const a = dot / norm;
  const b = cross / norm;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

/** Output(112×112)→source map that puts the five points on the ArcFace reference. */
export function alignmentMap(fivePoints: readonly Point[]): { sourceToAligned: Affine; alignedToSource: Affine } {
  const sourceToAligned = umeyamaSimilarity(fivePoints, ARCFACE_REFERENCE);
  return { sourceToAligned, alignedToSource: invertAffine(sourceToAligned) };
}
