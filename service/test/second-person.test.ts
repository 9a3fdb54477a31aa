import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { ADMIN, CONSENT, createHarness, enrolledBeneficiary, OTHER_ADMIN, rowCounts, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

// Issue 10, item 6: a worker could replace any enrolled template with another face, and set
// the mobile number that receives the OTP. Both now need a second person: the beneficiary's own
// face (a match of her current template) or a supervisor; both are in the admin's queue.

let h: Harness;
let worker: string;
let supervisor: string;
const OTHER_SECTOR_SUPERVISOR: Principal = { sub: 'sup-9', role: 'supervisor', awcs: ['AWC-002'], district: 'D1', state: 'S1' };
before(async () => {
  h = await createHarness();
  worker = await h.token(WORKER);
  supervisor = await h.token(SUPERVISOR);
});
after(() => h.close());

const templateOf = async (id: string) => (await h.ctx.db.query<{ id: string }>('SELECT id FROM templates WHERE beneficiary_id = $1', [id])).rows.map((r) => r.id);
const enrol = (id: string, face: Float32Array) => h.call('POST', `/v1/beneficiaries/${id}/templates`, worker, { envelope: h.seal(face, WORKER.sub) });
const queue = async (token: string, q = '') => (await h.call('GET', `/v1/change-requests${q}`, token)).body.items as Array<{ id: string; beneficiaryId: string; kind: string; status: string; approval: string | null }>;

test('re-enrolment with another face is held for a supervisor; the template stays until she approves', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(8001, h.dim));
  const original = await templateOf(id);
  const before = await rowCounts(h.ctx.db);
  const swap = await enrol(id, syntheticFace(8999, h.dim)); // the worker's own face
  assert.deepEqual([swap.status, swap.body.code], [409, 'reenrolment_needs_approval']);
  assert.ok(swap.body.changeRequestId);
  assert.deepEqual(await templateOf(id), original, 'the enrolled template is untouched');
  const after = await rowCounts(h.ctx.db);
  assert.equal(after.templates, before.templates);
  assert.equal(after.change_requests, before.change_requests! + 1);
  assert.equal(JSON.stringify(swap.body).match(/score|threshold/i), null, 'the refusal is not an oracle');

  // Asking again returns the same request; a supervisor of another sector may not decide it.
  assert.equal((await enrol(id, syntheticFace(8999, h.dim, 0.1, 1))).body.changeRequestId, swap.body.changeRequestId);
  const foreign = await h.call('POST', `/v1/change-requests/${swap.body.changeRequestId}/decision`, await h.token(OTHER_SECTOR_SUPERVISOR), { decision: 'approve', note: 'ok' });
  assert.deepEqual([foreign.status, foreign.body.code], [403, 'out_of_scope']);
  const byWorker = await h.call('POST', `/v1/change-requests/${swap.body.changeRequestId}/decision`, worker, { decision: 'approve', note: 'ok' });
  assert.deepEqual([byWorker.status, byWorker.body.code], [403, 'role_forbidden']);

  const approved = await h.call('POST', `/v1/change-requests/${swap.body.changeRequestId}/decision`, supervisor, { decision: 'approve', note: 'met her; the old photo was poor' });
  assert.deepEqual([approved.status, approved.body.status, approved.body.decidedBy], [200, 'approved', SUPERVISOR.sub]);
  const done = await enrol(id, syntheticFace(8001, h.dim, 0.3, 5));
  assert.equal(done.status, 201, JSON.stringify(done.body));
  assert.notDeepEqual(await templateOf(id), original);
  // The approval is used once.
  assert.equal((await enrol(id, syntheticFace(8998, h.dim))).body.code, 'reenrolment_needs_approval');

  const adminQueue = await queue(await h.token(ADMIN));
  const mine = adminQueue.filter((r) => r.beneficiaryId === id);
  assert.deepEqual(mine.map((r) => [r.kind, r.status, r.approval]).sort(), [['re_enrolment', 'applied', 'supervisor'], ['re_enrolment', 'pending', null]].sort());
  assert.deepEqual((await queue(await h.token(OTHER_ADMIN))).filter((r) => r.beneficiaryId === id), [], 'another district sees nothing');
});

test('re-enrolment with a capture that matches the current template goes through at once, and is in the queue', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(8101, h.dim));
  const res = await enrol(id, syntheticFace(8101, h.dim, 0.3, 9));
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.equal(res.body.replaced, 1);
  const mine = (await queue(await h.token(ADMIN), '?kind=re_enrolment')).filter((r) => r.beneficiaryId === id);
  assert.deepEqual(mine.map((r) => [r.status, r.approval]), [['applied', 'face_match']]);
});

test('withdrawing and re-granting consent does not make a re-enrolment a first enrolment', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(8201, h.dim));
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents/withdraw`, worker, {})).status, 200);
  assert.deepEqual(await templateOf(id), []);
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, worker, CONSENT)).status, 201);
  const swap = await enrol(id, syntheticFace(8299, h.dim));
  assert.deepEqual([swap.status, swap.body.code], [409, 'reenrolment_needs_approval']);
});

test('a mobile change needs the beneficiary’s face or a supervisor; the OTP keeps going to the old number until then', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(8301, h.dim));
  const mobileOf = async () => (await h.ctx.db.query<{ mobile: string }>('SELECT mobile FROM beneficiaries WHERE id = $1', [id])).rows[0]!.mobile;

  const asked = await h.call('POST', `/v1/beneficiaries/${id}/mobile`, worker, { mobile: '+919800009999' });
  assert.deepEqual([asked.status, asked.body.status, asked.body.kind, asked.body.newMobileMasked], [202, 'pending', 'mobile_change', '******9999']);
  assert.equal(await mobileOf(), '+919812345678', 'not changed yet');
  // Someone else's face does not do it either.
  const wrongFace = await h.call('POST', `/v1/beneficiaries/${id}/mobile`, worker, { mobile: '+919800009999', envelope: h.seal(syntheticFace(8399, h.dim), WORKER.sub) });
  assert.deepEqual([wrongFace.status, wrongFace.body.id], [202, asked.body.id], 'the same request waits');
  assert.equal(await mobileOf(), '+919812345678');

  const rejected = await h.call('POST', `/v1/change-requests/${asked.body.id}/decision`, supervisor, { decision: 'reject', note: 'she says this is not her number' });
  assert.deepEqual([rejected.status, rejected.body.status], [200, 'rejected']);
  assert.equal(await mobileOf(), '+919812345678');
  const again = await h.call('POST', `/v1/change-requests/${asked.body.id}/decision`, supervisor, { decision: 'approve', note: 'x' });
  assert.deepEqual([again.status, again.body.code], [409, 'change_request_decided']);

  const second = await h.call('POST', `/v1/beneficiaries/${id}/mobile`, worker, { mobile: '+919800008888' });
  const approved = await h.call('POST', `/v1/change-requests/${second.body.id}/decision`, supervisor, { decision: 'approve', note: 'checked with her husband' });
  assert.deepEqual([approved.status, approved.body.status, approved.body.approval], [200, 'applied', 'supervisor']);
  assert.equal(await mobileOf(), '+919800008888');

  // Her own face: applied at once.
  const byFace = await h.call('POST', `/v1/beneficiaries/${id}/mobile`, worker, { mobile: '+919800007777', envelope: h.seal(syntheticFace(8301, h.dim, 0.3, 4), WORKER.sub) });
  assert.deepEqual([byFace.status, byFace.body.status, byFace.body.approval], [200, 'applied', 'face_match']);
  assert.equal(await mobileOf(), '+919800007777');

  const mine = (await queue(await h.token(ADMIN), '?kind=mobile_change')).filter((r) => r.beneficiaryId === id);
  assert.deepEqual(mine.map((r) => [r.status, r.approval]).sort(), [['applied', 'face_match'], ['applied', 'supervisor'], ['rejected', null]], 'every request is in the admin’s queue');
  assert.ok(!JSON.stringify(mine).includes('9800007777'), 'numbers only masked');
});
