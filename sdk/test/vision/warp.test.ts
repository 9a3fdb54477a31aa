import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cropResizeMap, type Affine } from '../../src/vision/affine.js';
import { Pyramid } from '../../src/vision/pyramid.js';
import { toTensor, type PixelSpec } from '../../src/vision/tensor.js';
import { warpRgb, warpToTensor } from '../../src/vision/warp.js';

function noise(width: number, height: number, seed: number) {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
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
