/**
 * npm run bench:subnormals -- [--images N]
 *
 * Does zeroing subnormal weights at fetch time change embeddings? WebAssembly has no
 * flush-to-zero mode, so the browser SDK zeroes the subnormal float32 weights of the embedder
 * and the landmark model after their sha256 check (sdk/src/runtime/onnx-subnormals.ts). This
 * runs the whole pipeline on every lfw-dev image twice in Node, both WITHOUT onnxruntime's
 * denormal-as-zero (so Node computes as WASM would): once with the original weights, once with
 * the zeroed ones, and reports the lowest cosine between the two embeddings of each image and
 * the stage times. The browser SDK zeroes only if the lowest cosine is ≥ 0.99999.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createOnnxNodeBackend } from '../sdk/src/runtime/onnx-node-backend.js';
import { nodeModelSource } from '../sdk/src/runtime/node-model-source.js';
import { PIPELINE_MODEL_IDS } from '../sdk/src/runtime/model-manifest.js';
import { zeroSubnormalWeights } from '../sdk/src/runtime/onnx-subnormals.js';
import { cosineSimilarity, createFacePipeline, type StageTimings } from '../sdk/src/node.js';
import { imagePath, loadPairDataset, resolveDataset } from './lib/dataset.js';
import { runInfo } from './lib/run-info.js';
import { summarise } from '../testkit/stats.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const { values } = parseArgs({ options: { images: { type: 'string' } } });
const ds = await loadPairDataset(resolveDataset(undefined, 'lfw-dev'));
const files = ds.images.slice(0, values.images ? Number(values.images) : undefined);

const ZEROED = [PIPELINE_MODEL_IDS.embedder, PIPELINE_MODEL_IDS.landmarks];
const plain = nodeModelSource();
const zeroedCounts: Record<string, number> = {};
const zeroedSource = {
  manifest: plain.manifest,
  async load(id: string) {
    const bytes = await plain.load(id);
    if (ZEROED.includes(id as (typeof ZEROED)[number])) zeroedCounts[id] = zeroSubnormalWeights(bytes);
    return bytes;
  },
};
const common = { qualityGate: 'report' as const, enforceLiveness: false, backend: createOnnxNodeBackend({ denormalAsZero: false }) };
const original = await createFacePipeline({ ...common, models: plain });
const zeroed = await createFacePipeline({ ...common, models: zeroedSource });

const cosines: number[] = [];
const embedMs = { original: [] as number[], zeroed: [] as number[] };
const landmarksMs = { original: [] as number[], zeroed: [] as number[] };
let refusedByBoth = 0;
let outcomeDiffers = 0;
for (const rel of files) {
  const bytes = await readFile(imagePath(ds, rel));
  const ta: StageTimings = {};
  const tb: StageTimings = {};
  const a = await original.process(bytes, { timings: ta });
  const b = await zeroed.process(bytes, { timings: tb });
  if (a.ok !== b.ok) outcomeDiffers++;
  if (!a.ok || !b.ok) {
    if (!a.ok && !b.ok) refusedByBoth++;
    continue;
  }
  cosines.push(cosineSimilarity(a.embedding, b.embedding));
  embedMs.original.push(ta.embed ?? 0);
  embedMs.zeroed.push(tb.embed ?? 0);
  landmarksMs.original.push(ta.landmarks ?? 0);
  landmarksMs.zeroed.push(tb.landmarks ?? 0);
}
await original.close();
await zeroed.close();

const lowest = Math.min(...cosines);
const result = {
  ...runInfo(),
  about: 'Whole pipeline in Node without denormal-as-zero (as WASM computes), original vs subnormal-zeroed weights of the embedder and landmark model',
  images: files.length,
  compared: cosines.length,
  refusedByBoth,
  outcomeDiffers,
  zeroedWeights: zeroedCounts,
  lowestCosine: lowest,
  cosinesBelow0_99999: cosines.filter((c) => c < 0.99999).length,
  verdict: lowest >= 0.99999 && outcomeDiffers === 0 ? 'zero them: embeddings unchanged' : 'keep them: embeddings move',
  embedMs: { original: summarise(embedMs.original), zeroed: summarise(embedMs.zeroed) },
  landmarksMs: { original: summarise(landmarksMs.original), zeroed: summarise(landmarksMs.zeroed) },
};
await mkdir(RESULTS, { recursive: true });
await writeFile(`${RESULTS}subnormals.json`, `${JSON.stringify(result, null, 2)}\n`);
console.log(JSON.stringify({ images: result.images, compared: result.compared, lowestCosine: lowest, verdict: result.verdict, zeroedWeights: zeroedCounts, embedMedian: [result.embedMs.original.median, result.embedMs.zeroed.median] }));
