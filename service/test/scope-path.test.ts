import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { inScope } from '../src/auth/scope.js';
import { ADMIN, CONSENT, createHarness, enrolledBeneficiary, rowCounts, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

// Codes are unique only within their parent: AWC-001 of D1/S1 and AWC-001 of D1/S9 are different
// centres, D1 of S1 and D1 of S9 different districts. Every principal below shares codes with the
// S1 principals of the harness except for the state (or the district), and must see none of S1's data.
const S9_WORKER: Principal = { sub: 'worker-s9', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S9' };
const D9S9_WORKER: Principal = { sub: 'worker-d9s9', role: 'worker', awc: 'AWC-001', district: 'D9', state: 'S9' };
const S9_SUPERVISOR: Principal = { sub: 'sup-s9', role: 'supervisor', awcs: ['AWC-001'], district: 'D1', state: 'S9' };
const S9_ADMIN: Principal = { sub: 'admin-s9', role: 'district_admin', district: 'D1', state: 'S9' };
const S9_STATE_ADMIN: Principal = { sub: 'state-s9', role: 'state_admin', state: 'S9' };

let h: Harness;
let beneficiaryId: string;
let caseId: string;
before(async () => {
  h = await createHarness();
  ({ id: beneficiaryId } = await enrolledBeneficiary(h, syntheticFace(21, h.dim)));
  const opened = await h.call('POST', '/v1/fallback-cases', await h.token(WORKER), { beneficiaryId, reason: 'camera_fault' });
  assert.equal(opened.status, 201);
  caseId = opened.body.id;
});
after(() => h.close());

test('inScope compares the whole state/district/AWC path for every role', () => {
  const target = { state: 'S1', district: 'D1', awc: 'AWC-001' };
  assert.equal(inScope(WORKER, target), true);
  assert.equal(inScope(SUPERVISOR, target), true);
  assert.equal(inScope(ADMIN, target), true);
  for (const p of [S9_WORKER, D9S9_WORKER, S9_SUPERVISOR, S9_ADMIN, S9_STATE_ADMIN]) assert.equal(inScope(p, target), false, `${p.sub} must not reach S1`);
  assert.equal(inScope(WORKER, { ...target, district: 'D9' }), false, 'same AWC code in another district');
  assert.equal(inScope({ sub: 'x', role: 'state_admin', state: 'S1' }, target), true);
  assert.equal(inScope({ sub: 'x', role: 'worker', awc: 'AWC-001', district: 'D1' }, target), false, 'no state: no scope');
});

test('a worker, supervisor or admin of the same codes in another state reads and changes nothing of S1', async () => {
  const before = await rowCounts(h.ctx.db);
  for (const p of [S9_WORKER, D9S9_WORKER, S9_SUPERVISOR, S9_ADMIN]) {
    const t = await h.token(p);
    const one = await h.call('GET', `/v1/beneficiaries/${beneficiaryId}`, t);
    assert.deepEqual([one.status, one.body.code], [403, 'out_of_scope'], `${p.sub} reads the beneficiary`);
    const list = await h.call('GET', '/v1/beneficiaries', t);
    assert.deepEqual(list.body.items, [], `${p.sub} lists S1 beneficiaries`);
    const c = await h.call('GET', `/v1/fallback-cases/${caseId}`, t);
    assert.deepEqual([c.status, c.body.code], [403, 'out_of_scope'], `${p.sub} reads the case`);
  }
  const w = await h.token(S9_WORKER);
  const verify = await h.call('POST', '/v1/verifications', w, { beneficiaryId, envelope: h.seal(syntheticFace(21, h.dim, 0.3, 1), S9_WORKER.sub) });
  assert.deepEqual([verify.status, verify.body.code], [403, 'out_of_scope']);
  const consent = await h.call('POST', `/v1/beneficiaries/${beneficiaryId}/consents/withdraw`, w, {});
  assert.deepEqual([consent.status, consent.body.code], [403, 'out_of_scope']);
  const open = await h.call('POST', '/v1/fallback-cases', w, { beneficiaryId, reason: 'camera_fault' });
  assert.deepEqual([open.status, open.body.code], [403, 'out_of_scope']);
  const attest = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(S9_SUPERVISOR), { reasonCode: 'home_visit', note: 'x' });
  assert.deepEqual([attest.status, attest.body.code], [403, 'out_of_scope']);
  const admin = await h.token(S9_ADMIN);
  const review = await h.call('GET', `/v1/review/cases/${caseId}`, admin);
  assert.deepEqual([review.status, review.body.code], [403, 'out_of_scope']);
  const decide = await h.call('POST', `/v1/review/cases/${caseId}/decision`, admin, { decision: 'reject', note: 'not mine' });
  assert.deepEqual([decide.status, decide.body.code], [403, 'out_of_scope']);
  assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing written');
});

test('an admin of D1 in another state sees none of D1/S1 in her queue, metrics or CSV; the D1/S1 admin sees it', async () => {
  const theirs = await h.token(S9_ADMIN);
  const queue = await h.call('GET', '/v1/review/cases', theirs);
  assert.deepEqual([queue.body.total, queue.body.items], [0, []]);
  const metrics = await h.call('GET', '/v1/metrics/exclusion', theirs);
  assert.deepEqual(metrics.body.awcs, []);
  const csv = await h.app.inject({ method: 'GET', url: '/v1/metrics/exclusion.csv', headers: { authorization: `Bearer ${theirs}` } });
  assert.equal(csv.body.trim().split('\n').length, 1, 'header only');

  const ours = await h.token(ADMIN);
  assert.equal((await h.call('GET', '/v1/review/cases', ours)).body.total, 1);
  const m = (await h.call('GET', '/v1/metrics/exclusion', ours)).body;
  assert.deepEqual(m.awcs.map((a: { awc: string }) => a.awc), ['AWC-001']);
});

test('a duplicate flag records the whole path (state and district), so a queue can be read per state', async () => {
  const token = await h.token(WORKER);
  const reg = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'Second Asha' });
  assert.equal((await h.call('POST', `/v1/beneficiaries/${reg.body.id}/consents`, token, CONSENT)).status, 201);
  const dup = await h.call('POST', `/v1/beneficiaries/${reg.body.id}/templates`, token, { envelope: h.seal(syntheticFace(21, h.dim, 0.2, 3), WORKER.sub) });
  assert.deepEqual([dup.status, dup.body.code], [409, 'possible_duplicate']);
  const flag = (await h.ctx.db.query<{ state: string; district: string }>('SELECT state, district FROM duplicate_flags WHERE id = $1', [dup.body.duplicateFlagId])).rows[0];
  assert.deepEqual(flag, { state: 'S1', district: 'D1' });
});
