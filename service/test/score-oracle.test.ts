import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { ADMIN, createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

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
