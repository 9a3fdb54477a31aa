/** Decoded pixels, RGB interleaved, 8 bits per channel, upright (orientation already applied). */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A camera frame as browsers and most camera APIs hand it over. */
export interface RgbaFrame {
  kind: 'rgba';
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/** An encoded image (JPEG, PNG or WebP) or a raw frame. */
export type ImageInput = Uint8Array | RgbaFrame;

export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface Point {
  x: number;
  y: number;
}

export const boxWidth = (b: Box) => b.x2 - b.x1;
export const boxHeight = (b: Box) => b.y2 - b.y1;
export const boxArea = (b: Box) => Math.max(0, b.x2 - b.x1) * Math.max(0, b.y2 - b.y1);

/** Overwrites pixel memory we are done with, so it does not linger in the heap. */
export function wipe(...arrays: Array<{ fill(value: number): unknown } | undefined | null>): void {
  for (const a of arrays) a?.fill(0);
}
