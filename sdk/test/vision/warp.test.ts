import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cropResizeMap, type Affine } from '../../src/vision/affine.js';
import { Pyramid } from '../../src/vision/pyramid.js';
import { toTensor, type PixelSpec } from '../../src/vision/tensor.js';
import { warpRgb, warpRgbBicubic, warpToTensor } from '../../src/vision/warp.js';
import { mulberry32 } from '../../../testkit/prng.js';

function noise(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  const rand = mulberry32(seed);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  return { width, height, data };
}

const SPECS: PixelSpec[] = [
  { order: 'RGB', mean: 127, std: 128 },
  { order: 'BGR', mean: 0, std: 1 },
  { order: 'BGR', mean: [10, 20, 30], std: [50, 60, 70] },
  { order: 'RGB', mean: [0.485 * 255, 0.456 * 255, 0.406 * 255], std: [0.229 * 255, 0.224 * 255, 0.225 * 255] },
  { order: 'grey', mean: 0, std: 256 },
];

test('warpToTensor is bit-for-bit warpRgb then toTensor (crops in, across and beyond the image; rotated maps too)', () => {
  const img = noise(250, 187, 7);
  const maps: Array<[Affine, number, number]> = [
    [cropResizeMap(0, 0, 250, 187, 320, 240), 320, 240], // upscale whole frame (detector)
    [cropResizeMap(-30.5, 12.25, 180.3, 180.3, 64, 64), 64, 64], // partly outside (landmarks)
    [cropResizeMap(10, 10, 240, 170, 24, 24), 24, 24], // strong downscale: pyramid level
    [cropResizeMap(200, 150, 128, 128, 128, 128), 128, 128], // mostly outside
    [[0.9, 0.2, 40, -0.2, 0.9, 60], 112, 112], // rotated: two-step fallback
  ];
  for (const [map, w, h] of maps) {
    for (const spec of SPECS) {
      const expected = toTensor(warpRgb(new Pyramid(img), map, w, h), spec);
      const actual = warpToTensor(new Pyramid(img), map, w, h, spec);
      assert.deepEqual(actual, expected, `${w}x${h} ${spec.order}`);
    }
  }
});

/** OpenCV's cubic kernel (a = −0.75), written out directly, in double precision. */
function keys(t: number): number {
  const a = -0.75;
  const x = Math.abs(t);
  if (x <= 1) return (a + 2) * x ** 3 - (a + 3) * x ** 2 + 1;
  if (x < 2) return a * x ** 3 - 5 * a * x ** 2 + 8 * a * x - 4 * a;
  return 0;
}

function naiveBicubic(img: { width: number; height: number; data: Uint8Array }, m: Affine, size: number): Uint8Array {
  const out = new Uint8Array(size * size * 3);
  const at = (x: number, y: number, ch: number) => (x < 0 || y < 0 || x >= img.width || y >= img.height ? 0 : img.data[(y * img.width + x) * 3 + ch]!);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const sx = m[0] * x + m[1] * y + m[2];
      const sy = m[3] * x + m[4] * y + m[5];
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      for (let ch = 0; ch < 3; ch++) {
        let v = 0;
        for (let j = -1; j <= 2; j++) for (let i = -1; i <= 2; i++) v += keys(sx - (x0 + i)) * keys(sy - (y0 + j)) * at(x0 + i, y0 + j, ch);
        out[(y * size + x) * 3 + ch] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return out;
}

test('warpRgbBicubic matches a direct bicubic (OpenCV kernel, black border) within one grey level, rotated and across the edge', () => {
  const img = noise(120, 100, 11);
  const maps: Affine[] = [
    [0.9, 0.2, 20, -0.2, 0.9, 30], // rotated, inside
    [1.1, -0.3, -15.3, 0.3, 1.1, -8.7], // rotated, partly outside
    [0.8, 0, 90.25, 0, 0.8, 70.5], // shifted past the right and bottom edges
  ];
  for (const m of maps) {
    const got = warpRgbBicubic(new Pyramid(img), m, 64, 64).data;
    const want = naiveBicubic(img, m, 64);
    let worst = 0;
    for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    assert.ok(worst <= 1, `max difference ${worst}`);
  }
});

test('warpRgbBicubic: whole-pixel maps copy pixels exactly, a flat grey stays flat, far outside is black', () => {
  const img = noise(40, 30, 3);
  const copy = warpRgbBicubic(new Pyramid(img), [1, 0, 5, 0, 1, 4], 20, 20).data;
  for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) for (let ch = 0; ch < 3; ch++) {
    assert.equal(copy[(y * 20 + x) * 3 + ch], img.data[((y + 4) * 40 + x + 5) * 3 + ch]);
  }

  // The weights sum to one at any fractional position: a flat grey stays that grey.
  const flat = { width: 40, height: 40, data: new Uint8Array(40 * 40 * 3).fill(137) };
  const inside = warpRgbBicubic(new Pyramid(flat), [0.8, 0.3, 8.37, -0.3, 0.8, 14.61], 16, 16).data;
  assert.ok(inside.every((v) => v === 137));

  const outside = warpRgbBicubic(new Pyramid(img), [1, 0, 100, 0, 1, 100], 8, 8).data;
  assert.ok(outside.every((v) => v === 0));
});

test('warpRgbBicubic clamps the kernel\'s overshoot instead of wrapping it (a black/white edge stays ordered)', () => {
  const edge = { width: 20, height: 4, data: new Uint8Array(20 * 4 * 3) };
  for (let y = 0; y < 4; y++) edge.data.fill(255, (y * 20 + 10) * 3, (y * 20 + 20) * 3);
  // One output row across the edge at quarter-pixel steps, in the image's interior rows.
  const row = warpRgbBicubic(new Pyramid(edge), [0.25, 0, 7, 0, 1, 1.5], 24, 1).data;
  const values = Array.from({ length: 24 }, (_, x) => row[x * 3]!);
  for (let x = 1; x < 24; x++) assert.ok(values[x]! >= values[x - 1]!, `not ordered: ${values.join(',')}`);
  assert.equal(values[0], 0);
  assert.equal(values[23], 255);
});
