import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createOnnxNodeBackend, nodeModelSource, PIPELINE_MODEL_IDS, type InferenceSession } from '../../src/runtime/index.js';
import { cosineSimilarity } from '../../src/vision/index.js';
import { embedAlignedFace, mirrorPlanes } from '../../src/vision/embed.js';
import type { RgbImage } from '../../src/vision/image.js';
import { mulberry32 } from '../../../testkit/prng.js';

// Test-time flip averaging with the real embedder: the averaged embedding of an aligned face and
// of its mirror image must be the same vector (that is what averaging the two views means), while
// the single-view embeddings of the two differ. A wrong mirror (rows, planes, channel order) breaks it.
let session: InferenceSession;
before(async () => {
  const bytes = await nodeModelSource().load(PIPELINE_MODEL_IDS.embedder);
  session = await createOnnxNodeBackend().createSession(bytes, { threads: 1 });
});
after(() => session.release());

function texture(seed: number): RgbImage {
  const data = new Uint8Array(112 * 112 * 3);
  const rand = mulberry32(seed);
  for (let i = 0; i < data.length; i++) {
    // A left-right asymmetric gradient plus noise, so the mirror image is really different.
    data[i] = ((i / 3) % 112) * 1.5 + Math.floor(rand() * 60);
  }
  return { width: 112, height: 112, data };
}

function mirrored(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) for (let c = 0; c < 3; c++) out[(y * img.width + x) * 3 + c] = img.data[(y * img.width + (img.width - 1 - x)) * 3 + c]!;
  return { ...img, data: out };
}

test('mirrorPlanes reverses every row of every plane', () => {
  const t = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  mirrorPlanes(t, 3);
  assert.deepEqual(Array.from(t), [3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
});

test('the flip-averaged embedding is the same for an aligned face and its mirror image; single views differ', async () => {
  const img = texture(7);
  const flipA = await embedAlignedFace(session, img, 'flip-average');
  const flipB = await embedAlignedFace(session, mirrored(img), 'flip-average');
  assert.ok(cosineSimilarity(flipA, flipB) > 0.9999, `cosine ${cosineSimilarity(flipA, flipB)}`);
  const singleA = await embedAlignedFace(session, img, 'single');
  const singleB = await embedAlignedFace(session, mirrored(img), 'single');
  assert.ok(cosineSimilarity(singleA, singleB) < 0.999, 'the two views are different inputs to the model');
  let norm = 0;
  for (const x of flipA) norm += x * x;
  assert.ok(Math.abs(norm - 1) < 1e-5, 'normalised');
});
