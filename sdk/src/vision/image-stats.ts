import type { RgbImage } from './image.js';

export interface FaceImageStats {
  /** Variance of the 4-neighbour Laplacian of the grey face: low means blurred. */
  sharpness: number;
  /** Mean grey level of the face, 0…255. */
  brightness: number;
  /** Fraction of face pixels at or above 250 (blown out by sun or flash). */
  overexposed: number;
}

/**
 * Measured on the aligned 112×112 face, inside the region the ArcFace crop always fills with
 * face (cheeks to chin), so background and the black warp border do not count.
 */
const REGION = { x1: 28, y1: 36, x2: 84, y2: 100 };

export function faceImageStats(aligned: RgbImage): FaceImageStats {
  const { width, data } = aligned;
  const w = REGION.x2 - REGION.x1;
  const h = REGION.y2 - REGION.y1;
  const grey = new Float32Array(w * h);
  let sum = 0;
  let bright = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = ((REGION.y1 + y) * width + REGION.x1 + x) * 3;
      const g = 0.299 * data[p]! + 0.587 * data[p + 1]! + 0.114 * data[p + 2]!;
      grey[y * w + x] = g;
      sum += g;
      if (g >= 250) bright++;
    }
  }
  let lapSum = 0;
  let lapSq = 0;
  let count = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const lap = grey[i - 1]! + grey[i + 1]! + grey[i - w]! + grey[i + w]! - 4 * grey[i]!;
      lapSum += lap;
      lapSq += lap * lap;
      count++;
    }
  }
  grey.fill(0);
  const lapMean = lapSum / count;
  return { sharpness: lapSq / count - lapMean * lapMean, brightness: sum / (w * h), overexposed: bright / (w * h) };
}
