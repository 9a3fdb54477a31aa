/**
 * npm run bench:fp16 -- [--images N]
 *
 * What do fp16 weights on the wire (sdk/src/runtime/fp16-wire.ts) do to each model's outputs?
 * The browser widens them back to fp32, so the only change is the rounding of the weights. On
 * every lfw-dev image (and the PAD samples), in Node, each model runs twice on the SAME input,
 * once with its original weights and once with the rounded ones:
 *
 * - detector: same faces found? primary box IoU, shift of its edges in pixels, score change;
 * - landmarks (both passes, from the same box): largest point shift, in pixels and as a
 *   fraction of the eye distance;
 * - eyes: largest change of the closed-eye probability;
 * - liveness: largest score change, and decisions that flip at the calibrated threshold — and,
 *   for scale, how many flip when the fp32 detector's box alone moves by 0.05 px (the liveness
 *   model is that sensitive to its crop; a camera moves faces by far more between frames);
 * - head pose (fr_pose, which the browser fetches only when a face is near a pose limit):
 *   largest change of yaw, pitch or roll in degrees;
 * - embedder (same aligned face): lowest cosine.
 *
 * Then the whole pipeline (gates enforced, as the app runs it) with all original weights against
 * all rounded ones: gate decisions that differ, the largest liveness score change and the lowest
 * embedding cosine. The rounded
 * models are the bytes the browser rebuilds (encode → decode). Writes results/fp16-wire.json.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeImage } from '../sdk/src/decode/sharp.js';
import { DEFAULT_LIMITS } from '../sdk/src/decode/limits.js';
import { decodeFp16Wire, encodeFp16Wire } from '../sdk/src/runtime/fp16-wire.js';
import type { InferenceSession } from '../sdk/src/runtime/inference.js';
import { manifestEntry, PIPELINE_MODEL_IDS, thresholdOf } from '../sdk/src/runtime/model-manifest.js';
import { nodeModelSource } from '../sdk/src/runtime/node-model-source.js';
import { createOnnxNodeBackend } from '../sdk/src/runtime/onnx-node-backend.js';
import { cosineSimilarity, createFacePipeline } from '../sdk/src/node.js';
import { alignmentMap, ALIGNED_SIZE } from '../sdk/src/vision/align.js';
import { detectFaces, pickPrimaryFace, squareFaceBox } from '../sdk/src/vision/detect.js';
import { embedAlignedFace } from '../sdk/src/vision/embed.js';
import { estimateEyes } from '../sdk/src/vision/eyes.js';
import { fivePoints, locateLandmarks } from '../sdk/src/vision/landmarks.js';
import { scoreLiveness } from '../sdk/src/vision/liveness.js';
import { estimatePose } from '../sdk/src/vision/pose.js';
import { iou } from '../sdk/src/vision/nms.js';
import { Pyramid } from '../sdk/src/vision/pyramid.js';
import { warpRgb } from '../sdk/src/vision/warp.js';
import { PAD_SAMPLES } from '../sdk/test/vision/fixtures.js';
import { imagePath, loadPairDataset, resolveDataset } from './lib/dataset.js';
import { runInfo } from './lib/run-info.js';
import { round, summarise } from '../testkit/stats.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const { values } = parseArgs({ options: { images: { type: 'string' } } });
const ds = await loadPairDataset(resolveDataset(undefined, 'lfw-dev'));
const files = [
  ...ds.images.slice(0, values.images ? Number(values.images) : undefined).map((rel) => imagePath(ds, rel)),
  ...['image_F1.jpg', 'image_F2.jpg', 'image_T1.jpg'].map((f) => join(PAD_SAMPLES, f)),
];

type Role = keyof typeof PIPELINE_MODEL_IDS;
const ROLES: Role[] = ['detector', 'landmarks', 'eyes', 'liveness', 'pose', 'embedder'];
const plain = nodeModelSource();
const manifest = await plain.manifest();
const liveThreshold = thresholdOf(manifestEntry(manifest, PIPELINE_MODEL_IDS.liveness), 'live');
const wireStats: Record<string, { tensors: number; floats: number }> = {};
/** The bytes the browser rebuilds from the fp16 wire file. */
const rounded = {
  manifest: plain.manifest,
  async load(id: string) {
    const { wire, ...stats } = encodeFp16Wire(await plain.load(id));
    wireStats[id] = stats;
    return decodeFp16Wire(wire);
  },
};
const backend = createOnnxNodeBackend();
const sessions = async (source: typeof plain) =>
  Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await backend.createSession(await source.load(PIPELINE_MODEL_IDS[r]))] as const))) as Record<Role, InferenceSession>;
const a = await sessions(plain);
const b = await sessions(rounded);

const worst = {
  detector: { facesDiffer: 0, primaryMissingInOne: 0, lowestIoU: 1, largestScoreChange: 0, boxShiftPx: {} as ReturnType<typeof summarise> & { max: number } },
  landmarks: { largestShiftPx: 0, largestShiftOfEyeDistance: 0 },
  eyes: { largestChange: 0 },
  liveness: {
    largestChange: 0,
    decisionsFlipped: 0,
    flippedScores: [] as Array<[number, number]>,
    fp32BoxMoved0_05px: { largestChange: 0, decisionsFlipped: 0 },
  },
  pose: { largestChangeDegrees: 0 },
  embedder: { lowestCosine: 1, below0_9999: 0 },
};
let measured = 0;
const boxShifts: number[] = [];
for (const file of files) {
  const decoded = await decodeImage(await readFile(file), DEFAULT_LIMITS);
  if (!decoded.ok) continue;
  const pyramid = new Pyramid(decoded.image);
  const { width, height } = decoded.image;
  const settings = { scoreThreshold: 0.7, iouThreshold: 0.4 };
  const fa = await detectFaces(a.detector, pyramid, settings);
  const fb = await detectFaces(b.detector, pyramid, settings);
  if (fa.length !== fb.length) worst.detector.facesDiffer++;
  const pa = pickPrimaryFace(fa, width, height);
  const pb = pickPrimaryFace(fb, width, height);
  if (!pa || !pb) {
    if (pa || pb) worst.detector.primaryMissingInOne++;
    continue;
  }
  measured++;
  worst.detector.lowestIoU = Math.min(worst.detector.lowestIoU, iou(pa, pb));
  boxShifts.push(Math.max(Math.abs(pa.x1 - pb.x1), Math.abs(pa.y1 - pb.y1), Math.abs(pa.x2 - pb.x2), Math.abs(pa.y2 - pb.y2)));
  worst.detector.largestScoreChange = Math.max(worst.detector.largestScoreChange, Math.abs(pa.score - pb.score));

  const square = squareFaceBox(pa, width, height);
  const la = await locateLandmarks(a.landmarks, pyramid, square);
  const lb = await locateLandmarks(b.landmarks, pyramid, square);
  const five = fivePoints(la);
  const eyeDistance = Math.hypot(five[1].x - five[0].x, five[1].y - five[0].y);
  const shift = Math.max(...la.map((p, i) => Math.hypot(p.x - lb[i]!.x, p.y - lb[i]!.y)));
  worst.landmarks.largestShiftPx = Math.max(worst.landmarks.largestShiftPx, shift);
  worst.landmarks.largestShiftOfEyeDistance = Math.max(worst.landmarks.largestShiftOfEyeDistance, shift / eyeDistance);

  const ea = await estimateEyes(a.eyes, pyramid, la);
  const eb = await estimateEyes(b.eyes, pyramid, la);
  worst.eyes.largestChange = Math.max(worst.eyes.largestChange, Math.abs(ea.closedLeft - eb.closedLeft), Math.abs(ea.closedRight - eb.closedRight));

  const sa = await scoreLiveness(a.liveness, pyramid, pa);
  const sb = await scoreLiveness(b.liveness, pyramid, pa);
  const moved = await scoreLiveness(a.liveness, pyramid, { x1: pa.x1 + 0.05, y1: pa.y1, x2: pa.x2 + 0.05, y2: pa.y2 });
  const jitter = worst.liveness.fp32BoxMoved0_05px;
  jitter.largestChange = Math.max(jitter.largestChange, Math.abs(moved - sa));
  if (sa >= liveThreshold !== moved >= liveThreshold) jitter.decisionsFlipped++;
  worst.liveness.largestChange = Math.max(worst.liveness.largestChange, Math.abs(sa - sb));
  if (sa >= liveThreshold !== sb >= liveThreshold) {
    worst.liveness.decisionsFlipped++;
    worst.liveness.flippedScores.push([round(sa, 5), round(sb, 5)]);
  }

  const posA = await estimatePose(a.pose, pyramid, pa);
  const posB = await estimatePose(b.pose, pyramid, pa);
  worst.pose.largestChangeDegrees = Math.max(worst.pose.largestChangeDegrees, Math.abs(posA.yaw - posB.yaw), Math.abs(posA.pitch - posB.pitch), Math.abs(posA.roll - posB.roll));

  const aligned = warpRgb(pyramid, alignmentMap(five).alignedToSource, ALIGNED_SIZE, ALIGNED_SIZE);
  const cos = cosineSimilarity(await embedAlignedFace(a.embedder, aligned), await embedAlignedFace(b.embedder, aligned));
  worst.embedder.lowestCosine = Math.min(worst.embedder.lowestCosine, cos);
  if (cos < 0.9999) worst.embedder.below0_9999++;
  pyramid.wipe();
}
await Promise.all([...Object.values(a), ...Object.values(b)].map((s) => s.release()));
worst.detector.boxShiftPx = { ...summarise(boxShifts), max: Math.max(...boxShifts) };

// The whole pipeline, gates enforced: original weights against rounded ones.
const original = await createFacePipeline({ models: plain });
const shipped = await createFacePipeline({ models: rounded });
const gateDisagreements: string[] = [];
let bothAccepted = 0;
let lowestCosine = 1;
let largestLivenessChange = 0;
for (const file of files) {
  const bytes = await readFile(file);
  const x = await original.process(bytes);
  const y = await shipped.process(bytes);
  if (x.liveness && y.liveness) largestLivenessChange = Math.max(largestLivenessChange, Math.abs(x.liveness.score - y.liveness.score));
  if (x.ok !== y.ok || (!x.ok && !y.ok && x.reason !== y.reason)) {
    const live = x.liveness && y.liveness ? ` (liveness ${x.liveness.score.toFixed(4)} → ${y.liveness.score.toFixed(4)}, threshold ${liveThreshold})` : '';
    gateDisagreements.push(`${file.split('/').slice(-2).join('/')}: original ${x.ok ? 'ok' : x.reason}, fp16 ${y.ok ? 'ok' : y.reason}${live}`);
    continue;
  }
  if (x.ok && y.ok) {
    bothAccepted++;
    lowestCosine = Math.min(lowestCosine, cosineSimilarity(x.embedding, y.embedding));
  }
}
await original.close();
await shipped.close();

const result = {
  ...runInfo(),
  about: 'fp32 weights vs the fp16-rounded weights the browser rebuilds from the wire file; Node, same inputs',
  images: files.length,
  measured,
  perModel: worst,
  pipeline: { bothAccepted, lowestCosine, largestLivenessChange, gateDisagreements },
  convertedTensors: wireStats,
};
await mkdir(RESULTS, { recursive: true });
await writeFile(`${RESULTS}fp16-wire.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ images: files.length, measured, ...worst, pipeline: { bothAccepted, lowestCosine, largestLivenessChange, gateDisagreements: gateDisagreements.length } }, null, 1));
for (const d of gateDisagreements) console.log(`  ${d}`);
