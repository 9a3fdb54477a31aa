import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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

// The audit after issue 10: a worker could link any adult of her centre as guardian of any child
// under three, then collect the child's ration with that face. The first guardian is still the
// worker's to link (registration, mother present); a further one needs a second person.
describe('a further guardian for a child', () => {
  const OTHER_DISTRICT_SUPERVISOR: Principal = { sub: 'sup-d9', role: 'supervisor', awcs: ['AWC-900'], district: 'D9', state: 'S1' };
  const link = (childId: string, body: object) => h.call('POST', `/v1/beneficiaries/${childId}/guardians`, worker, body);
  const guardiansOf = async (childId: string) => ((await h.call('GET', `/v1/beneficiaries/${childId}/guardians`, worker)).body.items as Array<{ guardianId: string }>).map((g) => g.guardianId);
  const adult = async (seed: number, enrol = true) => (await enrolledBeneficiary(h, syntheticFace(seed, h.dim), { enrol })).id;
  let mother: string;
  let child: string;
  let born: string;

  before(async () => {
    mother = await adult(8401);
    born = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
    child = (await h.call('POST', '/v1/beneficiaries', worker, { category: 'child_6m_3y', name: 'Gudiya', birthDate: born, guardian: { name: 'Asha Devi', relation: 'mother' } })).body.id;
    assert.equal((await h.call('POST', `/v1/beneficiaries/${child}/consents`, worker, { ...CONSENT, givenBy: 'guardian' })).status, 201);
  });

  test('the first guardian is linked by the worker alone; a further one is held for a supervisor, nothing linked, in the queue', async () => {
    const first = await link(child, { guardianId: mother, relation: 'mother' });
    assert.equal(first.status, 201, JSON.stringify(first.body));
    const aunt = await adult(8402);
    const before = await rowCounts(h.ctx.db);
    const asked = await link(child, { guardianId: aunt, relation: 'aunt', since: born });
    assert.deepEqual([asked.status, asked.body.code], [409, 'guardian_link_needs_approval'], JSON.stringify(asked.body));
    assert.ok(asked.body.changeRequestId);
    assert.deepEqual(await rowCounts(h.ctx.db), { ...before, change_requests: before.change_requests! + 1, audit_log: before.audit_log! + 1 }, 'the request and its audit entry, no link');
    assert.deepEqual(await guardiansOf(child), [mother]);
    const collect = await h.call('POST', '/v1/guardian-visits', worker, { guardianId: aunt, childIds: [child], envelope: h.seal(syntheticFace(8402, h.dim, 0.3, 1), WORKER.sub) });
    assert.deepEqual([collect.status, collect.body.code], [409, 'not_guardian_of_child'], 'her face collects nothing yet');
    // Asking again returns the same request.
    assert.equal((await link(child, { guardianId: aunt, relation: 'aunt', since: born })).body.changeRequestId, asked.body.changeRequestId);

    const pending = (await queue(supervisor, '?kind=guardian_link&status=pending')).find((r) => r.id === asked.body.changeRequestId) as unknown as { beneficiaryId: string; guardianLink: object };
    assert.deepEqual([pending.beneficiaryId, pending.guardianLink], [child, { guardianId: aunt, relation: 'aunt', since: born }], 'the supervisor sees what she approves');
    assert.ok((await queue(await h.token(ADMIN), '?kind=guardian_link')).some((r) => r.id === asked.body.changeRequestId), "in the district admin's queue");
  });

  test("only a supervisor of the child's sector decides it, never the worker who asked; her approval links the guardian", async () => {
    const aunt = (await queue(supervisor, '?kind=guardian_link&status=pending')).find((r) => r.beneficiaryId === child) as unknown as { id: string; guardianLink: { guardianId: string } };
    const decide = (token: string) => h.call('POST', `/v1/change-requests/${aunt.id}/decision`, token, { decision: 'approve', note: 'the aunt raises her' });
    const before = await rowCounts(h.ctx.db);
    for (const [who, token, code] of [
      ['another district', await h.token(OTHER_DISTRICT_SUPERVISOR), 'out_of_scope'],
      ['another sector', await h.token(OTHER_SECTOR_SUPERVISOR), 'out_of_scope'],
      ['the worker', worker, 'role_forbidden'],
    ] as const) {
      const r = await decide(token);
      assert.deepEqual([r.status, r.body.code], [403, code], `${who}: ${JSON.stringify(r.body)}`);
    }
    assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing decided, nothing linked');

    const approved = await decide(supervisor);
    assert.deepEqual([approved.status, approved.body.status, approved.body.approval, approved.body.decidedBy], [200, 'applied', 'supervisor', SUPERVISOR.sub], JSON.stringify(approved.body));
    assert.deepEqual((await guardiansOf(child)).sort(), [mother, aunt.guardianLink.guardianId].sort());
    const linked = await h.ctx.db.query<{ actor: string; details: { allowedBy: string; changeRequestId: string } }>("SELECT actor, details FROM audit_log WHERE action = 'guardian.linked' AND subject_id = $1 AND details ->> 'guardianId' = $2", [child, aunt.guardianLink.guardianId]);
    assert.deepEqual(linked.rows.map((a) => [a.actor, a.details.allowedBy, a.details.changeRequestId]), [[SUPERVISOR.sub, 'supervisor', aunt.id]]);
    const again = await decide(supervisor);
    assert.deepEqual([again.status, again.body.code], [409, 'change_request_decided']);
  });

  test("the existing guardian's face matching her template links at once; another face, or a face not of a guardian, does not", async () => {
    const grandmother = await adult(8403, false);
    // Two guardians now: the capture must say whose it is.
    const unnamed = await link(child, { guardianId: grandmother, relation: 'grandmother', envelope: h.seal(syntheticFace(8401, h.dim, 0.3, 2), WORKER.sub) });
    assert.deepEqual([unnamed.status, unnamed.body.code], [400, 'existing_guardian_required']);
    const stranger = await adult(8404);
    const notGuardian = await link(child, { guardianId: grandmother, relation: 'grandmother', existingGuardianId: stranger, envelope: h.seal(syntheticFace(8404, h.dim, 0.3, 1), WORKER.sub) });
    assert.deepEqual([notGuardian.status, notGuardian.body.code], [409, 'not_guardian_of_child']);

    // The worker's own face is not the mother's: held, and it counts as a failed attempt of the mother's.
    const failedBefore = Number((await h.ctx.db.query<{ n: number }>('SELECT coalesce(sum(failed), 0) AS n FROM face_attempts WHERE beneficiary_id = $1', [mother])).rows[0]!.n);
    const wrong = await link(child, { guardianId: grandmother, relation: 'grandmother', existingGuardianId: mother, envelope: h.seal(syntheticFace(8999, h.dim), WORKER.sub) });
    assert.deepEqual([wrong.status, wrong.body.code], [409, 'guardian_link_needs_approval']);
    assert.equal(JSON.stringify(wrong.body).match(/score|threshold/i), null, 'the refusal is not an oracle');
    const failedAfter = Number((await h.ctx.db.query<{ n: number }>('SELECT coalesce(sum(failed), 0) AS n FROM face_attempts WHERE beneficiary_id = $1', [mother])).rows[0]!.n);
    assert.equal(failedAfter, failedBefore + 1);
    assert.ok(!(await guardiansOf(child)).includes(grandmother));

    const byFace = await link(child, { guardianId: grandmother, relation: 'grandmother', existingGuardianId: mother, envelope: h.seal(syntheticFace(8401, h.dim, 0.3, 3), WORKER.sub) });
    assert.equal(byFace.status, 201, JSON.stringify(byFace.body));
    assert.ok((await guardiansOf(child)).includes(grandmother));
    const mine = (await queue(await h.token(ADMIN), '?kind=guardian_link')).filter((r) => r.beneficiaryId === child);
    assert.deepEqual(mine.map((r) => [r.status, r.approval]).sort(), [['applied', 'face_match'], ['applied', 'supervisor'], ['rejected', null]], 'the held request was superseded by the face match; every one is in the queue');
  });
});
