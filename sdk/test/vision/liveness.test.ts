import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createFacePipeline, type FacePipeline } from '../../src/node.js';
import { PAD_SAMPLES, requireDatasets } from './fixtures.js';

let pipeline: FacePipeline;

before(async () => {
  requireDatasets();
  pipeline = await createFacePipeline();
});
after(() => pipeline.close());

const sample = (name: string) => readFile(join(PAD_SAMPLES, name));

test('the live capture passes liveness and is embedded', async () => {
  const result = await pipeline.process(await sample('image_T1.jpg'));
  assert.ok(result.ok, result.ok ? '' : `${result.reason}: ${result.detail}`);
  assert.ok(result.liveness.score > pipeline.livenessThreshold, `live score ${result.liveness.score}`);
  assert.equal(result.liveness.live, true);
});

for (const [name, attack] of [['image_F1.jpg', 'printed photo'], ['image_F2.jpg', 'screen replay']] as const) {
  test(`the ${attack} (${name}) is refused as liveness_failed`, async () => {
    const result = await pipeline.process(await sample(name));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.reason, 'liveness_failed', result.detail);
    assert.ok(result.liveness && result.liveness.score < pipeline.livenessThreshold, `attack score ${result.liveness?.score}`);
    assert.ok(!('embedding' in result), 'a refused capture carries no embedding');
  });
}
