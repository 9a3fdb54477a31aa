import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createOnnxNodeBackend } from '../../src/runtime/onnx-node-backend.js';
import { nodeModelSource } from '../../src/runtime/node-model-source.js';
import { PIPELINE_MODEL_IDS } from '../../src/runtime/model-manifest.js';
import type { InferenceSession } from '../../src/runtime/inference.js';
import { applyAffine, invertAffine } from '../../src/vision/affine.js';
import { ARCFACE_REFERENCE, umeyamaSimilarity } from '../../src/vision/align.js';
import { decodeImage } from '../../src/decode/sharp.js';
import { detectFaces, pickPrimaryFace, squareFaceBox } from '../../src/vision/detect.js';
import { fivePoints, locateLandmarks } from '../../src/vision/landmarks.js';
import { Pyramid } from '../../src/vision/pyramid.js';
import { warpRgb } from '../../src/vision/warp.js';
import type { Point, RgbImage } from '../../src/vision/image.js';
import { FRONTAL, lfwImage, requireDatasets } from './fixtures.js';

let detector: InferenceSession;
let landmarks: InferenceSession;

before(async () => {
  requireDatasets();
  const backend = createOnnxNodeBackend();
  const models = nodeModelSource();
  detector = await backend.createSession(await models.load(PIPELINE_MODEL_IDS.detector));
  landmarks = await backend.createSession(await models.load(PIPELINE_MODEL_IDS.landmarks));
});
after(async () => {
  await detector.release();
  await landmarks.release();
});

async function locateFive(image: RgbImage): Promise<Point[]> {
  const pyramid = new Pyramid(image);
  const face = pickPrimaryFace(await detectFaces(detector, pyramid, { scoreThreshold: 0.7, iouThreshold: 0.4 }), image.width, image.height);
  assert.ok(face, 'a face is found');
  return fivePoints(await locateLandmarks(landmarks, pyramid, squareFaceBox(face, image.width, image.height)));
}

test('umeyamaSimilarity recovers a known rotation, scale and shift exactly', () => {
  const angle = 0.3;
  const scale = 1.7;
  const truth = (p: Point): Point => ({
    x: scale * (Math.cos(angle) * p.x - Math.sin(angle) * p.y) + 12,
    y: scale * (Math.sin(angle) * p.x + Math.cos(angle) * p.y) - 5,
  });
  const src = ARCFACE_REFERENCE.map((p) => ({ x: p.x * 2 + 3, y: p.y * 1.5 }));
  const m = umeyamaSimilarity(src, src.map(truth));
  for (const p of src) {
    const got = applyAffine(m, p);
    const want = truth(p);
    assert.ok(Math.hypot(got.x - want.x, got.y - want.y) < 1e-9);
  }
  // A similarity, never a shear or a mirror: equal column norms, positive determinant.
  assert.ok(Math.abs(m[0] - m[4]) < 1e-12 && Math.abs(m[1] + m[3]) < 1e-12);
  assert.ok(m[0] * m[4] - m[1] * m[3] > 0);
});

test('the warped face has its eyes within 2 px of the ArcFace reference points', async () => {
  const decoded = await decodeImage(await lfwImage(FRONTAL));
  assert.ok(decoded.ok);
  const five = await locateFive(decoded.image);

  // Warp to the reference, but onto a 224×224 canvas offset by 56 px, so the detector and the
  // landmark model see the aligned face with the context they expect; then find the eyes again.
  const OFFSET = 56;
  const target = ARCFACE_REFERENCE.map((p) => ({ x: p.x + OFFSET, y: p.y + OFFSET }));
  const toTarget = umeyamaSimilarity(five, target);
  const warped = warpRgb(new Pyramid(decoded.image), invertAffine(toTarget), 224, 224);
  const again = await locateFive(warped);

  for (const eye of [0, 1]) {
    const dx = again[eye]!.x - target[eye]!.x;
    const dy = again[eye]!.y - target[eye]!.y;
    assert.ok(Math.hypot(dx, dy) <= 2, `eye ${eye} is ${Math.hypot(dx, dy).toFixed(2)} px from the reference`);
  }
});
