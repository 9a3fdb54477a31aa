/** The shape of models/manifest.json, as far as the SDK relies on it. */
export interface ModelEntry {
  file: string;
  sha256: string;
  bytes: number;
  role: string;
  embeddingDim?: number;
  thresholds?: Record<string, number>;
  /**
   * The model with fp16 weights, as the browser fetches it (runtime/fp16-wire.ts): present only
   * for models whose outputs the rounding leaves in place (benchmarks/fp16-wire.ts).
   */
  fp16Wire?: Fp16WireEntry;
}

export interface Fp16WireEntry {
  /** File name the service serves it under (it makes the file from `file`, see app-assets.ts). */
  file: string;
  /** Of the wire file. */
  sha256: string;
  bytes: number;
  /** Of the model the browser rebuilds from it: the bytes that run. */
  modelSha256: string;
}

export interface ModelManifest {
  manifestVersion: number;
  models: Record<string, ModelEntry>;
}

/** Model ids the pipeline runs, by role. Bumping a model means a new id (and new templates). */
export const PIPELINE_MODEL_IDS = {
  detector: 'faceplugin/fr_detect@0.0.1',
  landmarks: 'faceplugin/fr_landmark@0.0.1',
  pose: 'faceplugin/fr_pose@0.0.1',
  eyes: 'faceplugin/fr_eye@0.0.1',
  liveness: 'faceplugin/fr_liveness@0.0.1',
  embedder: 'faceplugin/fr_feature@0.0.1',
} as const;

export type PipelineRole = keyof typeof PIPELINE_MODEL_IDS;

export function manifestEntry(manifest: ModelManifest, id: string): ModelEntry {
  const entry = manifest.models[id];
  if (!entry) throw new Error(`model ${id} is not in the model manifest`);
  return entry;
}

export function thresholdOf(entry: ModelEntry, name: string): number {
  const value = entry.thresholds?.[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`model manifest lacks threshold "${name}"`);
  return value;
}
