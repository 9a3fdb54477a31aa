import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createOnnxNodeBackend } from '../../src/runtime/onnx-node-backend.js';
import { nodeModelSource } from '../../src/runtime/node-model-source.js';
import { PIPELINE_MODEL_IDS } from '../../src/runtime/model-manifest.js';
import type { InferenceSession } from '../../src/runtime/inference.js';
import { decodeImage } from '../../src/decode/sharp.js';
import { detectFaces, pickPrimaryFace, squareFaceBox } from '../../src/vision/detect.js';
import type { Point } from '../../src/vision/image.js';
import { locateLandmarks } from '../../src/vision/landmarks.js';
import { estimatePose, needsPoseModel, poseFromLandmarks } from '../../src/vision/pose.js';
import { Pyramid } from '../../src/vision/pyramid.js';
import { DEFAULT_QUALITY } from '../../src/vision/quality.js';
import { LFW_DEV, lfwImage, requireDatasets } from './fixtures.js';

const s: Record<'detector' | 'landmarks' | 'pose', InferenceSession> = {} as never;

before(async () => {
  requireDatasets();
  const backend = createOnnxNodeBackend();
  const models = nodeModelSource();
  for (const role of ['detector', 'landmarks', 'pose'] as const) s[role] = await backend.createSession(await models.load(PIPELINE_MODEL_IDS[role]));
});
after(async () => {
  for (const session of Object.values(s)) await session.release();
});

test('landmark pose agrees with fr_pose on lfw-dev faces, and fr_pose is asked whenever a limit is near', async () => {
  const csv = await readFile(join(LFW_DEV, 'pairs.csv'), 'utf8');
  const images = [...new Set(csv.trim().split('\n').slice(1).flatMap((l) => l.split(',').slice(1, 3)))].slice(0, 80);
  const yawErr: number[] = [];
  const pitchErr: number[] = [];
  for (const rel of images) {
    const decoded = await decodeImage(await lfwImage(rel));
    assert.ok(decoded.ok);
    const pyramid = new Pyramid(decoded.image);
    const { width, height } = decoded.image;
    const face = pickPrimaryFace(await detectFaces(s.detector, pyramid, { scoreThreshold: 0.7, iouThreshold: 0.4 }), width, height);
    assert.ok(face, rel);
    const points = await locateLandmarks(s.landmarks, pyramid, squareFaceBox(face, width, height));
    const model = await estimatePose(s.pose, pyramid, face);
    const proxy = poseFromLandmarks(points);
    yawErr.push(Math.abs(proxy.yaw - model.yaw));
    pitchErr.push(Math.abs(proxy.pitch - model.pitch));
    if (!needsPoseModel(proxy, DEFAULT_QUALITY)) {
      // Skipping fr_pose must never skip a refusal it would have made.
      assert.ok(Math.abs(model.yaw) <= DEFAULT_QUALITY.maxYaw && Math.abs(model.pitch) <= DEFAULT_QUALITY.maxPitch && Math.abs(model.roll) <= DEFAULT_QUALITY.maxRoll, rel);
    }
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean(yawErr) < 4, `yaw mean abs difference ${mean(yawErr).toFixed(2)}°`);
  assert.ok(mean(pitchErr) < 7, `pitch mean abs difference ${mean(pitchErr).toFixed(2)}°`);
});

test('landmark roll is the eye line angle; a mirrored face turns the other way', () => {
  // A symmetric frontal layout: contour 0-16 on a U, eyes, nose, mouth.
  const p: Point[] = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  for (let i = 0; i <= 16; i++) {
    const t = Math.PI * (i / 16);
    p[i] = { x: -Math.cos(t) * 1.9, y: Math.sin(t) * 1.8 - 0.3 };
  }
  for (let i = 36; i <= 41; i++) p[i] = { x: -0.5 + 0.05 * (i - 38.5), y: 0 };
  for (let i = 42; i <= 47; i++) p[i] = { x: 0.5 + 0.05 * (i - 44.5), y: 0 };
  p[30] = { x: 0.4, y: 0.6 };
  p[48] = { x: -0.4, y: 1.1 };
  p[54] = { x: 0.4, y: 1.1 };
  const turned = poseFromLandmarks(p);
  // Mirrored: x negated and left/right points swapped (contour i <-> 16-i, eyes, mouth corners).
  const twin = (i: number) => (i <= 16 ? 16 - i : i >= 36 && i <= 41 ? i + 6 : i >= 42 && i <= 47 ? i - 6 : i === 48 ? 54 : i === 54 ? 48 : i);
  const mirrored = poseFromLandmarks(p.map((_, i) => ({ x: -p[twin(i)]!.x, y: p[twin(i)]!.y })));
  assert.ok(turned.yaw < -5, 'nose right of the midline reads as a turn');
  assert.ok(Math.abs(turned.yaw + mirrored.yaw + 2 * 1.063) < 1e-6, 'mirror flips the yaw about the fit intercept');
  assert.ok(Math.abs(turned.pitch - mirrored.pitch) < 1e-9);
  assert.ok(Math.abs(turned.roll) < 1e-9);
  const a = (20 * Math.PI) / 180;
  const rotated = poseFromLandmarks(p.map((q) => ({ x: 100 + 50 * (q.x * Math.cos(a) - q.y * Math.sin(a)), y: 80 + 50 * (q.x * Math.sin(a) + q.y * Math.cos(a)) })));
  assert.ok(Math.abs(rotated.roll - 20) < 1e-6);
  assert.ok(Math.abs(rotated.yaw - turned.yaw) < 1e-6 && Math.abs(rotated.pitch - turned.pitch) < 1e-6, 'yaw and pitch do not depend on roll, position or scale');
  assert.ok(needsPoseModel({ yaw: NaN, pitch: 0, roll: 0 }, DEFAULT_QUALITY));
});
