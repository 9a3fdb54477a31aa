import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scaledRateLimits } from '../src/rate-limit.js';
import { ADMIN, AUDITOR, CONSENT, createHarness, deliverByAttestation, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

// "Same person, merge" moves what still acts from the closed record to the kept one, in the
// decision's transaction: guardian links (once each), undelivered fallback cases (closed), and
// this month's ration (so she cannot collect twice). Every move is audited and the auditor's
// cross-check finds nothing missing.
let h: Harness;
const NOW = new Date('2026-11-10T06:00:00Z');
const LAST_MONTH = new Date('2026-10-10T06:00:00Z');

before(async () => {
  // The race below sends several face attempts from one worker at once.
  h = await createHarness({ rateLimits: scaledRateLimits(10) });
  h.setNow(NOW);
});
after(() => h.close());

const worker = () => h.token(WORKER);
const admin = () => h.token(ADMIN);

async function register(body: object) {
  const r = await h.call('POST', '/v1/beneficiaries', await worker(), body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id = r.body.id as string;
  const givenBy = 'guardian' in body ? 'guardian' : 'self';
  assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, await worker(), { ...CONSENT, givenBy })).status, 201);
  return id;
}
const mother = (name: string) => register({ category: 'lactating', name, mobile: '+919812340000' });
const child = (name: string, birthDate: string) => register({ category: birthDate < '2023-11-10' ? 'child_3_6y' : 'child_6m_3y', name, birthDate, guardian: { name: 'Sunita', relation: 'mother' } });
const enrol = async (id: string, face: Float32Array) => h.call('POST', `/v1/beneficiaries/${id}/templates`, await worker(), { envelope: h.seal(face, WORKER.sub) });
const link = async (childId: string, guardianId: string) => {
  const r = await h.call('POST', `/v1/beneficiaries/${childId}/guardians`, await worker(), { guardianId, relation: 'mother' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
};
/** A further guardian for a child who has one: held for a supervisor, who approves it (guardian-link.ts). */
const linkApproved = async (childId: string, guardianId: string) => {
  const r = await h.call('POST', `/v1/beneficiaries/${childId}/guardians`, await worker(), { guardianId, relation: 'aunt' });
  assert.deepEqual([r.status, r.body.code], [409, 'guardian_link_needs_approval'], JSON.stringify(r.body));
  const supervisor = await h.token({ sub: 'sup-m', role: 'supervisor', awcs: ['AWC-001'], district: 'D1', state: 'S1' });
  const d = await h.call('POST', `/v1/change-requests/${r.body.changeRequestId}/decision`, supervisor, { decision: 'approve', note: 'she lives with the child' });
  assert.deepEqual([d.status, d.body.status], [200, 'applied'], JSON.stringify(d.body));
};
const guardiansOf = async (childId: string) => ((await h.call('GET', `/v1/beneficiaries/${childId}/guardians`, await worker())).body.items as Array<{ guardianId: string }>).map((g) => g.guardianId);
const decide = async (flagId: string, decision = 'same_person') => h.call('POST', `/v1/duplicates/${flagId}/decision`, await admin(), { decision, note: 'one woman registered twice' });
const openCase = async (beneficiaryId: string, reason = 'not_enrolled') => h.call('POST', '/v1/fallback-cases', await worker(), { beneficiaryId, reason });
const verifyFace = async (beneficiaryId: string, face: Float32Array) => h.call('POST', '/v1/verifications', await worker(), { beneficiaryId, envelope: h.seal(face, WORKER.sub) });

/** `kept` enrolled with a face; `closed` registered after, her enrolment with the same face stopped as a possible duplicate. */
async function pair(seed: number, make: (n: string) => Promise<string> = mother) {
  const face = syntheticFace(seed, h.dim);
  const kept = await make(`Kept ${seed}`);
  assert.equal((await enrol(kept, face)).status, 201);
  const closed = await make(`Closed ${seed}`);
  const flagged = await enrol(closed, syntheticFace(seed, h.dim, 0.2, 1));
  assert.equal(flagged.body.code, 'possible_duplicate');
  return { kept, closed, face, flagId: flagged.body.duplicateFlagId as string };
}

async function auditClean() {
  const report = (await h.call('GET', '/v1/audit/verify', await h.token(AUDITOR))).body;
  assert.deepEqual([report.ok, report.missing], [true, []], JSON.stringify(report.missing));
}

async function unchanged<T>(what: () => Promise<T>): Promise<T> {
  const before = await rowCounts(h.ctx.db);
  const result = await what();
  assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing may be written');
  return result;
}

test("a mother registered twice: her children's links move to the kept record once, her open case is closed, the kept record collects", async () => {
  const { kept, closed, face, flagId } = await pair(801);
  const onlyClosed = await child('Isha', '2025-06-01');
  const both = await child('Aarav', '2025-03-01');
  await link(onlyClosed, closed);
  await link(both, kept);
  await linkApproved(both, closed);
  const open = await openCase(closed, 'camera_fault');
  assert.equal(open.status, 201);

  const r = await decide(flagId);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual([r.body.kept, r.body.closed], [kept, closed]);
  assert.deepEqual(r.body.merge, { guardianLinksMoved: 1, fallbackCasesClosed: [open.body.id], distributionsMoved: [], rationsTwiceInAMonth: [] });
  assert.deepEqual(await guardiansOf(onlyClosed), [kept]);
  assert.deepEqual(await guardiansOf(both), [kept], 'linked to both records: linked once');
  const ended = await h.ctx.db.query('SELECT 1 FROM guardianships WHERE guardian_id = $1 AND ended_at IS NOT NULL', [closed]);
  assert.equal(ended.rows.length, 2, "the closed record's links are ended, not deleted");

  const c = await h.call('GET', `/v1/fallback-cases/${open.body.id}`, await worker());
  assert.ok(c.body.closedAt);
  assert.deepEqual([c.body.closedByDuplicateFlag, c.body.delivered], [flagId, false]);
  const supervisor = await h.token({ sub: 'sup-m', role: 'supervisor', awcs: ['AWC-001'], district: 'D1', state: 'S1' });
  const refusals: Array<[() => Promise<{ status: number; body: any }>, string]> = [
    [() => h.call('POST', `/v1/fallback-cases/${open.body.id}/attestation`, supervisor, { reasonCode: 'known_to_supervisor', note: 'known to me' }), 'fallback_case_closed'],
    [async () => h.call('POST', `/v1/fallback-cases/${open.body.id}/otp`, await worker()), 'fallback_case_closed'],
    [() => openCase(closed), 'beneficiary_closed'],
    [async () => h.call('POST', '/v1/guardian-visits', await worker(), { guardianId: closed, childIds: [onlyClosed], envelope: h.seal(face, WORKER.sub) }), 'beneficiary_closed'],
  ];
  for (const [call, code] of refusals) {
    const x = await unchanged(call);
    assert.deepEqual([x.status, x.body.code], [409, code], JSON.stringify(x.body));
  }
  // The kept record collects for both children with one capture.
  const v = await h.call('POST', '/v1/guardian-visits', await worker(), { guardianId: kept, childIds: [onlyClosed, both], envelope: h.seal(syntheticFace(801, h.dim, 0.3, 2), WORKER.sub) });
  assert.equal(v.status, 200, JSON.stringify(v.body));
  assert.ok(v.body.children.every((x: { distributionId: string | null }) => x.distributionId));

  const audit = await h.ctx.db.query<{ action: string; subject_id: string }>("SELECT action, subject_id FROM audit_log WHERE details ->> 'duplicateFlagId' = $1 AND action LIKE 'guardian.%'", [flagId]);
  assert.deepEqual(audit.rows.map((a) => `${a.action} ${a.subject_id}`).sort(), [`guardian.link_ended ${both}`, `guardian.link_ended ${onlyClosed}`, `guardian.linked ${onlyClosed}`].sort());
  await auditClean();
});

test("a child registered twice: her guardians move to the kept record, one she had on both stays once", async () => {
  const { kept, closed, flagId } = await pair(811, (n) => child(n, '2022-05-01'));
  const [m, aunt] = [await mother('Kavita'), await mother('Rekha')];
  await link(kept, m);
  await link(closed, m);
  await linkApproved(closed, aunt);
  const r = await decide(flagId);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.merge.guardianLinksMoved, 1);
  assert.deepEqual((await guardiansOf(kept)).sort(), [m, aunt].sort());
  assert.deepEqual(await guardiansOf(closed), []);
  await auditClean();
});

test("this month's ration given on the closed record counts for the kept one; earlier months stay where they were", async () => {
  // October: registered twice, and she collected on both records (by face on one, by attestation on the other).
  h.setNow(LAST_MONTH);
  const { kept, closed, flagId } = await pair(821);
  assert.equal((await verifyFace(kept, syntheticFace(821, h.dim, 0.3, 2))).status, 200);
  const oct = await openCase(closed);
  await deliverByAttestation(h, oct.body.id, WORKER);
  // November: on the closed record only, so far.
  h.setNow(NOW);
  const nov = await openCase(closed);
  await deliverByAttestation(h, nov.body.id, WORKER);
  const novDist = (await h.call('GET', `/v1/fallback-cases/${nov.body.id}`, await worker())).body.distributionId as string;
  const octDist = (await h.call('GET', `/v1/fallback-cases/${oct.body.id}`, await worker())).body.distributionId as string;

  const r = await decide(flagId);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body.merge, { guardianLinksMoved: 0, fallbackCasesClosed: [], distributionsMoved: [novDist], rationsTwiceInAMonth: [octDist] });
  const rows = await h.ctx.db.query<{ id: string; beneficiary_id: string; merged_from: string | null }>('SELECT id, beneficiary_id, merged_from FROM distributions WHERE id = ANY($1::uuid[])', [[novDist, octDist]]);
  const byId = new Map(rows.rows.map((x) => [x.id, x]));
  assert.deepEqual([byId.get(novDist)!.beneficiary_id, byId.get(novDist)!.merged_from], [kept, closed]);
  assert.deepEqual([byId.get(octDist)!.beneficiary_id, byId.get(octDist)!.merged_from], [closed, null]);
  // The delivered case is history: not closed, still the admin's to review.
  const c = (await h.call('GET', `/v1/fallback-cases/${nov.body.id}`, await worker())).body;
  assert.deepEqual([c.closedAt, c.delivered], [null, true]);
  assert.equal((await h.call('POST', `/v1/review/cases/${nov.body.id}/decision`, await admin(), { decision: 'approve' })).status, 200);

  const again = await verifyFace(kept, syntheticFace(821, h.dim, 0.3, 3));
  assert.deepEqual([again.status, again.body.code], [409, 'already_distributed'], 'she cannot collect twice in the month');
  const keptNov = await h.ctx.db.query("SELECT 1 FROM distributions WHERE beneficiary_id = $1 AND month = '2026-11-01'", [kept]);
  assert.equal(keptNov.rows.length, 1);
  await auditClean();
});

test('refused, nothing written: a record merged already, a child with an adult; the flag stays open', async () => {
  // The same registration stopped twice against the same face: two flags, one person.
  const { closed, flagId } = await pair(831);
  const second = await enrol(closed, syntheticFace(831, h.dim, 0.2, 2));
  assert.equal(second.body.code, 'possible_duplicate');
  assert.equal((await decide(flagId)).status, 200);
  const twice = await unchanged(() => decide(second.body.duplicateFlagId));
  assert.deepEqual([twice.status, twice.body.code, twice.body.beneficiaryIds], [409, 'beneficiary_closed', [closed]]);

  const adult = await mother('Geeta');
  const face = syntheticFace(832, h.dim);
  assert.equal((await enrol(adult, face)).status, 201);
  const kid = await child('Sonu', '2022-01-01');
  const flagged = await enrol(kid, syntheticFace(832, h.dim, 0.2, 1));
  assert.equal(flagged.body.code, 'possible_duplicate');
  const mixed = await unchanged(() => decide(flagged.body.duplicateFlagId));
  assert.deepEqual([mixed.status, mixed.body.code], [409, 'merge_child_with_adult']);
  const still = await h.call('GET', `/v1/duplicates/${flagged.body.duplicateFlagId}`, await admin());
  assert.equal(still.body.status, 'open');
  assert.equal((await decide(flagged.body.duplicateFlagId, 'fraud_suspected')).status, 200);
  await auditClean();
});

test('a merge racing a fallback delivery on the closed record and face attempts on the kept one: one ration this month', async () => {
  const { kept, closed, flagId } = await pair(841);
  const c = await openCase(closed);
  const supervisor = await h.token({ sub: 'sup-r', role: 'supervisor', awcs: ['AWC-001'], district: 'D1', state: 'S1' });
  const results = await Promise.all([
    decide(flagId),
    h.call('POST', `/v1/fallback-cases/${c.body.id}/attestation`, supervisor, { reasonCode: 'known_to_supervisor', note: 'known to me' }),
    ...[1, 2, 3].map((i) => verifyFace(kept, syntheticFace(841, h.dim, 0.3, i))),
  ]);
  const allowed = new Set(['already_distributed', 'fallback_case_closed', 'beneficiary_closed']);
  for (const r of results) assert.ok(r.status === 200 || (r.status === 409 && allowed.has(r.body.code)), JSON.stringify([r.status, r.body.code]));
  assert.equal(results[0]!.status, 200, 'the decision itself is never refused by the race');
  const month = await h.ctx.db.query<{ beneficiary_id: string }>("SELECT beneficiary_id FROM distributions WHERE beneficiary_id = ANY($1::uuid[]) AND month = '2026-11-01'", [[kept, closed]]);
  const onClosed = month.rows.filter((x) => x.beneficiary_id === closed).length;
  const onKept = month.rows.filter((x) => x.beneficiary_id === kept).length;
  assert.equal(onKept, 1, 'the kept record holds this month’s ration');
  // Only a ration given on the closed record before the merge while the kept one also had one stays there (collected twice, reported).
  assert.equal(onClosed, results[0]!.body.merge.rationsTwiceInAMonth.length);
  const after = await verifyFace(kept, syntheticFace(841, h.dim, 0.3, 9));
  assert.equal(after.body.code, 'already_distributed');
  await auditClean();
});
