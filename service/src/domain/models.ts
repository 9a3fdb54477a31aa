import { readFileSync } from 'node:fs';

export interface EmbedderModel {
  id: string;
  dim: number;
  /** Cosine similarity at or above which two faces are taken as the same person. */
  matchThreshold: number;
}

export interface ModelPolicy {
  embedders: Map<string, EmbedderModel>;
  /** Liveness score below which a capture is treated as a presentation attack. */
  livenessThreshold: number;
}

interface ManifestEntry {
  role?: string;
  embeddingDim?: number;
  thresholds?: { match?: number; live?: number };
}

/** The service trusts only the embedders listed in models/manifest.json, with their calibrated thresholds. */
export function modelPolicyFromManifest(manifest: { models?: Record<string, ManifestEntry> }): ModelPolicy {
  const embedders = new Map<string, EmbedderModel>();
  let livenessThreshold: number | undefined;
  for (const [id, m] of Object.entries(manifest.models ?? {})) {
    if (m.role === 'embedder') {
      if (!Number.isInteger(m.embeddingDim) || typeof m.thresholds?.match !== 'number') {
        throw new Error(`manifest model ${id}: an embedder needs embeddingDim and thresholds.match`);
      }
      embedders.set(id, { id, dim: m.embeddingDim!, matchThreshold: m.thresholds.match });
    }
    if (m.role === 'liveness' && typeof m.thresholds?.live === 'number') livenessThreshold = m.thresholds.live;
  }
  if (embedders.size === 0) throw new Error('the models manifest lists no embedder');
  if (livenessThreshold === undefined) throw new Error('the models manifest gives no liveness threshold');
  return { embedders, livenessThreshold };
}

export function loadModelPolicy(path: string): ModelPolicy {
  return modelPolicyFromManifest(JSON.parse(readFileSync(path, 'utf8')));
}
