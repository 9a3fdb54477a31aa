import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { ADMIN, createHarness, enrolledBeneficiary, OTHER_ADMIN, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

test('1:N identify finds the enrolled person within the admin’s district only, and is audited', async () => {
  const { id: asha } = await enrolledBeneficiary(h, syntheticFace(301, h.dim));
  await enrolledBeneficiary(h, syntheticFace(302, h.dim));
  const farWorker: Principal = { sub: 'w-far', role: 'worker', awc: 'AWC-900', district: 'D9', state: 'S1' };
  const { id: far } = await enrolledBeneficiary(h, syntheticFace(303, h.dim), { worker: farWorker });

  const admin = await h.token(ADMIN);
  const res = await h.call('POST', '/v1/identifications', admin, { envelope: h.seal(syntheticFace(301, h.dim, 0.3, 1), ADMIN.sub), limit: 5 });
  assert.equal(res.status, 200);
  // Only the faces above the threshold, and nothing about how close: no score, no threshold.
  assert.deepEqual(res.body, { candidates: [{ beneficiaryId: asha }] });
  assert.ok(!res.body.candidates.some((c: { beneficiaryId: string }) => c.beneficiaryId === far), 'never another district');

  // The far district's admin, probing with Asha's face, does not find her, nor her own (far) beneficiary below the threshold.
  const other = await h.call('POST', '/v1/identifications', await h.token(OTHER_ADMIN), { envelope: h.seal(syntheticFace(301, h.dim, 0.3, 2), OTHER_ADMIN.sub) });
  assert.equal(other.status, 200);
  assert.deepEqual(other.body.candidates, []);

  // Every search is audited with who searched and whom it returned.
  const { rows } = await h.ctx.db.query<{ actor: string; details: { candidates: string[]; matches: number } }>("SELECT actor, details FROM audit_log WHERE action = 'identification.searched' ORDER BY seq");
  assert.deepEqual(rows.map((r) => [r.actor, r.details.candidates, r.details.matches]), [[ADMIN.sub, [asha], 1], [OTHER_ADMIN.sub, [], 0]]);
});

test('identify is for district admins only, and refuses a bad envelope without writing', async () => {
  const before = await rowCounts(h.ctx.db);
  const byWorker = await h.call('POST', '/v1/identifications', await h.token(WORKER), { envelope: h.seal(syntheticFace(301, h.dim), WORKER.sub) });
  assert.deepEqual([byWorker.status, byWorker.body.code], [403, 'role_forbidden']);
  const wrongSealer = await h.call('POST', '/v1/identifications', await h.token(ADMIN), { envelope: h.seal(syntheticFace(301, h.dim), WORKER.sub) });
  assert.deepEqual([wrongSealer.status, wrongSealer.body.code], [403, 'envelope_worker_mismatch']);
  const badLimit = await h.call('POST', '/v1/identifications', await h.token(ADMIN), { envelope: h.seal(syntheticFace(301, h.dim), ADMIN.sub), limit: 500 });
  assert.deepEqual([badLimit.status, badLimit.body.code], [400, 'invalid_request']);
  assert.deepEqual(await rowCounts(h.ctx.db), before);
});
