import type { RgbImage } from './image.js';

/** How a model wants its pixels: planar (NCHW), in a channel order, as (v − mean) / std. */
export interface PixelSpec {
  order: 'RGB' | 'BGR' | 'grey';
  mean: readonly [number, number, number] | number;
  std: readonly [number, number, number] | number;
}

const perChannel = (v: readonly [number, number, number] | number): readonly [number, number, number] =>
  typeof v === 'number' ? [v, v, v] : v;

/** NCHW float tensor data (batch 1) from an RGB image. Grey uses OpenCV's BGR2GRAY weights. */
export function toTensor(img: RgbImage, spec: PixelSpec): Float32Array {
  const n = img.width * img.height;
  const src = img.data;
  if (spec.order === 'grey') {
    const mean = perChannel(spec.mean)[0];
    const std = perChannel(spec.std)[0];
    const out = new Float32Array(n);
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      const grey = Math.round(0.299 * src[p]! + 0.587 * src[p + 1]! + 0.114 * src[p + 2]!);
      out[i] = (grey - mean) / std;
    }
    return out;
  }
  const out = new Float32Array(3 * n);
  const mean = perChannel(spec.mean);
  const std = perChannel(spec.std);
  // Plane k of the tensor takes source channel order[k]; mean/std are given in tensor order.
  const sourceChannel = spec.order === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  for (let k = 0; k < 3; k++) {
    const ch = sourceChannel[k]!;
    const m = mean[k]!;
    const inv = 1 / std[k]!;
    const plane = k * n;
    for (let i = 0, p = ch; i < n; i++, p += 3) out[plane + i] = (src[p]! - m) * inv;
  }
  return out;
}
