import type { Affine } from './affine.js';
import type { RgbImage } from './image.js';

/**
 * Halved copies of an image, made on demand. Bilinear sampling aliases badly when one output
 * pixel covers many source pixels (a 4000 px photo cropped to a 64 px landmark input); sampling
 * from the level whose scale is within 2× of the output avoids that at the cost of a 2×2 box
 * filter per level.
 */
export class Pyramid {
  private readonly levels: RgbImage[];

  constructor(base: RgbImage) {
    this.levels = [base];
  }

  get base(): RgbImage {
    return this.levels[0]!;
  }

  /** The level to sample for a map that spans `scale` source pixels per output pixel, and the map rewritten for it. */
  levelFor(map: Affine, scale: number): { image: RgbImage; map: Affine } {
    let level = 0;
    while (scale / 2 ** (level + 1) >= 1.5 && this.level(level).width >= 4 && this.level(level).height >= 4) level++;
    if (level === 0) return { image: this.base, map };
    const k = 2 ** level;
    // Level pixel i covers base pixels [k·i, k·i + k); its centre is at base coordinate k·i + (k-1)/2.
    const off = (k - 1) / 2;
    const [a, b, c, d, e, f] = map;
    return { image: this.level(level), map: [a / k, b / k, (c - off) / k, d / k, e / k, (f - off) / k] };
  }

  private level(n: number): RgbImage {
    while (this.levels.length <= n) this.levels.push(halve(this.levels[this.levels.length - 1]!));
    return this.levels[n]!;
  }

  /** Zeroes the derived levels; the base belongs to the caller. */
  wipe(): void {
    for (let i = 1; i < this.levels.length; i++) this.levels[i]!.data.fill(0);
    this.levels.length = 1;
  }
}

function halve(src: RgbImage): RgbImage {
  const width = Math.max(1, src.width >> 1);
  const height = Math.max(1, src.height >> 1);
  const data = new Uint8Array(width * height * 3);
  const s = src.data;
  const stride = src.width * 3;
  for (let y = 0; y < height; y++) {
    const r0 = Math.min(2 * y, src.height - 1) * stride;
    const r1 = Math.min(2 * y + 1, src.height - 1) * stride;
    for (let x = 0; x < width; x++) {
      const c0 = Math.min(2 * x, src.width - 1) * 3;
      const c1 = Math.min(2 * x + 1, src.width - 1) * 3;
      const o = (y * width + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        data[o + ch] = (s[r0 + c0 + ch]! + s[r0 + c1 + ch]! + s[r1 + c0 + ch]! + s[r1 + c1 + ch]! + 2) >> 2;
      }
    }
  }
  return { width, height, data };
}
