import type { ImageInput, RgbImage, RgbaFrame } from '../vision/image.js';
import type { FailureReason } from '../vision/reasons.js';

/**
 * The decode seam: every platform turns an input into upright RGB pixels or a typed refusal,
 * with the same limits. Node decodes with sharp (decode/sharp.ts), browsers with
 * createImageBitmap + OffscreenCanvas (decode/browser.ts); the vision code imports neither.
 */
export type Decoder = (input: ImageInput, limits: InputLimits) => Promise<DecodeOutcome>;

export interface InputLimits {
  /** Refuse images with more pixels than this, judged from the header before decoding. */
  maxPixels: number;
  /** Refuse images with a side longer than this (header), whatever the pixel count. */
  maxSide: number;
  /** Refuse images with a side shorter than this: no face fits. */
  minSide: number;
  /**
   * Decode large photos straight to this longest side (JPEG shrink-on-load makes it cheap):
   * a face needs ~100 px, and a 12 MP frame would only cost memory and time.
   */
  workingSide: number;
}

export const DEFAULT_LIMITS: InputLimits = {
  maxPixels: 50_000_000,
  maxSide: 10_000,
  minSide: 32,
  workingSide: 1280,
};

export type DecodeOutcome = { ok: true; image: RgbImage } | { ok: false; reason: FailureReason; detail: string };

export const refuse = (reason: FailureReason, detail: string): DecodeOutcome => ({ ok: false, reason, detail });

export function looksLikeSupportedImage(bytes: Uint8Array): boolean {
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const isPng = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isWebp = bytes.length >= 12 && String.fromCharCode(...bytes.subarray(8, 12)) === 'WEBP';
  return isJpeg || isPng || isWebp;
}

export function checkSize(width: number, height: number, limits: InputLimits): DecodeOutcome | null {
  if (width > limits.maxSide || height > limits.maxSide || width * height > limits.maxPixels) {
    return refuse('image_too_large', `image is ${width}x${height}; the limit is ${limits.maxPixels} pixels and ${limits.maxSide} px a side`);
  }
  if (width < limits.minSide || height < limits.minSide) {
    return refuse('image_too_small', `image is ${width}x${height}; the minimum is ${limits.minSide} px a side`);
  }
  return null;
}

/** RGBA (a camera frame, a canvas) to RGB, after the same size checks as an encoded image. */
export function fromRgbaFrame(frame: RgbaFrame, limits: InputLimits): DecodeOutcome {
  const { width, height, data } = frame;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    return refuse('image_corrupt', 'frame width and height must be positive integers');
  }
  const tooBigOrSmall = checkSize(width, height, limits);
  if (tooBigOrSmall) return tooBigOrSmall;
  if (data.length !== width * height * 4) {
    return refuse('image_corrupt', `frame has ${data.length} bytes; ${width}x${height} RGBA needs ${width * height * 4}`);
  }
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0, p = 0, q = 0; i < n; i++, p += 4, q += 3) {
    rgb[q] = data[p]!;
    rgb[q + 1] = data[p + 1]!;
    rgb[q + 2] = data[p + 2]!;
  }
  return { ok: true, image: { width, height, data: rgb } };
}

export function isRgbaFrame(input: unknown): input is RgbaFrame {
  return !!input && typeof input === 'object' && (input as RgbaFrame).kind === 'rgba';
}
