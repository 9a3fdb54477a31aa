import type { Point } from './image.js';

/**
 * A 2×3 affine map [a, b, c, d, e, f]: x' = a·x + b·y + c, y' = d·x + e·y + f.
 * Coordinates are pixel indices (pixel centres at integers), as OpenCV uses them.
 */
export type Affine = readonly [number, number, number, number, number, number];

export function applyAffine(m: Affine, p: Point): Point {
  return { x: m[0] * p.x + m[1] * p.y + m[2], y: m[3] * p.x + m[4] * p.y + m[5] };
}

export function invertAffine(m: Affine): Affine {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  if (Math.abs(det) < 1e-12) throw new RangeError('affine map is not invertible');
  const ia = e / det;
  const ib = -b / det;
  const id = -d / det;
  const ie = a / det;
  return [ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)];
}

/**
 * The output→source map of cropping rectangle (x, y, w, h) and resizing it to outW×outH, with
 * the half-pixel convention of cv.resize (INTER_LINEAR), which the models' authors used.
 */
export function cropResizeMap(x: number, y: number, w: number, h: number, outW: number, outH: number): Affine {
  const sx = w / outW;
  const sy = h / outH;
  return [sx, 0, x + 0.5 * sx - 0.5, 0, sy, y + 0.5 * sy - 0.5];
}

/** How many source pixels one output pixel spans (geometric mean of the two axes). */
export function affineScale(m: Affine): number {
  return Math.sqrt(Math.abs(m[0] * m[4] - m[1] * m[3]));
}
