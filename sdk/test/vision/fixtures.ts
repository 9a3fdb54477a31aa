import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { datasetsRoot } from '../../../testkit/datasets.js';

export const DATASETS = datasetsRoot();
export const LFW_DEV = join(DATASETS, 'lfw-dev');
export const PAD_SAMPLES = join(DATASETS, 'pad-samples');

export function requireDatasets(): void {
  if (!existsSync(join(LFW_DEV, 'pairs.csv')) || !existsSync(PAD_SAMPLES)) {
    throw new Error(`datasets not found under ${DATASETS}: set CHEHRA_DATASETS`);
  }
}

export const lfwImage = (rel: string) => readFile(join(LFW_DEV, 'images', rel));

/** A frontal, well-lit LFW face used across tests. */
export const FRONTAL = 'Abel_Pacheco/Abel_Pacheco_0002.jpg';
export const FRONTAL_OTHER = 'Amber_Tamblyn/Amber_Tamblyn_0001.jpg';

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A valid PNG header claiming width×height RGB with an empty image stream: costs nothing to make,
 * and anything that tried to decode it would fail as corrupt — so a size refusal proves we
 * judged the header.
 */
export function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(0))), chunk('IEND', Buffer.alloc(0))]);
}

/** Two different people's LFW photos side by side: two faces of the same size near the middle. */
export async function twoFaces(): Promise<Uint8Array> {
  const [a, b] = await Promise.all([lfwImage(FRONTAL), lfwImage(FRONTAL_OTHER)]);
  return sharp({ create: { width: 500, height: 250, channels: 3, background: '#808080' } })
    .composite([{ input: a, left: 0, top: 0 }, { input: b, left: 250, top: 0 }])
    .jpeg()
    .toBuffer();
}
