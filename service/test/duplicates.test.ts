import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, CONSENT, createHarness, OTHER_ADMIN, OTHER_AWC_WORKER, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

// A possible duplicate no longer strands a beneficiary: the district admin sees the pair side by
// side (never a face or a score) and decides once; each decision does what it says, audited.
let h: Harness;
let admin: string;
before(async () => {
  h = await createHarness();
  admin = await h.token(ADMIN);
});
after(() => h.close());

async function person(name: string, worker = WORKER) {
  const t = await h.token(worker);
  const r = await h.call('POST', '/v1/beneficiaries', t, { category: 'pregnant', name, mobile: '+919812345678' });
  assert.equal((await h.call('POST', `/v1/beneficiaries/${r.body.id}/consents`, t, CONSENT)).status, 201);
  return { id: r.body.id as string, token: t, worker };
}
const enrol = (p: { id: string; token: string; worker: typeof WORKER }, face: Float32Array) => h.call('POST', `/v1/beneficiaries/${p.id}/templates`, p.token, { envelope: h.seal(face, p.worker.sub) });

/** Two people with one face, the second at another AWC of the district: the second enrolment is flagged. */
async function flaggedPair(seed: number, names: [string, string]) {
  const face = syntheticFace(seed, h.dim);
  const first = await person(names[0]);
  assert.equal((await enrol(first, face)).status, 201);
  const second = await person(names[1], OTHER_AWC_WORKER);
  const r = await enrol(second, syntheticFace(seed, h.dim, 0.2, 1));
  assert.equal(r.status, 409);
  assert.equal(r.body.code, 'possible_duplicate');
  return { first, second, flagId: r.body.duplicateFlagId as string, face };
}

const decide = (id: string, decision: string, note = 'checked the registers', token = admin) => h.call('POST', `/v1/duplicates/${id}/decision`, token, { decision, note });

test('the queue shows both beneficiaries side by side, never a face or a score', async () => {
  const { first, second, flagId } = await flaggedPair(11, ['Sita Ram', 'Sita R.']);
  const q = await h.call('GET', '/v1/duplicates?status=open', admin);
  assert.equal(q.status, 200);
  const item = q.body.items.find((i: { id: string }) => i.id === flagId);
  assert.equal(item.flagged.id, second.id);
  assert.equal(item.flagged.awc, 'AWC-002');
  assert.equal(item.flagged.enrolledBy, OTHER_AWC_WORKER.sub);
  assert.equal(item.candidate.id, first.id);
  assert.equal(item.candidate.name, 'Sita Ram');
  assert.equal(item.candidate.enrolledBy, WORKER.sub);
  const raw = JSON.stringify(q.body);
  assert.ok(!/score|embedding|mobile/i.test(raw), 'no score, embedding or mobile in the queue');
  const other = await h.call('GET', '/v1/duplicates', await h.token(OTHER_ADMIN));
  assert.ok(!other.body.items.some((i: { id: string }) => i.id === flagId), "another district's admin does not see it");
  assert.equal((await h.call('GET', '/v1/duplicates', first.token)).status, 403, 'workers have no queue');
});

test('"different people": the pair is remembered, the worker captures again and the enrolment goes through', async () => {
  const { second, flagId } = await flaggedPair(21, ['Gita Bai', 'Gita Devi']);
  const r = await decide(flagId, 'different_people', 'two sisters, checked in person');
  assert.equal(r.status, 200);
  assert.equal(r.body.decision, 'different_people');
  assert.equal(r.body.decidedBy, ADMIN.sub);
  const again = await enrol(second, syntheticFace(21, h.dim, 0.2, 2));
  assert.equal(again.status, 201, 'not flagged against the same person twice');
  const audit = await h.ctx.db.query("SELECT 1 FROM audit_log WHERE action = 'duplicate.different_people' AND subject_id = $1", [flagId]);
  assert.equal(audit.rows.length, 1);
});

test('"same person, merge": one record kept, the other closed with its history; the closed one cannot enrol', async () => {
  const { first, second, flagId } = await flaggedPair(31, ['Rani', 'Rani Kumari']);
  const r = await decide(flagId, 'same_person', 'registered twice at two centres');
  assert.equal(r.status, 200);
  assert.equal(r.body.kept, first.id);
  assert.equal(r.body.closed, second.id);
  const closed = await h.call('GET', `/v1/beneficiaries/${second.id}`, await h.token(ADMIN));
  assert.ok(closed.body.closedAt);
  assert.equal(closed.body.mergedInto, first.id);
  const consents = await h.ctx.db.query('SELECT 1 FROM consents WHERE beneficiary_id = $1', [second.id]);
  assert.equal(consents.rows.length, 1, 'history kept');
  const before = await rowCounts(h.ctx.db);
  const e = await enrol(second, syntheticFace(31, h.dim));
  assert.equal(e.status, 409);
  assert.equal(e.body.code, 'beneficiary_closed');
  assert.deepEqual(await rowCounts(h.ctx.db), before);
});

test('"fraud suspected": both flagged, the enrolling worker\'s other enrolments listed', async () => {
  const { first, second, flagId } = await flaggedPair(41, ['Kamla', 'Kamla Devi']);
  const r = await decide(flagId, 'fraud_suspected', 'same face, different names and husbands');
  assert.equal(r.status, 200);
  assert.ok(r.body.flagged.fraudFlagged && r.body.candidate.fraudFlagged);
  assert.equal(r.body.enrollingWorker, OTHER_AWC_WORKER.sub);
  assert.ok(r.body.workerEnrolments.some((e: { beneficiaryId: string }) => e.beneficiaryId === second.id));
  assert.ok(r.body.workerEnrolments.every((e: { awc: string }) => e.awc === 'AWC-002'));
  const one = await h.call('GET', `/v1/duplicates/${flagId}`, admin);
  assert.equal(one.body.workerEnrolments.length, r.body.workerEnrolments.length);
  const kept = await h.call('GET', `/v1/beneficiaries/${first.id}`, admin);
  assert.equal(kept.body.closedAt, null, 'fraud suspected closes nothing: no ration is denied on suspicion');
});

test('refused, nothing written: deciding twice, from another district, without a note, an unknown decision', async () => {
  const { flagId } = await flaggedPair(51, ['Usha', 'Usha Rani']);
  const cases: Array<[() => Promise<{ status: number; body: any }>, number, string]> = [
    [async () => decide(flagId, 'different_people', 'not mine', await h.token(OTHER_ADMIN)), 403, 'out_of_scope'],
    [() => decide(flagId, 'same_person', '   '), 400, 'note_required'],
    [() => decide(flagId, 'maybe'), 400, 'invalid_request'],
    [() => decide('00000000-0000-4000-8000-000000000000', 'same_person'), 404, 'duplicate_flag_not_found'],
  ];
  for (const [call, status, code] of cases) {
    const before = await rowCounts(h.ctx.db);
    const r = await call();
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.equal(r.body.code, code);
    assert.deepEqual(await rowCounts(h.ctx.db), before);
  }
  assert.equal((await decide(flagId, 'different_people')).status, 200);
  const before = await rowCounts(h.ctx.db);
  const twice = await decide(flagId, 'same_person');
  assert.equal(twice.status, 409);
  assert.equal(twice.body.code, 'duplicate_already_decided');
  assert.deepEqual(await rowCounts(h.ctx.db), before);
});
