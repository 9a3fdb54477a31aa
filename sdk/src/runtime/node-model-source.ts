import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { manifestEntry, type ModelManifest } from './model-manifest.js';
import type { ModelSource } from './model-source.js';

/** Where `npm run models` puts the files: <repo>/models/cache, next to manifest.json. */
const MODELS_ROOT = fileURLToPath(new URL('../../../models/', import.meta.url));


export interface NodeModelSourceOptions {
  /** Folder holding the .onnx files. Default: $CHEHRA_MODELS_DIR, else <repo>/models/cache. */
  modelDir?: string;
  /** Path of manifest.json. Default: <repo>/models/manifest.json. */
  manifestPath?: string;
}

/**
 * Reads models from disk (never writes). Each file is hashed before use so that the model id
 * sealed into an envelope is the model that really ran; the cost is a few ms, once per load.
 */
export function nodeModelSource(options: NodeModelSourceOptions = {}): ModelSource {
  const modelDir = options.modelDir ?? process.env.CHEHRA_MODELS_DIR ?? join(MODELS_ROOT, 'cache');
  const manifestPath = options.manifestPath ?? join(MODELS_ROOT, 'manifest.json');
  let manifestPromise: Promise<ModelManifest> | undefined;

  const manifest = () =>
    (manifestPromise ??= readFile(manifestPath, 'utf8').then((text) => JSON.parse(text) as ModelManifest));

  return {
    manifest,
    async load(id: string): Promise<Uint8Array> {
      const entry = manifestEntry(await manifest(), id);
      const path = join(modelDir, entry.file);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch {
        throw new Error(`model file ${path} is missing: run \`npm run models\``);
      }
      const actual = createHash('sha256').update(bytes).digest('hex');
      if (actual !== entry.sha256) {
        throw new Error(`model file ${path} does not match its sha256 in the manifest: run \`npm run models\``);
      }
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  };
}
