import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import { createFacePipeline, cosineSimilarity, MESSAGES, type FacePipeline, type FaceResult, type FailureReason } from '../../src/node.js';
import { FRONTAL, lfwImage, PAD_SAMPLES, pngHeaderOnly, requireDatasets, twoFaces } from './fixtures.js';

let pipeline: FacePipeline;

before(async () => {
  requireDatasets();
  pipeline = await createFacePipeline();
});
after(() => pipeline.close());

function assertRefused(result: FaceResult, reason: FailureReason): void {
  assert.equal(result.ok, false, `expected refusal ${reason}`);
  if (result.ok) return;
  assert.equal(result.reason, reason, result.detail);
  assert.deepEqual(result.message, MESSAGES[reason]);
  assert.ok(result.message.en.length > 10 && result.message.hi.length > 10);
  // Nothing biometric in a refusal: no embedding, and no run of numbers that could be pixels.
  const text = JSON.stringify(result);
  assert.ok(!('embedding' in result));
  assert.ok(!/(\d+(\.\d+)?,\s*){16}/.test(text), 'refusal text holds a long list of numbers');
}

test('an empty buffer is refused as image_empty', async () => {
  assertRefused(await pipeline.process(new Uint8Array(0)), 'image_empty');
});

test('a truncated JPEG is refused as image_corrupt', async () => {
  const jpeg = await lfwImage(FRONTAL);
  assertRefused(await pipeline.process(jpeg.subarray(0, Math.floor(jpeg.length / 2))), 'image_corrupt');
});

test('bytes that are no image are refused as image_unsupported', async () => {
  assertRefused(await pipeline.process(new TextEncoder().encode('this is not an image at all, just text')), 'image_unsupported');
});

test('a 1×1 image is refused as image_too_small', async () => {
  const png = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#fff' } }).png().toBuffer();
  assertRefused(await pipeline.process(png), 'image_too_small');
});

test('a 12000×12000 image is refused from its header, before decoding', async () => {
  // The file holds no pixel data at all: decoding it would fail as corrupt, not as too large.
  const started = performance.now();
  assertRefused(await pipeline.process(pngHeaderOnly(12000, 12000)), 'image_too_large');
  assert.ok(performance.now() - started < 500);
  // And a real (cheaply compressed) one, for good measure.
  const real = await sharp({ create: { width: 12000, height: 1000, channels: 3, background: '#000' } }).png({ compressionLevel: 9 }).toBuffer();
  assertRefused(await pipeline.process(real), 'image_too_large');
});

test('a raw RGBA frame of the wrong length is refused as image_corrupt', async () => {
  assertRefused(await pipeline.process({ kind: 'rgba', width: 100, height: 100, data: new Uint8Array(100) }), 'image_corrupt');
});

test('an image without a face is refused as no_face', async () => {
  const grey = await sharp({ create: { width: 320, height: 240, channels: 3, background: '#7a7a7a' } }).jpeg().toBuffer();
  assertRefused(await pipeline.process(grey), 'no_face');
});

test('two faces of similar size are refused as multiple_faces', async () => {
  const result = await pipeline.process(await twoFaces());
  assertRefused(result, 'multiple_faces');
  assert.equal(result.ok ? 0 : result.face?.facesDetected, 2);
});

test('the same face gives the same embedding from JPEG, PNG, WebP and a raw RGBA frame', async () => {
  const jpeg = await lfwImage(FRONTAL);
  const png = await sharp(jpeg).png().toBuffer();
  const webp = await sharp(jpeg).webp({ lossless: true }).toBuffer();
  const raw = await sharp(jpeg).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const frame = { kind: 'rgba' as const, width: raw.info.width, height: raw.info.height, data: new Uint8Array(raw.data) };
  const results = await Promise.all([jpeg, png, webp, frame].map((input) => pipeline.process(input)));
  const [first, ...rest] = results;
  assert.ok(first?.ok, first && !first.ok ? first.reason : '');
  for (const r of rest) {
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.ok(cosineSimilarity(first.embedding, r.embedding) > 0.99);
  }
  assert.equal(first.embedding.length, pipeline.embeddingDim);
  const norm = Math.hypot(...first.embedding);
  assert.ok(Math.abs(norm - 1) < 1e-4, 'embedding is L2-normalised');
});

test('EXIF orientation is honoured: a sideways-stored phone photo is processed upright', async () => {
  // image_T1.jpg is stored 640×480 with EXIF orientation 6 (rotate 90°).
  const bytes = await readFile(join(PAD_SAMPLES, 'image_T1.jpg'));
  assert.equal((await sharp(bytes).metadata()).orientation, 6);
  const upright = await pipeline.process(bytes);
  assert.ok(upright.face, 'a face is found');
  // A face box is taller than wide when the face is upright; stored sideways it is the reverse.
  const box = (r: FaceResult) => r.face!.box;
  assert.ok(box(upright).y2 - box(upright).y1 > box(upright).x2 - box(upright).x1, 'upright face');
  const stripped = await sharp(bytes).withMetadata({ orientation: 1 }).jpeg().toBuffer();
  const sideways = await pipeline.process(stripped);
  assert.ok(sideways.face, 'the detector still finds the sideways face');
  assert.ok(box(sideways).x2 - box(sideways).x1 > box(sideways).y2 - box(sideways).y1, 'sideways face without the EXIF tag');
});

test('stage timings are reported for every stage that ran', async () => {
  const timings = {};
  const result = await pipeline.process(await lfwImage(FRONTAL), { timings });
  assert.ok(result.ok);
  for (const stage of ['decode', 'detect', 'landmarks', 'align', 'quality', 'liveness', 'embed', 'total']) {
    const t = (timings as Record<string, number>)[stage];
    assert.ok(typeof t === 'number' && t >= 0, `timing for ${stage}`);
  }
});

test('in report mode the quality gate lists issues instead of refusing', async () => {
  const reporting = await createFacePipeline({ qualityGate: 'report' });
  try {
    const result = await reporting.process(await twoFaces());
    assert.ok(result.ok, result.ok ? '' : result.reason);
    assert.ok(result.quality.issues.includes('multiple_faces'));
    const clean = await reporting.process(await lfwImage(FRONTAL));
    assert.ok(clean.ok);
    assert.deepEqual(clean.quality.issues, []);
  } finally {
    await reporting.close();
  }
});
