import { affineScale, type Affine } from './affine.js';
import type { RgbImage } from './image.js';
import type { Pyramid } from './pyramid.js';

/**
 * Samples an outW×outH RGB image: output pixel (x, y) takes the bilinear value at map(x, y) in
 * the source. Outside the source is black, as with cv.warpAffine's default border, which the
 * embedder's training crops were made with.
 */
export function warpRgb(pyramid: Pyramid, outputToSource: Affine, outW: number, outH: number): RgbImage {
  const { image: src, map } = pyramid.levelFor(outputToSource, affineScale(outputToSource));
  const [a, b, c, d, e, f] = map;
  const out = new Uint8Array(outW * outH * 3);
  const s = src.data;
  const w = src.width;
  const h = src.height;
  let o = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++, o += 3) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= w || y0 >= h) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      const in0 = y0 >= 0;
      const in1 = y0 + 1 < h;
      const inL = x0 >= 0;
      const inR = x0 + 1 < w;
      const p00 = in0 && inL ? (y0 * w + x0) * 3 : -1;
      const p10 = in0 && inR ? (y0 * w + x0 + 1) * 3 : -1;
      const p01 = in1 && inL ? ((y0 + 1) * w + x0) * 3 : -1;
      const p11 = in1 && inR ? ((y0 + 1) * w + x0 + 1) * 3 : -1;
      for (let ch = 0; ch < 3; ch++) {
        let v = 0;
        if (p00 >= 0) v += w00 * s[p00 + ch]!;
        if (p10 >= 0) v += w10 * s[p10 + ch]!;
        if (p01 >= 0) v += w01 * s[p01 + ch]!;
        if (p11 >= 0) v += w11 * s[p11 + ch]!;
        out[o + ch] = v + 0.5;
      }
    }
  }
  return { width: outW, height: outH, data: out };
}
