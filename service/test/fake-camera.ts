import { writeFile } from 'node:fs/promises';
import sharp from 'sharp';

/**
 * A .y4m video for Chromium's fake camera (--use-file-for-fake-video-capture), written at test
 * time from face photos (no ffmpeg here, and no face image is ever committed): each photo is
 * scaled onto a grey 640×480 frame and held for `secondsEach`, the photos in turn, looped by
 * Chromium. Colour: BT.601 limited range, 4:2:0, as Chromium's Y4M reader expects.
 */
export const FRAME = { width: 640, height: 480, fps: 10 } as const;

/** One photo as a 640×480 RGB frame, the face ~60% of the frame's height. */
export async function framePixels(photo: Uint8Array): Promise<Buffer> {
  const side = Math.round(FRAME.height * 0.9);
  const face = await sharp(photo).resize(side, side, { fit: 'cover' }).removeAlpha().toBuffer();
  return sharp({ create: { width: FRAME.width, height: FRAME.height, channels: 3, background: { r: 128, g: 128, b: 128 } } })
    .composite([{ input: face, left: Math.round((FRAME.width - side) / 2), top: Math.round((FRAME.height - side) / 2) }])
    .removeAlpha()
    .raw()
    .toBuffer();
}

function toI420(rgb: Buffer): Buffer {
  const { width: w, height: h } = FRAME;
  const out = Buffer.alloc(w * h * 1.5);
  const u0 = w * h;
  const v0 = u0 + (w * h) / 4;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = (y * w + x) * 3;
      const r = rgb[p]!;
      const g = rgb[p + 1]!;
      const b = rgb[p + 2]!;
      out[y * w + x] = Math.round(16 + 0.257 * r + 0.504 * g + 0.098 * b);
      if (y % 2 === 0 && x % 2 === 0) {
        const c = (y / 2) * (w / 2) + x / 2;
        out[u0 + c] = Math.round(128 - 0.148 * r - 0.291 * g + 0.439 * b);
        out[v0 + c] = Math.round(128 + 0.439 * r - 0.368 * g - 0.071 * b);
      }
    }
  }
  return out;
}

export async function writeY4m(path: string, photos: Uint8Array[], secondsEach = 2): Promise<void> {
  const header = Buffer.from(`YUV4MPEG2 W${FRAME.width} H${FRAME.height} F${FRAME.fps}:1 Ip A1:1 C420jpeg\n`);
  const parts: Buffer[] = [header];
  for (const photo of photos) {
    const frame = toI420(await framePixels(photo));
    for (let i = 0; i < secondsEach * FRAME.fps; i++) parts.push(Buffer.from('FRAME\n'), frame);
  }
  await writeFile(path, Buffer.concat(parts));
}
