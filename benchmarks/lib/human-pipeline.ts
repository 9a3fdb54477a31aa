/**
 * Comparison baseline: `@vladmandic/human` (MIT) face detect + embed, run in Node.
 *
 * WHAT `process(jpeg)` TIMES (everything between receiving the JPEG bytes and
 * having the embedding in hand):
 *   1. JPEG decode with sharp to raw 8-bit RGB (human's Node demos use
 *      `tf.node.decodeImage`, which needs @tensorflow/tfjs-node — not installable here);
 *   2. `tf.tensor3d` of that buffer (int32 HWC, human casts it to float32 itself);
 *   3. `human.detect()`: BlazeFace detector -> crop of each detected face ->
 *      FaceRes "description" model (the 1024-d embedding; FaceRes also computes its
 *      age/gender heads in the same forward pass — they cannot be switched off);
 *   4. copying the first face's embedding into a Float32Array.
 * Model loading, backend init and wasm compilation happen in `createHumanPipeline`
 * and are NOT timed. No warm-up is done here: callers should discard the first few
 * `process` calls (the first inference allocates and is much slower).
 *
 * BACKEND: `@tensorflow/tfjs-backend-wasm` 4.22 through human's `dist/human.node-wasm.js`
 * (XNNPACK SIMD build, single-threaded). `@tensorflow/tfjs-node` cannot be installed
 * (its install step downloads libtensorflow); the wasm backend ships its .wasm files
 * inside the npm package. The pure-JS cpu backend also works but is ~20x slower
 * (measured ~4.3 s/image vs ~0.19 s on wasm for the same config), so it would not be a fair baseline.
 * THREADS: only 1. tfjs-backend-wasm hard-codes `WASM_HAS_MULTITHREAD_SUPPORT = false`
 * when running under Node (tensorflow/tfjs#3830), and forcing the flag on fails at
 * init with ERR_WORKER_PATH: its pthread pool starts workers from a `blob:` URL, which
 * Node's worker_threads refuses. So `{ threads: n }` with n > 1 throws instead of
 * silently reporting single-threaded numbers under a multi-thread label.
 *
 * CONFIG (as lean as human allows for detect + embed, to keep the comparison fair):
 *   - face.detector (blazeface) on, rotation off (human default), maxDetected 1
 *     (human default; `process` returns only the first face's embedding, and with a
 *     higher maxDetected human would run faceres on every face, i.e. time work the
 *     caller throws away) — so `faces` is 0 or 1 here;
 *   - face.description (faceres) on;
 *   - face.mesh off: for a single still image human crops the faceres input from the
 *     detector box before the mesh runs, so the mesh would add ~10 ms and not change
 *     the embedding input; iris/attention/emotion/antispoof/liveness off;
 *   - body, hand, object, segmentation, gesture off;
 *   - input filters off (a tensor input bypasses them anyway);
 *   - every video-oriented cache off: cacheSensitivity 0 and skipFrames/skipTime 0,
 *     so every call really runs the detector and faceres (otherwise, on a repeated or
 *     near-identical input, human reuses the previous frame's boxes/embedding);
 *   - async false (sequential), warmup 'none', debug false, cacheModels false.
 *
 * MODELS: loaded from `node_modules/@vladmandic/human/models` (blazeface, faceres) via a
 * `file://` load router registered on human's tfjs instance — never from the network.
 *
 * Human and its tfjs engine are process-wide singletons (human caches models in module
 * scope), so all pipelines in a process share one loaded instance; `close()` only
 * invalidates the handle and leaves the models resident until the process exits.
 */
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';

// --- narrow local typings for the parts of human / tfjs we use -------------------------
// (human's own .d.ts types `tf` as `any` and its Config as a shallow Partial)

interface TensorLike {
  dispose(): void;
}

interface ModelArtifactsLike {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: unknown;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
}

interface TfLike {
  version_core: string;
  getBackend(): string;
  tensor3d(values: Uint8Array, shape: [number, number, number], dtype: 'int32'): TensorLike;
  io: {
    registerLoadRouter(router: (url: string | string[]) => { load(): Promise<ModelArtifactsLike> } | null): void;
  };
}

interface HumanFace {
  embedding?: number[];
}

interface HumanInstance {
  version: string;
  tf: TfLike;
  env: { wasm: { simd?: boolean; multithread?: boolean } };
  performance: Record<string, number>;
  init(): Promise<void>;
  load(): Promise<void>;
  detect(input: TensorLike): Promise<{ face: HumanFace[]; error?: string | null }>;
}

interface HumanModule {
  Human: new (config: Record<string, unknown>) => HumanInstance;
}

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  signature?: unknown;
  userDefinedMetadata?: unknown;
  weightsManifest: Array<{ paths: string[]; weights: unknown[] }>;
}

// --- locating human's Node-wasm bundle ---------------------------------------------------
// human's package.json "exports" has subpath keys without the leading "./", so Node reads
// the whole map as *conditions*: `import '@vladmandic/human'` gives the tfjs-node build and
// any subpath import (e.g. dist/human.node-wasm.js) fails with ERR_PACKAGE_PATH_NOT_EXPORTED.
// Resolve the package's main file and load the sibling CJS bundle by absolute path.

const require = createRequire(import.meta.url);
const humanDist = path.dirname(require.resolve('@vladmandic/human')); // .../human/dist
const humanWasmBundle = path.join(humanDist, 'human.node-wasm.js');
const modelsDir = path.join(path.dirname(humanDist), 'models');
const wasmDir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');

function humanConfig(): Record<string, unknown> {
  const off = { enabled: false };
  return {
    backend: 'wasm',
    wasmPath: wasmDir + path.sep, // a filesystem prefix: emscripten reads the .wasm with fs in Node
    wasmPlatformFetch: false,
    modelBasePath: pathToFileURL(modelsDir).href + '/',
    cacheModels: false,
    validateModels: true,
    debug: false,
    async: false,
    warmup: 'none',
    cacheSensitivity: 0,
    filter: { enabled: false, equalization: false, autoBrightness: false, return: false },
    gesture: off,
    body: off,
    hand: off,
    object: off,
    segmentation: off,
    face: {
      enabled: true,
      detector: { modelPath: 'blazeface.json', rotation: false, maxDetected: 1, skipFrames: 0, skipTime: 0, return: false, mask: false },
      mesh: off,
      attention: off,
      iris: off,
      emotion: off,
      antispoof: off,
      liveness: off,
      description: { enabled: true, modelPath: 'faceres.json', skipFrames: 0, skipTime: 0 },
    },
  };
}

/** tfjs-core has no file:// loader without tfjs-node; serve model.json + shards from disk. */
function registerFileLoader(tf: TfLike): void {
  tf.io.registerLoadRouter((url) => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    const file = fileURLToPath(url);
    if (!file.startsWith(modelsDir + path.sep)) return null;
    return {
      async load(): Promise<ModelArtifactsLike> {
        const json = JSON.parse(await readFile(file, 'utf8')) as ModelJson;
        const dir = path.dirname(file);
        const weightSpecs: unknown[] = [];
        const shards: Buffer[] = [];
        for (const group of json.weightsManifest) {
          weightSpecs.push(...group.weights);
          for (const p of group.paths) shards.push(await readFile(path.join(dir, p)));
        }
        const all = Buffer.concat(shards);
        const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
        return {
          modelTopology: json.modelTopology,
          format: json.format,
          generatedBy: json.generatedBy,
          convertedBy: json.convertedBy,
          signature: json.signature,
          userDefinedMetadata: json.userDefinedMetadata,
          weightSpecs,
          weightData,
        };
      },
    };
  });
}

let shared: Promise<HumanInstance> | null = null;

async function loadHuman(): Promise<HumanInstance> {
  const mod = require(humanWasmBundle) as HumanModule;
  const human = new mod.Human(humanConfig());
  registerFileLoader(human.tf);
  await human.init();
  await human.load();
  const backend = human.tf.getBackend();
  if (backend !== 'wasm') throw new Error(`human: expected the wasm backend, got ${backend}`);
  return human;
}

export async function createHumanPipeline(opts?: { threads?: number }): Promise<{
  name: string;
  version: string;
  backend: string;
  process(jpeg: Uint8Array): Promise<{ embedding: Float32Array | null; faces: number }>;
  close(): Promise<void>;
}> {
  const threads = opts?.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`human: invalid threads ${threads}`);
  if (threads > 1) {
    throw new Error(
      `human: ${threads} threads requested, but tfjs-backend-wasm runs single-threaded under Node ` +
        '(no threaded build for Node: tensorflow/tfjs#3830); only threads: 1 is supported',
    );
  }

  shared ??= loadHuman().catch((err: unknown) => {
    shared = null;
    throw err;
  });
  const human = await shared;
  const tf = human.tf;
  const backend = `tfjs-backend-wasm ${tf.version_core} (${human.env.wasm.simd ? 'simd' : 'no simd'}, 1 thread)`;

  let closed = false;
  let queue: Promise<unknown> = Promise.resolve(); // human.detect is not re-entrant: serialise calls

  async function run(jpeg: Uint8Array): Promise<{ embedding: Float32Array | null; faces: number }> {
    const { data, info } = await sharp(jpeg).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`human: expected 3 channels after decode, got ${info.channels}`);
    const input = tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), [info.height, info.width, 3], 'int32');
    try {
      const result = await human.detect(input);
      if (result.error) throw new Error(`human: ${result.error}`);
      const first = result.face[0]?.embedding;
      return { embedding: first && first.length > 0 ? Float32Array.from(first) : null, faces: result.face.length };
    } finally {
      input.dispose();
    }
  }

  return {
    name: '@vladmandic/human (blazeface + faceres)',
    version: human.version,
    backend,
    process(jpeg: Uint8Array) {
      if (closed) return Promise.reject(new Error('human: pipeline is closed'));
      const next = queue.then(() => run(jpeg));
      queue = next.catch(() => undefined);
      return next;
    },
    async close() {
      closed = true;
      await queue;
    },
  };
}
