import { decodeFp16Wire } from './fp16-wire.js';
import { manifestEntry, type ModelManifest } from './model-manifest.js';
import type { ModelSource } from './model-source.js';
import { zeroSubnormalWeights } from './onnx-subnormals.js';

export interface FetchModelSourceOptions {
  /** Where manifest.json and the .onnx files are served, e.g. '/app/models/'. Same origin. */
  base: string;
  /** Model ids whose subnormal weights are zeroed after the hash check (WASM has no FTZ). */
  zeroSubnormals?: readonly string[];
  /**
   * Fetch a model's fp16 wire file when the manifest lists one, and widen it to fp32 here
   * (default true): half the bytes. False: the original fp32 file.
   */
  fp16Wire?: boolean;
  fetch?: typeof fetch;
  /** Called with each model's id and the bytes transferred (for first-load figures). */
  onLoaded?: (id: string, bytes: number, ms: number) => void;
}

/**
 * Models fetched from the service and checked against the manifest's sha256 with SubtleCrypto
 * before use: a file that does not match is refused, so the model id sealed with an embedding
 * is the model that ran. Nothing is stored by the SDK (no Cache API, no IndexedDB); the browser's
 * HTTP cache may keep these public files as the service's cache headers allow.
 */
export function fetchModelSource(options: FetchModelSourceOptions): ModelSource {
  const doFetch = options.fetch ?? fetch.bind(globalThis);
  const base = options.base.endsWith('/') ? options.base : `${options.base}/`;
  let manifestPromise: Promise<ModelManifest> | undefined;

  const manifest = () =>
    (manifestPromise ??= (async () => {
      const res = await doFetch(`${base}manifest.json`, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`model manifest: HTTP ${res.status}`);
      return (await res.json()) as ModelManifest;
    })().catch((err) => {
      manifestPromise = undefined;
      throw err;
    }));

  return {
    manifest,
    async load(id: string): Promise<Uint8Array> {
      const entry = manifestEntry(await manifest(), id);
      const wire = options.fp16Wire !== false ? entry.fp16Wire : undefined;
      const started = performance.now();
      const res = await doFetch(`${base}${encodeURIComponent(wire?.file ?? entry.file)}`, { credentials: 'same-origin' });
      if (!res.ok) throw new Error(`model ${id}: HTTP ${res.status}`);
      const fetched = new Uint8Array(await res.arrayBuffer());
      if ((await sha256Hex(fetched)) !== (wire?.sha256 ?? entry.sha256)) throw new Error(`model ${id} does not match its sha256 in the manifest; refusing to run it`);
      const bytes = wire ? decodeFp16Wire(fetched) : fetched;
      // The widened model is checked too: what runs is exactly what benchmarks/fp16-wire.ts measured.
      if (wire && (await sha256Hex(bytes)) !== wire.modelSha256) throw new Error(`model ${id}: the model rebuilt from its fp16 file does not match the manifest; refusing to run it`);
      if (options.zeroSubnormals?.includes(id)) zeroSubnormalWeights(bytes);
      options.onLoaded?.(id, fetched.byteLength, performance.now() - started);
      return bytes;
    },
  };
}

async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
