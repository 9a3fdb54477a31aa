import sharp, { type Metadata } from 'sharp';
import type { ImageInput } from '../vision/image.js';
import { checkSize, DEFAULT_LIMITS, fromRgbaFrame, isRgbaFrame, looksLikeSupportedImage, refuse, type DecodeOutcome, type InputLimits } from './limits.js';

/** Node's decoder: sharp (libvips). Never imported by the browser entry. */

const SUPPORTED = new Set(['jpeg', 'png', 'webp']);

async function decodeEncoded(bytes: Uint8Array, limits: InputLimits): Promise<DecodeOutcome> {
  if (bytes.length === 0) return refuse('image_empty', 'empty buffer');
  let meta: Metadata;
  try {
    // Reads the header only: size is judged before a single pixel is decoded.
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return looksLikeSupportedImage(bytes)
      ? refuse('image_corrupt', 'image header could not be read')
      : refuse('image_unsupported', 'not a JPEG, PNG or WebP image');
  }
  if (!SUPPORTED.has(meta.format)) return refuse('image_unsupported', `format ${meta.format} is not accepted`);
  const tooBigOrSmall = checkSize(meta.width, meta.height, limits);
  if (tooBigOrSmall) return tooBigOrSmall;

  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: limits.maxPixels, autoOrient: true })
      .resize({ width: limits.workingSide, height: limits.workingSide, fit: 'inside', withoutEnlargement: true })
      .removeAlpha()
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      data.fill(0);
      return refuse('image_unsupported', `decoded to ${info.channels} channels`);
    }
    return { ok: true, image: { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) } };
  } catch {
    return refuse('image_corrupt', 'image data is damaged or truncated');
  }
}

/** Turns any accepted input into upright RGB pixels, or says why not. Never throws on bad input. */
export async function decodeImage(input: ImageInput, limits: InputLimits = DEFAULT_LIMITS): Promise<DecodeOutcome> {
  if (input instanceof Uint8Array) return decodeEncoded(input, limits);
  if (isRgbaFrame(input)) return fromRgbaFrame(input, limits);
  return refuse('image_unsupported', 'input must be encoded image bytes or an RGBA frame');
}
