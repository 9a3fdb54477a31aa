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
  assert.equal(res.body.candidates[0].beneficiaryId, asha);
  assert.equal(res.body.candidates[0].match, true);
  assert.equal(res.body.candidates.filter((c: { match: boolean }) => c.match).length, 1);
  assert.ok(!res.body.candidates.some((c: { beneficiaryId: string }) => c.beneficiaryId === far), 'never another district');

  // The far district's admin, probing with Asha's face, does not find her.
  const other = await h.call('POST', '/v1/identifications', await h.token(OTHER_ADMIN), { envelope: h.seal(syntheticFace(301, h.dim, 0.3, 2), OTHER_ADMIN.sub) });
  assert.equal(other.status, 200);
  assert.deepEqual(other.body.candidates.map((c: { beneficiaryId: string }) => c.beneficiaryId), [far]);
  assert.equal(other.body.candidates[0].match, false);

  const { rows } = await h.ctx.db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE action = 'identification.searched'");
  assert.equal(Number(rows[0]!.n), 2);
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
