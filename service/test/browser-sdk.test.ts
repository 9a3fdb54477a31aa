import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import sharp from 'sharp';
import type { BrowserContext, Page } from 'playwright-core';
import { createFacePipeline, cosineSimilarity, type FacePipeline } from '../../sdk/src/node.js';
import { PIPELINE_MODEL_IDS, type ModelManifest } from '../../sdk/src/runtime/model-manifest.js';
import { imagePath, loadPairDataset, resolveDataset } from '../../benchmarks/lib/dataset.js';
import { pngHeaderOnly, PAD_SAMPLES, requireDatasets } from '../../sdk/test/vision/fixtures.js';
import { launchChromium, openSdkPage, processInBrowser } from './chromium.js';
import { createHarness, type Harness } from './harness.js';

/**
 * The browser SDK in real Chromium against the real service: the same pipeline on onnxruntime-web
 * must give the embeddings Node gives (cosine ≥ 0.999 on every lfw-dev image both accept), so a
 * template enrolled on either matches probes from either. The page runs what a phone runs: the
 * models fetched as fp16 wire files and widened (runtime/fp16-wire.ts), against Node's fp32
 * models. CHEHRA_BROWSER_TEST_IMAGES limits the image count for a quick run; the default is
 * every lfw-dev image.
 */

let h: Harness;
let base: string;
let context: BrowserContext;
let page: Page;
let node: FacePipeline;
let profile: string;
let loaded: string[];

before(async () => {
  requireDatasets();
  h = await createHarness();
  base = await h.app.listen({ port: 0, host: '127.0.0.1' });
  profile = mkdtempSync(join(tmpdir(), 'chehra-browser-sdk-'));
  context = await launchChromium({ userDataDir: profile });
  const opened = await openSdkPage(context, base);
  page = opened.page;
  loaded = opened.resources.map((r) => r.name);
  node = await createFacePipeline();
});

after(async () => {
  await node?.close();
  await context?.close();
  await h?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the app origin is cross-origin isolated, so WASM may use threads', async () => {
  assert.equal(await page.evaluate(() => crossOriginIsolated), true);
  assert.equal(await page.evaluate(() => (window as any).chehraSdk.webThreads() >= 1), true);
});

test('the page loaded the fp16 wire files the manifest lists, not the fp32 models', async () => {
  const manifest = JSON.parse(await readFile(new URL('../../models/manifest.json', import.meta.url), 'utf8')) as ModelManifest;
  const firstLoad = Object.values(PIPELINE_MODEL_IDS).filter((id) => id !== PIPELINE_MODEL_IDS.pose);
  for (const id of firstLoad) {
    const entry = manifest.models[id]!;
    assert.ok(entry.fp16Wire, `${id} has no fp16 wire file`);
    assert.ok(loaded.includes(`/app/models/${entry.fp16Wire.file}`), `${entry.fp16Wire.file} not loaded: ${loaded.join(', ')}`);
    assert.ok(!loaded.includes(`/app/models/${entry.file}`), `${entry.file} loaded too`);
  }
  const wire = await h.app.inject({ method: 'GET', url: `/app/models/${manifest.models[PIPELINE_MODEL_IDS.embedder]!.fp16Wire!.file}` });
  assert.equal(wire.statusCode, 200);
  assert.equal(wire.headers['content-type'], 'application/octet-stream');
  assert.equal(wire.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(wire.rawPayload.length, manifest.models[PIPELINE_MODEL_IDS.embedder]!.fp16Wire!.bytes);
});

test('runtime and models are served from this origin with their MIME types, isolation headers and revalidation', async () => {
  const wasm = await h.app.inject({ method: 'GET', url: '/app/ort/ort-wasm-simd-threaded.wasm', headers: { 'accept-encoding': 'gzip' } });
  assert.equal(wasm.statusCode, 200);
  assert.equal(wasm.headers['content-type'], 'application/wasm');
  assert.equal(wasm.headers['content-encoding'], 'gzip');
  assert.equal(wasm.headers['cross-origin-embedder-policy'], 'require-corp');
  assert.equal(wasm.headers['cross-origin-opener-policy'], 'same-origin');
  assert.equal(wasm.headers['cache-control'], 'no-cache');
  const again = await h.app.inject({ method: 'GET', url: '/app/ort/ort-wasm-simd-threaded.wasm', headers: { 'if-none-match': String(wasm.headers.etag) } });
  assert.equal(again.statusCode, 304);
  const model = await h.app.inject({ method: 'GET', url: '/app/models/fr_feature.onnx' });
  assert.equal(model.headers['content-type'], 'application/octet-stream');
  assert.equal(model.rawPayload.length, 4884269);
  const mjs = await h.app.inject({ method: 'GET', url: '/app/ort/ort-wasm-simd-threaded.mjs' });
  assert.match(String(mjs.headers['content-type']), /^text\/javascript/);
  for (const url of ['/app/models/..%2Fmanifest.json', '/app/models/secret.onnx', '/app/ort/ort.all.min.mjs', '/app/src', '/app/nope.js']) {
    const res = await h.app.inject({ method: 'GET', url });
    assert.equal(res.statusCode, 404, url);
    assert.equal(res.headers['cross-origin-embedder-policy'], 'require-corp', url);
  }
});

test('a model whose bytes do not match the manifest sha256 is refused in the browser, fp16 or fp32', async () => {
  for (const fp16Wire of [true, false]) {
    const [clean, tampered] = await page.evaluate(async (fp16Wire) => {
      const sdk = (window as any).chehraSdk;
      const tampering = async (url: string, init: RequestInit) => {
        const res = await fetch(url, init);
        if (url.endsWith('manifest.json')) return res;
        const bytes = new Uint8Array(await res.arrayBuffer());
        bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
        return new Response(bytes);
      };
      const attempt = (f?: (url: string, init: RequestInit) => Promise<Response>) =>
        sdk.fetchModelSource({ base: '/app/models/', fp16Wire, fetch: f }).load('faceplugin/fr_eye@0.0.1').then(
          (b: Uint8Array) => `loaded ${b.length}`,
          (e: unknown) => String(e),
        );
      return [await attempt(), await attempt(tampering)];
    }, fp16Wire);
    assert.equal(clean, 'loaded 207130', `fp16Wire ${fp16Wire}: the untampered file loads, at the model's full length`);
    assert.match(tampered, /does not match its sha256/, `fp16Wire ${fp16Wire}`);
  }
});

test('an oversize image is refused from its header, before any decoding', async () => {
  // A valid PNG header claiming 20000×20000 with no pixel data: decoding it would fail as corrupt.
  const [row] = await processInBrowser(page, [Buffer.from(pngHeaderOnly(20_000, 20_000)).toString('base64')]);
  assert.equal(row!.ok, false);
  assert.equal(row!.reason, 'image_too_large');
  const [bad] = await processInBrowser(page, [Buffer.from('not an image at all').toString('base64')]);
  assert.equal(bad!.reason, 'image_unsupported');
});

test('EXIF orientation is honoured: a photo stored sideways gives the upright face', async () => {
  const ds = await loadPairDataset(resolveDataset(undefined, 'lfw-dev'));
  const upright = await readFile(imagePath(ds, 'Abel_Pacheco/Abel_Pacheco_0002.jpg'));
  // Pixels stored rotated 90° anticlockwise, with EXIF orientation 6 ("rotate 90° clockwise to view").
  const sideways = await sharp(upright).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 95 }).toBuffer();
  const [row] = await processInBrowser(page, [sideways.toString('base64')]);
  assert.equal(row!.ok, true, row!.reason);
  const reference = await node.process(upright);
  assert.ok(reference.ok);
  assert.ok(cosineSimilarity(Float32Array.from(row!.embedding!), reference.embedding) > 0.98);
});

test('browser and Node embeddings agree on every lfw-dev image (and the PAD samples) that passes the gates', { timeout: 3_600_000 }, async () => {
  const ds = await loadPairDataset(resolveDataset(undefined, 'lfw-dev'));
  const limit = Number(process.env.CHEHRA_BROWSER_TEST_IMAGES ?? ds.images.length);
  const files = [...ds.images.slice(0, limit).map((rel) => imagePath(ds, rel)), ...['image_F1.jpg', 'image_F2.jpg', 'image_T1.jpg'].map((f) => join(PAD_SAMPLES, f))];
  let compared = 0;
  let worst = 1;
  const gateDisagreements: string[] = [];
  const BATCH = 40;
  for (let i = 0; i < files.length; i += BATCH) {
    const bytes = await Promise.all(files.slice(i, i + BATCH).map((f) => readFile(f)));
    const rows = await processInBrowser(page, bytes.map((b) => b.toString('base64')));
    for (const [k, row] of rows.entries()) {
      const ref = await node.process(bytes[k]!);
      if (row.ok !== ref.ok) {
        gateDisagreements.push(`${files[i + k]}: browser ${row.ok ? 'ok' : row.reason}, node ${ref.ok ? 'ok' : ref.reason}`);
        continue;
      }
      if (!row.ok || !ref.ok) continue;
      const cos = cosineSimilarity(Float32Array.from(row.embedding!), ref.embedding);
      worst = Math.min(worst, cos);
      compared++;
      assert.ok(cos >= 0.999, `${files[i + k]}: browser vs node cosine ${cos}`);
    }
  }
  console.log(`# compared ${compared} of ${files.length} images; lowest cosine ${worst.toFixed(6)}; gate disagreements ${gateDisagreements.length}`);
  for (const d of gateDisagreements) console.log(`#   ${d}`);
  assert.ok(compared >= files.length * 0.5, `only ${compared} images passed the gates in both`);
  // Scores within a hair of a threshold may fall either side; more than 1% would be a real difference.
  assert.ok(gateDisagreements.length <= Math.ceil(files.length * 0.01), gateDisagreements.join('\n'));
});
