import type { ModelManifest } from './model-manifest.js';

/** Where model bytes come from: files on disk (Node), or the service over fetch (browser). */
export interface ModelSource {
  manifest(): Promise<ModelManifest>;
  /** The model's bytes, already checked against the manifest's sha256. */
  load(id: string): Promise<Uint8Array>;
}
