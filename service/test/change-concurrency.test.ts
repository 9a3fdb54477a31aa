import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scaledRateLimits } from '../src/rate-limit.js';
import { createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

// A change to a beneficiary's record (a new OTP mobile, a re-enrolment) raced against face
// verifications of the same person. The change locked her record FOR UPDATE and then her face-
// attempt row; a verification holds that row and then takes a KEY SHARE lock on the record for
// its foreign key: on a server the two deadlocked (a 500). Whatever the interleaving: no 5xx,
// every verification answered, every change request written once.
let h: Harness;
let token: string;

before(async () => {
  h = await createHarness({ rateLimits: scaledRateLimits(100) });
  token = await h.token(WORKER);
});
after(() => h.close());

test('changes to a record and face verifications of the same person never deadlock', { timeout: 300_000 }, async () => {
  const people: string[] = [];
  for (let i = 0; i < 12; i++) people.push((await enrolledBeneficiary(h, syntheticFace(9100 + i, h.dim))).id);
  const answers: { kind: 'verify' | 'mobile'; status: number }[] = [];
  const calls = people.flatMap((id, i) => [
    // A face that is not hers: no match, a failed attempt counted under her attempt row's lock.
    ['verify', () => h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(syntheticFace(9900 + i, h.dim), WORKER.sub) })] as const,
    // A new number with another face: her record locked, then her attempt row (the face is scored).
    ['mobile', () => h.call('POST', `/v1/beneficiaries/${id}/mobile`, token, { mobile: `+9198000${String(10000 + i)}`, envelope: h.seal(syntheticFace(9950 + i, h.dim), WORKER.sub) })] as const,
    ['verify', () => h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(syntheticFace(9800 + i, h.dim), WORKER.sub) })] as const,
  ]);
  await Promise.all(calls.map(async ([kind, call]) => answers.push({ kind, status: (await call()).status })));
  assert.deepEqual(answers.filter((a) => a.status >= 500), [], JSON.stringify(answers));
  // Two other faces and one scored by the change: three failed attempts each, none refused yet.
  assert.deepEqual([...new Set(answers.filter((a) => a.kind === 'verify').map((a) => a.status))], [200]);
  assert.deepEqual([...new Set(answers.filter((a) => a.kind === 'mobile').map((a) => a.status))], [202], 'the change waits for a supervisor');
  const count = async (sql: string) => Number((await h.ctx.db.query<{ n: string }>(sql, [people])).rows[0]!.n);
  assert.equal(await count("SELECT count(*) AS n FROM change_requests WHERE kind = 'mobile_change' AND beneficiary_id = ANY($1)"), people.length, 'one waiting request per person');
  assert.equal(await count('SELECT count(*) AS n FROM verifications WHERE beneficiary_id = ANY($1)'), people.length * 2, 'every verification answered is written');
});
