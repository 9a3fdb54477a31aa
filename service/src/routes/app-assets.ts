import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { encodeFp16Wire } from '@chehra/sdk/fp16-wire';
import { bundle, BUNDLES, type BundleName } from '../app-bundle.js';

/**
 * The worker app at /app/: its static files (service/app), its bundles (app-bundle.ts), the
 * onnxruntime-web WASM runtime and the models — all from this origin, no CDN. Every answer is
 * cross-origin isolated (COOP + COEP), so the page may use SharedArrayBuffer and WASM threads.
 * Files are public and hold no data; they revalidate by ETag (`no-cache`), so a phone keeps
 * the ~7 MB of runtime and models in its HTTP cache and asks only "still the same?" next time.
 * Models whose manifest entry has an `fp16Wire` are also served in that form (half the bytes),
 * made from the fp32 file at the first request and checked against the manifest's sha256.
 * API answers, which do hold data, are never cacheable (see app.ts).
 */

const APP_DIR = fileURLToPath(new URL('../../app/', import.meta.url));
const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));
const MODEL_CACHE = process.env.CHEHRA_MODELS_DIR ?? join(MODELS_DIR, 'cache');
const ORT_DIST = dirname(createRequire(import.meta.url).resolve('onnxruntime-web/wasm'));
/** The non-bundled ESM build and its WASM glue: the only ort files the app loads. */
const ORT_FILES = ['ort.wasm.min.mjs', 'ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm'];

export const APP_CSP = [
  "default-src 'none'",
  // WebAssembly compilation needs 'wasm-unsafe-eval'; no other eval, no inline script.
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data:",
  "media-src 'self' blob: mediastream:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.fp16w': 'application/octet-stream',
};

interface ManifestModels {
  models: Record<string, { file: string; fp16Wire?: { file: string; sha256: string } }>;
}

interface Asset {
  raw: Buffer;
  gz: Buffer;
  etag: string;
  type: string;
}

const gzipAsync = promisify(gzip);
const assets = new Map<string, Promise<Asset>>();

function typeOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return TYPES[dot === -1 ? '' : name.slice(dot)] ?? 'application/octet-stream';
}

/** Loads and gzips a file once per process; a failure is not kept. */
function asset(key: string, load: () => Promise<Uint8Array>): Promise<Asset> {
  let p = assets.get(key);
  if (!p) {
    p = (async () => {
      const raw = Buffer.from(await load());
      const gz = await gzipAsync(raw, { level: 9 });
      return { raw, gz, etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`, type: typeOf(key) };
    })();
    p.catch(() => assets.delete(key));
    assets.set(key, p);
  }
  return p;
}

/** Headers on every /app answer, 404s included. */
export function isolationHeaders(reply: FastifyReply): void {
  reply.header('cross-origin-opener-policy', 'same-origin');
  reply.header('cross-origin-embedder-policy', 'require-corp');
  reply.header('cross-origin-resource-policy', 'same-origin');
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('permissions-policy', 'camera=(self), microphone=(), geolocation=()');
  reply.header('content-security-policy', APP_CSP);
}

async function send(req: FastifyRequest, reply: FastifyReply, key: string, load: () => Promise<Uint8Array>) {
  const a = await asset(key, load);
  reply.header('cache-control', 'no-cache');
  reply.header('etag', a.etag);
  reply.header('vary', 'accept-encoding');
  reply.type(a.type);
  if (req.headers['if-none-match'] === a.etag) return reply.code(304).send();
  const acceptsGzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (acceptsGzip) reply.header('content-encoding', 'gzip');
  return reply.send(acceptsGzip ? a.gz : a.raw);
}

const notFound = (reply: FastifyReply) => reply.code(404).send({ code: 'not_found', message: 'no such file' });

export async function appAssetRoutes(app: FastifyInstance): Promise<void> {
  const staticFiles = new Set((await readdir(APP_DIR, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name));
  const manifestText = await readFile(join(MODELS_DIR, 'manifest.json'), 'utf8');
  // Served file name → how to make its bytes.
  const modelFiles = new Map<string, () => Promise<Uint8Array>>();
  for (const m of Object.values((JSON.parse(manifestText) as ManifestModels).models)) {
    const fp32 = () => readFile(join(MODEL_CACHE, m.file));
    modelFiles.set(m.file, fp32);
    const wire = m.fp16Wire;
    if (wire) modelFiles.set(wire.file, async () => fp16WireOf(await fp32(), wire.file, wire.sha256));
  }
  const config = { roles: 'public' as const };

  app.addHook('onSend', async (req, reply, payload) => {
    if (req.url === '/app' || req.url.startsWith('/app/') || req.url.startsWith('/app?')) isolationHeaders(reply);
    return payload;
  });

  // The router ignores trailing slashes, so one route answers /app and /app/. Relative URLs in
  // index.html (./app.js) need the slash: /app is redirected, /app/ is the page.
  app.get('/app', { config }, (req, reply) => {
    const url = req.raw.url ?? '/app';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)).endsWith('/')) return send(req, reply, 'index.html', () => readFile(join(APP_DIR, 'index.html')));
    return reply.redirect(`/app/${q === -1 ? '' : url.slice(q)}`, 301);
  });
  app.get<{ Params: { file: string } }>('/app/:file', { config }, (req, reply) => {
    const { file } = req.params;
    if (file in BUNDLES) return send(req, reply, file, () => bundle(file as BundleName));
    if (!staticFiles.has(file)) return notFound(reply);
    return send(req, reply, file, () => readFile(join(APP_DIR, file)));
  });
  app.get<{ Params: { file: string } }>('/app/ort/:file', { config }, (req, reply) => {
    const { file } = req.params;
    if (!ORT_FILES.includes(file)) return notFound(reply);
    return send(req, reply, `ort/${file}`, () => readFile(join(ORT_DIST, file)));
  });
  app.get<{ Params: { file: string } }>('/app/models/:file', { config }, (req, reply) => {
    const { file } = req.params;
    if (file === 'manifest.json') return send(req, reply, 'models/manifest.json', async () => Buffer.from(manifestText));
    const load = modelFiles.get(file);
    if (!load) return notFound(reply);
    return send(req, reply, `models/${file}`, load);
  });
}

/**
 * The fp16 wire form of a model (sdk/src/runtime/fp16-wire.ts). Deterministic, so its sha256 is
 * pinned in the manifest: a different model file or encoder gives an error here rather than a
 * file every browser would refuse.
 */
function fp16WireOf(model: Uint8Array, file: string, sha256: string): Uint8Array {
  const { wire } = encodeFp16Wire(model);
  if (createHash('sha256').update(wire).digest('hex') !== sha256) throw new Error(`${file} made from the model file does not match its sha256 in the manifest`);
  return wire;
}
