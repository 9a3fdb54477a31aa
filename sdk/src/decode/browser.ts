import type { ImageInput } from '../vision/image.js';
import { readImageHeader } from './header.js';
import { checkSize, DEFAULT_LIMITS, fromRgbaFrame, isRgbaFrame, looksLikeSupportedImage, refuse, type DecodeOutcome, type InputLimits } from './limits.js';

/**
 * The browser's decoder: the size is judged from the header (decode/header.ts) before a pixel is
 * decoded; then createImageBitmap decodes with EXIF orientation applied ('from-image') and an
 * OffscreenCanvas scales to the working size and hands back RGBA, which becomes RGB. The canvas
 * is cleared and dropped after use; nothing touches storage.
 */
export async function decodeImageInBrowser(input: ImageInput, limits: InputLimits = DEFAULT_LIMITS): Promise<DecodeOutcome> {
  if (isRgbaFrame(input)) return fromRgbaFrame(input, limits);
  if (!(input instanceof Uint8Array)) return refuse('image_unsupported', 'input must be encoded image bytes or an RGBA frame');
  if (input.length === 0) return refuse('image_empty', 'empty buffer');
  const header = readImageHeader(input);
  if (!header) {
    return looksLikeSupportedImage(input)
      ? refuse('image_corrupt', 'image header could not be read')
      : refuse('image_unsupported', 'not a JPEG, PNG or WebP image');
  }
  const swapped = header.orientation >= 5;
  const width = swapped ? header.height : header.width;
  const height = swapped ? header.width : header.height;
  const tooBigOrSmall = checkSize(width, height, limits);
  if (tooBigOrSmall) return tooBigOrSmall;

  let bitmap: ImageBitmap;
  try {
    const blob = new Blob([input as Uint8Array<ArrayBuffer>], { type: `image/${header.format}` });
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'default' });
  } catch {
    return refuse('image_corrupt', 'image data is damaged or truncated');
  }
  try {
    const scale = Math.min(1, limits.workingSide / Math.max(bitmap.width, bitmap.height));
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(w, h);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) return refuse('processing_error', 'no 2D canvas in this browser');
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, w, h);
    const rgba = ctx.getImageData(0, 0, w, h);
    ctx.clearRect(0, 0, w, h);
    const out = fromRgbaFrame({ kind: 'rgba', width: w, height: h, data: rgba.data }, { ...limits, minSide: 1 });
    rgba.data.fill(0);
    return out;
  } finally {
    bitmap.close();
  }
}

/**
 * The current frame of a playing <video> (a camera stream) as RGBA, at most `maxSide` on its
 * longer side. The caller passes it to pipeline.process() and it is wiped there.
 */
export function grabVideoFrame(video: HTMLVideoElement, maxSide = 640): { kind: 'rgba'; width: number; height: number; data: Uint8ClampedArray } | null {
  const vw = video.videoWidth;
  const vh = video.videoHeight;
  if (!vw || !vh || video.readyState < 2) return null;
  const scale = Math.min(1, maxSide / Math.max(vw, vh));
  const w = Math.round(vw * scale);
  const h = Math.round(vh * scale);
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(video, 0, 0, w, h);
  const { data } = ctx.getImageData(0, 0, w, h);
  ctx.clearRect(0, 0, w, h);
  return { kind: 'rgba', width: w, height: h, data };
}
