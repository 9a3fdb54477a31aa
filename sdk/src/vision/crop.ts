import type { Box } from './image.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The box scaled about its centre (shrinking the scale if the image is too small for it), then
 * shifted to lie inside the image. The vendor's landmark (scale 1) and liveness (scale 2.7)
 * models were trained on crops made this way, context included, so we reproduce it.
 */
export function scaledCropInside(box: Box, scale: number, width: number, height: number): Rect {
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  const s = Math.min((height - 1) / bh, (width - 1) / bw, scale);
  const w = bw * s;
  const h = bh * s;
  const cx = box.x1 + bw / 2;
  const cy = box.y1 + bh / 2;
  let x = cx - w / 2;
  let y = cy - h / 2;
  x = Math.min(Math.max(x, 0), width - 1 - w);
  y = Math.min(Math.max(y, 0), height - 1 - h);
  return { x: Math.max(0, x), y: Math.max(0, y), w, h };
}

/** The box grown by `fraction` of its size on every side, clipped to the image. */
export function grownCrop(box: Box, fraction: number, width: number, height: number): Rect {
  const bw = box.x2 - box.x1;
  const bh = box.y2 - box.y1;
  const x1 = Math.max(0, box.x1 - bw * fraction);
  const y1 = Math.max(0, box.y1 - bh * fraction);
  const x2 = Math.min(width, box.x2 + bw * fraction);
  const y2 = Math.min(height, box.y2 + bh * fraction);
  return { x: x1, y: y1, w: x2 - x1, h: y2 - y1 };
}
