import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { ADMIN, CONSENT, createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

// Issue 10, item 1: a no-match used to answer the cosine score to four decimals, and a new
// deviceId reset the three-attempt count; ~120 synthetic probes recovered a template.

let h: Harness;
let token: string;
const COLLEAGUE: Principal = { sub: 'worker-1b', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' };

before(async () => {
  h = await createHarness();
  token = await h.token(WORKER);
});
after(() => h.close());

const verify = (id: string, face: Float32Array, o: { deviceId?: string; worker?: Principal; tok?: string; liveness?: number } = {}) =>
  h.call('POST', '/v1/verifications', o.tok ?? token, { beneficiaryId: id, envelope: h.seal(face, (o.worker ?? WORKER).sub, o.liveness === undefined ? {} : { liveness: o.liveness }), deviceId: o.deviceId ?? 'phone-1' });

/** Every key anywhere in a JSON value. */
function keysOf(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => keysOf(x, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(k), keysOf(x, out);
  return out;
}
const ORACLE_KEY = /score|threshold|similarity|distance|cosine/i;

test('no worker-facing answer carries a score or a threshold: match, no match, not live, refusals, fallbacks, enrolment', async () => {
  const first = h.responses.length;
  const { id } = await enrolledBeneficiary(h, syntheticFace(1001, h.dim));
  const { id: noConsent } = await enrolledBeneficiary(h, syntheticFace(1002, h.dim), { consent: false });
  const { id: notEnrolled } = await enrolledBeneficiary(h, syntheticFace(1003, h.dim), { enrol: false });
  const answers = [
    await verify(id, syntheticFace(1999, h.dim)), // no match
    await verify(id, syntheticFace(1001, h.dim, 0.3, 1), { liveness: 0.01 }), // not live
    await verify(id, syntheticFace(1001, h.dim, 0.3, 2)), // match
    await verify(id, syntheticFace(1001, h.dim, 0.3, 3)), // 409 already distributed
    await verify(noConsent, syntheticFace(1002, h.dim)), // 409 consent required
    await verify(notEnrolled, syntheticFace(1003, h.dim)), // 409 not enrolled
  ];
  assert.deepEqual(answers.map((a) => a.body.outcome), ['no_match', 'liveness_failed', 'match', 'already_distributed', 'no_consent', 'not_enrolled']);
  const caseId = answers[4]!.body.fallback.fallbackCaseId;
  answers.push(await h.call('GET', `/v1/fallback-cases/${caseId}`, token));
  answers.push(await h.call('GET', `/v1/beneficiaries/${id}`, token));

  for (const body of h.responses.slice(first)) {
    const leaked = keysOf(JSON.parse(body)).filter((k) => ORACLE_KEY.test(k));
    assert.deepEqual(leaked, [], `a worker saw ${leaked.join(', ')} in ${body.slice(0, 200)}`);
  }
  // The score is still recorded, for the admin's review.
  const stored = await h.ctx.db.query<{ outcome: string; score: number | null }>('SELECT outcome, score FROM verifications WHERE beneficiary_id = $1 ORDER BY created_at', [id]);
  assert.ok(stored.rows.filter((r) => r.outcome === 'no_match' || r.outcome === 'match').every((r) => typeof r.score === 'number'));
  const adminView = await h.call('GET', `/v1/review/cases/${caseId}`, await h.token(ADMIN));
  assert.equal(adminView.status, 200);
});

test('face attempts are limited per beneficiary per day across devices and workers; then the face path is closed, unscored, until midnight in India', async () => {
  h.setNow(new Date('2027-03-10T06:00:00Z')); // 11:30 in India (a later date: sessions start now, tokens cannot predate them)
  try {
  const { id } = await enrolledBeneficiary(h, syntheticFace(1100, h.dim));
  // Tokens are minted on the service's clock, so these are made after it moved.
  const token = await h.token(WORKER);
  const colleague = await h.token(COLLEAGUE);
  const a = await verify(id, syntheticFace(1101, h.dim), { deviceId: 'phone-1', tok: token });
  const b = await verify(id, syntheticFace(1102, h.dim), { deviceId: 'phone-2', worker: COLLEAGUE, tok: colleague });
  const c = await verify(id, syntheticFace(1103, h.dim), { deviceId: 'phone-3', tok: token });
  assert.deepEqual([a, b, c].map((r) => r.body.fallback.attemptsLeft), [2, 1, 0]);
  const caseId = c.body.fallback.fallbackCaseId;
  assert.ok(caseId);

  // Even the real face is not scored now, from a fresh device, by either worker: fallback only.
  for (const [tok, worker, deviceId] of [[token, WORKER, 'phone-9'], [colleague, COLLEAGUE, 'phone-10']] as const) {
    const closed = await verify(id, syntheticFace(1100, h.dim, 0.3, 7), { deviceId, worker, tok });
    assert.deepEqual([closed.status, closed.body.code, closed.body.outcome, closed.body.match], [409, 'face_attempts_exhausted', 'face_attempts_exhausted', false]);
    assert.deepEqual([closed.body.fallback.fallbackCaseId, closed.body.fallback.attemptsLeft], [caseId, 0]);
    assert.equal(Number(closed.headers['retry-after']), 12.5 * 3600, 'open again at midnight in India');
    assert.equal(closed.body.distributionId, null);
  }
  const rows = await h.ctx.db.query<{ outcome: string; score: number | null }>('SELECT outcome, score FROM verifications WHERE beneficiary_id = $1 ORDER BY created_at', [id]);
  assert.deepEqual(rows.rows.map((r) => [r.outcome, r.score === null]), [['no_match', false], ['no_match', false], ['no_match', false], ['face_attempts_exhausted', true], ['face_attempts_exhausted', true]]);
  assert.equal((await h.ctx.db.query('SELECT 1 FROM distributions WHERE beneficiary_id = $1', [id])).rows.length, 0);

  // The attempts are an exclusion-metrics signal for the AWC.
  const m = await h.call('GET', '/v1/metrics/exclusion?from=2027-03-10&to=2027-03-10', await h.token(ADMIN));
  const awc = m.body.awcs.find((x: { awc: string }) => x.awc === 'AWC-001');
  assert.deepEqual([awc.faceLockouts, awc.refusedAfterLockout], [1, 2]);

  // The next day in India the face path is open again, and the real face delivers.
  h.setNow(new Date('2027-03-10T18:31:00Z')); // 00:01 on 11 March in India
  const nextDay = await verify(id, syntheticFace(1100, h.dim, 0.3, 8), { worker: WORKER, tok: await h.token(WORKER) });
  assert.deepEqual([nextDay.status, nextDay.body.outcome], [200, 'match']);
  } finally {
    h.setNow(undefined);
  }
});

test('concurrent face attempts cannot race past the limit: at most three are scored', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(1200, h.dim));
  const colleague = await h.token(COLLEAGUE);
  const results = await Promise.all(
    Array.from({ length: 10 }, (_, i) => verify(id, syntheticFace(1201 + i, h.dim), i % 2 ? { deviceId: `phone-${i}`, worker: COLLEAGUE, tok: colleague } : { deviceId: `phone-${i}` })),
  );
  assert.equal(results.filter((r) => r.body.outcome === 'no_match').length, 3);
  assert.equal(results.filter((r) => r.body.code === 'face_attempts_exhausted').length, 7);
  const scored = await h.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM verifications WHERE beneficiary_id = $1 AND score IS NOT NULL', [id]);
  assert.equal(Number(scored.rows[0]!.n), 3);
});

// The audit after issue 10: a guardian visit scores the GUARDIAN's face, but only the children's
// attempt rows were read, so once a mother's own face path was closed a worker could go on scoring
// her template through visits (nine in a row were measured). Her face is what is scored: her count.
const GUARDIAN_CONSENT = { ...CONSENT, givenBy: 'guardian' } as const;

/** A child under three (born a year before the clock), consented by her guardian and linked to her. */
async function babyOf(guardianId: string, tok: string, name: string): Promise<string> {
  const born = new Date(h.ctx.clock().getTime() - 365 * 86_400_000).toISOString().slice(0, 10);
  const r = await h.call('POST', '/v1/beneficiaries', tok, { category: 'child_6m_3y', name, birthDate: born, guardian: { name: 'Asha Devi', relation: 'mother' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal((await h.call('POST', `/v1/beneficiaries/${r.body.id}/consents`, tok, GUARDIAN_CONSENT)).status, 201);
  const link = await h.call('POST', `/v1/beneficiaries/${r.body.id}/guardians`, tok, { guardianId, relation: 'mother' });
  assert.equal(link.status, 201, JSON.stringify(link.body));
  return r.body.id;
}
const visit = (tok: string, guardianId: string, childIds: string[], face: Float32Array, worker: Principal = WORKER) =>
  h.call('POST', '/v1/guardian-visits', tok, { guardianId, childIds, envelope: h.seal(face, worker.sub), deviceId: 'phone-1' });
const countOf = async (sql: string, params: unknown[]) => Number((await h.ctx.db.query<{ n: string }>(sql, params)).rows[0]!.n);
const scoredFaceOf = (guardianId: string) => countOf('SELECT count(*) AS n FROM verifications WHERE face_of = $1 AND score IS NOT NULL', [guardianId]);

test("a guardian's closed face path closes her visits too: refused unscored with retry-after, and counted as a refused try", async () => {
  h.setNow(new Date('2027-04-12T06:00:00Z')); // 11:30 in India; a day no other test uses
  try {
    const tok = await h.token(WORKER);
    const { id: mother } = await enrolledBeneficiary(h, syntheticFace(1300, h.dim));
    const baby = await babyOf(mother, tok, 'Chinki');
    for (const seed of [1301, 1302, 1303]) assert.equal((await verify(mother, syntheticFace(seed, h.dim), { tok })).body.outcome, 'no_match');
    assert.equal((await verify(mother, syntheticFace(1300, h.dim, 0.3, 1), { tok })).body.code, 'face_attempts_exhausted', 'her direct path is closed');

    const r = await visit(tok, mother, [baby], syntheticFace(1300, h.dim, 0.3, 2));
    assert.deepEqual([r.status, r.body.code, r.body.outcome, r.body.match], [409, 'face_attempts_exhausted', 'face_attempts_exhausted', false], JSON.stringify(r.body));
    assert.equal(Number(r.headers['retry-after']), 12.5 * 3600, 'open again at midnight in India');
    assert.deepEqual(r.body.childIds, [baby]);
    assert.equal(r.body.children[0].distributionId, null);
    assert.ok(r.body.children[0].fallback.fallbackCaseId, "the child's case is open: OTP or attestation takes the ration home");
    assert.equal(JSON.stringify(r.body).match(/score|threshold/i), null);
    // Nothing scored, nothing delivered; the refused try is recorded as direct verification records it.
    assert.equal(await scoredFaceOf(mother), 0);
    assert.equal(await countOf('SELECT count(*) AS n FROM distributions WHERE beneficiary_id = $1', [baby]), 0);
    assert.deepEqual((await h.ctx.db.query('SELECT outcome, score, face_of FROM verifications WHERE beneficiary_id = $1', [baby])).rows, [{ outcome: 'face_attempts_exhausted', score: null, face_of: mother }]);
    assert.equal(await countOf('SELECT refused AS n FROM face_attempts WHERE beneficiary_id = $1', [mother]), 2, 'one direct try and one visit refused after the lockout');
    const m = await h.call('GET', '/v1/metrics/exclusion?from=2027-04-12&to=2027-04-12', await h.token(ADMIN));
    const awc = m.body.awcs.find((x: { awc: string }) => x.awc === 'AWC-001');
    assert.deepEqual([awc.faceLockouts, awc.refusedAfterLockout], [1, 2]);
  } finally {
    h.setNow(undefined);
  }
});

test('failed guardian visits count against the guardian: after three, neither a visit for another child nor her own verification is scored', async () => {
  h.setNow(new Date('2027-04-13T06:00:00Z'));
  try {
    const tok = await h.token(WORKER);
    const { id: mother } = await enrolledBeneficiary(h, syntheticFace(1400, h.dim));
    const babies: string[] = [];
    for (const name of ['Pinki', 'Rinki', 'Tinku', 'Munni']) babies.push(await babyOf(mother, tok, name));
    // One failed visit per child: no child reaches her own limit, the mother does.
    const left = [];
    for (let i = 0; i < 3; i++) {
      const miss = await visit(tok, mother, [babies[i]!], syntheticFace(1401 + i, h.dim));
      assert.equal(miss.status, 200, JSON.stringify(miss.body));
      left.push(miss.body.children[0].fallback.attemptsLeft);
    }
    assert.deepEqual(left, [2, 1, 0], "the guardian's attempts left, not the child's");
    assert.equal(await countOf('SELECT failed AS n FROM face_attempts WHERE beneficiary_id = $1', [mother]), 3);
    const fourth = await visit(tok, mother, [babies[3]!], syntheticFace(1400, h.dim, 0.3, 3));
    assert.deepEqual([fourth.status, fourth.body.code], [409, 'face_attempts_exhausted'], JSON.stringify(fourth.body));
    const own = await verify(mother, syntheticFace(1400, h.dim, 0.3, 4), { tok });
    assert.deepEqual([own.status, own.body.code], [409, 'face_attempts_exhausted']);
    assert.equal(await scoredFaceOf(mother), 3, 'three scored visits, then nothing');
    assert.equal(await countOf('SELECT count(*) AS n FROM verifications WHERE beneficiary_id = $1 AND score IS NOT NULL', [mother]), 0);
  } finally {
    h.setNow(undefined);
  }
});

test('concurrent visits and verifications of one guardian cannot race past her limit', async () => {
  const { id: mother } = await enrolledBeneficiary(h, syntheticFace(1500, h.dim));
  const babies: string[] = [];
  for (const name of ['Guddu', 'Bablu', 'Sonu']) babies.push(await babyOf(mother, token, name));
  // Workers of their own: the per-user rate limits are not what this test is about.
  const [w1, w2] = [{ ...WORKER, sub: 'worker-race-1' }, { ...WORKER, sub: 'worker-race-2' }];
  const [t1, t2] = [await h.token(w1), await h.token(w2)];
  const results = await Promise.all(
    Array.from({ length: 9 }, (_, i) => (i % 3 === 2 ? verify(mother, syntheticFace(1510 + i, h.dim), { worker: w2, tok: t2 }) : visit(t1, mother, [babies[i % 3]!], syntheticFace(1510 + i, h.dim), w1))),
  );
  const answers = results.map((r) => `${r.status} ${r.body.code ?? r.body.outcome}`);
  assert.deepEqual(answers.filter((a) => a !== '200 no_match' && a !== '409 face_attempts_exhausted'), [], 'a decision or the limit, nothing else');
  assert.equal(answers.filter((a) => a === '200 no_match').length, 3);
  assert.equal(await countOf('SELECT count(*) AS n FROM verifications WHERE (face_of = $1 OR (beneficiary_id = $1 AND face_of IS NULL)) AND score IS NOT NULL', [mother]), 3);
});
