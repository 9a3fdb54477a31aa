import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { createFacePipeline } from '../../sdk/src/node.js';
import { identityOf, imagePath, loadPairDataset } from '../lib/dataset.js';
import type { RealFaces } from './synthetic.js';

/**
 * Runs the real SDK pipeline on every image of a pairs dataset and returns the embeddings by
 * person, in memory only: they are never written anywhere (they are biometric data of real people).
 * The quality gate runs in report mode, as in the accuracy benchmark: a photo collection
 * cannot be retaken.
 */
export async function embedRealFaces(root: string, threads = 2): Promise<{ faces: RealFaces; modelId: string; images: number; failed: number; seconds: number }> {
  const ds = await loadPairDataset(root);
  const pipeline = await createFacePipeline({ threads, enforceLiveness: false, qualityGate: 'report' });
  const faces: RealFaces = new Map();
  let failed = 0;
  const bar = new cliProgress.SingleBar({ format: 'real embeddings {bar} {value}/{total} LFW images | {failed} without a face | eta {eta}s' }, cliProgress.Presets.shades_classic);
  bar.start(ds.images.length, 0, { failed });
  const started = performance.now();
  try {
    for (const rel of ds.images) {
      const r = await pipeline.process(await readFile(imagePath(ds, rel)));
      if (r.ok) {
        const who = identityOf(rel);
        faces.set(who, [...(faces.get(who) ?? []), r.embedding]);
      } else failed++;
      bar.increment(1, { failed });
    }
  } finally {
    bar.stop();
    await pipeline.close();
  }
  return { faces, modelId: pipeline.modelId, images: ds.images.length, failed, seconds: (performance.now() - started) / 1000 };
}
