/**
 * npm run bench:browser -- [--images N] [--repeat N] [--warmup N] [--throttle-images N] [--threads N]
 *
 * The SDK pipeline in headless Chromium (onnxruntime-web, WASM) against the same pipeline in Node
 * (onnxruntime-node, 1 thread), on the same lfw-dev images, interleaved batch by batch so both
 * see the same machine load. Writes benchmarks/results/browser.json. --threads: WASM threads for
 * the main run (default: the SDK's own choice, see webThreads).
 *
 * - First load: a fresh browser profile (nothing cached) opens /app/ and builds the pipeline as
 *   the app does (models as fp16 wire files); bytes are the page's own resource timings
 *   (encodedBodySize = gzip on the wire, decodedBodySize = raw), per file; brotli is what the
 *   same files would be at quality 11 (computed here: the service serves gzip); time is from the
 *   SDK import to a ready pipeline.
 * - Per image: the fastest of --repeat runs (as bench:sdk), quality gate in report mode and
 *   liveness not enforced, so every stage runs on every image.
 * - Low-end phone: Chrome's CPU throttling (CDP Emulation.setCPUThrottlingRate 4× and 6×) on a
 *   subset, and the same subset with as many WASM threads as the browser reports cores, and with
 *   the fp32 model files instead of the fp16 wire files (the computation is fp32 either way).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { brotliCompressSync, constants as zlib } from 'node:zlib';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { BrowserContext, Page } from 'playwright-core';
import { createFacePipeline, type StageTimings } from '../sdk/src/node.js';
import { launchChromium, openSdkPage, processInBrowser, type BrowserFaceRow } from '../service/test/chromium.js';
import { createHarness } from '../service/test/harness.js';
import { imagePath, loadPairDataset, resolveDataset } from './lib/dataset.js';
import { runInfo } from './lib/run-info.js';
import { round, summarise } from '../testkit/stats.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const STAGES = ['decode', 'detect', 'landmarks', 'align', 'quality', 'liveness', 'embed', 'total'] as const;
const { values } = parseArgs({
  options: {
    images: { type: 'string', default: '150' },
    repeat: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '5' },
    'throttle-images': { type: 'string', default: '20' },
    threads: { type: 'string' },
  },
});
const mainOptions = values.threads ? { threads: Number(values.threads) } : {};
const repeat = Math.max(1, Number(values.repeat));
const ds = await loadPairDataset(resolveDataset(undefined, 'lfw-dev'));
const files = ds.images.slice(0, Number(values.images));
const jpegs = await Promise.all(files.map((rel) => readFile(imagePath(ds, rel))));
const b64 = jpegs.map((j) => j.toString('base64'));
const subset = b64.slice(0, Number(values['throttle-images']));
const PIPELINE_OPTIONS = { qualityGate: 'report', enforceLiveness: false } as const;
const loadAtStart = loadavg()[0] ?? 0;

const h = await createHarness();
const base = await h.app.listen({ port: 0, host: '127.0.0.1' });
const profiles: string[] = [];

async function freshPage(options: Record<string, unknown>) {
  const dir = mkdtempSync(join(tmpdir(), 'chehra-bench-browser-'));
  profiles.push(dir);
  const context = await launchChromium({ userDataDir: dir });
  const opened = await openSdkPage(context, base, { ...PIPELINE_OPTIONS, ...options });
  await processInBrowser(opened.page, b64.slice(0, Number(values.warmup)));
  return { context, ...opened };
}

const stagesOf = (rows: Array<Record<string, number>>) => Object.fromEntries(STAGES.map((s) => [s, summarise(rows.map((r) => r[s] ?? 0))]));
const okTimings = (rows: BrowserFaceRow[]) => rows.filter((r) => r.ok).map((r) => r.timings);

async function timed(page: Page, images: string[]) {
  return stagesOf(okTimings(await processInBrowser(page, images, repeat)));
}

// 1. First load into an empty profile, then the main run, interleaved with Node.
const main = await freshPage(mainOptions);
const brotli = async (path: string) => {
  const res = await h.app.inject({ method: 'GET', url: path });
  return brotliCompressSync(res.rawPayload, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length;
};
const loadedFiles = await Promise.all(main.resources.map(async (r) => ({ path: r.name, bytes: r.decoded, gzip: r.encoded, brotli: await brotli(r.name) })));
const firstLoad = {
  ms: round(main.loadMs, 0),
  bytes: loadedFiles.reduce((s, f) => s + f.bytes, 0),
  bytesGzip: loadedFiles.reduce((s, f) => s + f.gzip, 0),
  bytesBrotli: loadedFiles.reduce((s, f) => s + f.brotli, 0),
  files: loadedFiles,
};
const node = await createFacePipeline({ threads: 1, ...PIPELINE_OPTIONS });
for (const j of jpegs.slice(0, Number(values.warmup))) await node.process(j);
const browserRows: Array<Record<string, number>> = [];
const nodeRows: Array<Record<string, number>> = [];
const BATCH = 10;
for (let i = 0; i < jpegs.length; i += BATCH) {
  browserRows.push(...okTimings(await processInBrowser(main.page, b64.slice(i, i + BATCH), repeat)));
  for (const jpeg of jpegs.slice(i, i + BATCH)) {
    let best: StageTimings | undefined;
    for (let r = 0; r < repeat; r++) {
      const t: StageTimings = {};
      const res = await node.process(jpeg, { timings: t });
      if (res.ok) res.embedding.fill(0);
      if (res.ok && (!best || (t.total ?? 0) < (best.total ?? 0))) best = t;
    }
    if (best) nodeRows.push(best as Record<string, number>);
  }
  process.stdout.write(`\r${Math.min(i + BATCH, jpegs.length)}/${jpegs.length} images`);
}
process.stdout.write('\n');
await node.close();
const browserStages = stagesOf(browserRows);
const nodeStages = stagesOf(nodeRows);

// 2. Low-end phone: the same page, CPU throttled by Chrome's DevTools protocol.
const cdp = await main.context.newCDPSession(main.page);
const throttled: Record<string, unknown> = {};
for (const rate of [4, 6]) {
  await cdp.send('Emulation.setCPUThrottlingRate', { rate });
  throttled[`${rate}x`] = await timed(main.page, subset);
}
await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
const unthrottledSubset = await timed(main.page, subset);
await main.context.close();

// 3. Every core a WASM thread, and the fp32 model files, on the subset (each a fresh page).
const cores = main.hardwareConcurrency;
const wide = await freshPage({ ...mainOptions, threads: cores });
const allCores = { threads: wide.threads, stages: await timed(wide.page, subset) };
await wide.context.close();
const fp32 = await freshPage({ ...mainOptions, fp16Wire: false });
const fp32Models = await timed(fp32.page, subset);
await fp32.context.close();

await h.close();
for (const dir of profiles) rmSync(dir, { recursive: true, force: true });

const medianMs = browserStages.total!.median;
const nodeMedianMs = nodeStages.total!.median;
const result = {
  images: browserRows.length,
  imagesAsked: files.length,
  medianMs: round(medianMs),
  p95Ms: round(browserStages.total!.p95),
  nodeMedianMs: round(nodeMedianMs),
  nodeP95Ms: round(nodeStages.total!.p95),
  ratioToNode: round(medianMs / nodeMedianMs),
  firstLoadBytes: firstLoad.bytes,
  firstLoadBytesGzip: firstLoad.bytesGzip,
  firstLoadBytesBrotli: firstLoad.bytesBrotli,
  firstLoadMs: firstLoad.ms,
  threads: main.threads,
  crossOriginIsolated: main.crossOriginIsolated,
  targets: { ratioToNode: 1.6, firstLoadBytesGzip: 8_000_000 },
  stages: { browser: browserStages, node: nodeStages },
  firstLoad,
  subset: {
    images: subset.length,
    unthrottled: unthrottledSubset,
    cpuThrottled: throttled,
    allCores,
    fp32Models,
    note: 'CPU throttling slows the page\'s main thread and its workers by the factor on this machine\'s cores; it models a slower CPU, not a phone\'s memory or thermal limits',
  },
  browser: { userAgent: main.userAgent, hardwareConcurrency: main.hardwareConcurrency },
  settings: { repeat, perImage: 'fastest of the repeats (by total)', ...PIPELINE_OPTIONS, browserThreads: values.threads ? Number(values.threads) : 'SDK default', nodeThreads: 1, interleaved: `batches of ${BATCH}` },
  loadAverage1mAtStart: loadAtStart,
  loadAverage1mAtEnd: loadavg()[0],
  ...runInfo(),
};
await mkdir(RESULTS, { recursive: true });
await writeFile(join(RESULTS, 'browser.json'), `${JSON.stringify(result, null, 2)}\n`);
const fmt = (x: { median: number; p95: number } | undefined) => (x ? `${x.median.toFixed(1).padStart(7)} ${x.p95.toFixed(1).padStart(7)}` : '');
console.log(`stage        browser: median  p95 | node: median  p95   (ms, ${result.images} images)`);
for (const s of STAGES) console.log(`${s.padEnd(12)} ${fmt(browserStages[s])}       | ${fmt(nodeStages[s])}`);
console.log(`ratio ${result.ratioToNode}× (target ≤ 1.6); first load ${(firstLoad.bytesGzip / 1e6).toFixed(2)} MB gzip (brotli ${(firstLoad.bytesBrotli / 1e6).toFixed(2)}) / ${(firstLoad.bytes / 1e6).toFixed(2)} MB raw in ${firstLoad.ms} ms; threads ${result.threads}, isolated ${result.crossOriginIsolated}`);
for (const f of loadedFiles) console.log(`  ${f.path.padEnd(40)} ${String(f.gzip).padStart(9)} gzip ${String(f.brotli).padStart(9)} br ${String(f.bytes).padStart(9)} raw`);
console.log(`subset of ${subset.length}: ${unthrottledSubset.total!.median.toFixed(1)} ms; ${allCores.threads} threads ${allCores.stages.total!.median.toFixed(1)} ms; fp32 model files ${fp32Models.total!.median.toFixed(1)} ms`);
console.log(`throttled 4×: ${(throttled['4x'] as any).total.median.toFixed(1)} ms, 6×: ${(throttled['6x'] as any).total.median.toFixed(1)} ms (unthrottled subset ${unthrottledSubset.total!.median.toFixed(1)}); load ${loadAtStart.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`);
