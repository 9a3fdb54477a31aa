import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createFacePipeline, cosineSimilarity, type FacePipeline } from '../../src/node.js';
import { LFW_DEV, requireDatasets } from './fixtures.js';

/**
 * A preprocessing regression (channel order, warp, normalisation) costs several points of
 * accuracy at once; 200 pairs at the service's own threshold catch that in ~20 s.
 */
const PAIRS = 200;
const FLOOR = 0.97;

let pipeline: FacePipeline;

before(async () => {
  requireDatasets();
  // Report mode: LFW photos cannot be retaken, and liveness is not what this test measures.
  pipeline = await createFacePipeline({ threads: 2, qualityGate: 'report', enforceLiveness: false });
});
after(() => pipeline.close());

test(`accuracy on ${PAIRS} lfw-dev pairs at the manifest threshold is at least ${FLOOR * 100}%`, async () => {
  const lines = (await readFile(join(LFW_DEV, 'pairs.csv'), 'utf8')).trim().split(/\r?\n/).slice(1);
  const all = lines.map((l) => l.split(','));
  // Every third pair: the CSV lists genuine pairs then impostors, so this keeps both halves.
  const pairs = all.filter((_, i) => i % 3 === 0).slice(0, PAIRS);
  assert.equal(pairs.length, PAIRS);
  assert.ok(pairs.some((p) => p[3] === '1') && pairs.some((p) => p[3] === '0'));

  const cache = new Map<string, Float32Array | null>();
  const embed = async (rel: string) => {
    if (!cache.has(rel)) {
      const r = await pipeline.process(await readFile(join(LFW_DEV, 'images', rel)));
      cache.set(rel, r.ok ? r.embedding : null);
    }
    return cache.get(rel)!;
  };
  let correct = 0;
  for (const [, a, b, same] of pairs) {
    const ea = await embed(a!);
    const eb = await embed(b!);
    // No embedding means no match, as in the service.
    const match = ea && eb ? cosineSimilarity(ea, eb) >= pipeline.matchThreshold : false;
    if (match === (same === '1')) correct++;
  }
  const accuracy = correct / PAIRS;
  assert.ok(accuracy >= FLOOR, `accuracy ${(accuracy * 100).toFixed(1)}%`);
});
