import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scaledRateLimits } from '../src/rate-limit.js';
import { createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  // 50 verifications from one worker at once is a database race, not a worker's pace: the
  // per-user rate limit (30 a minute) is raised so the race reaches the database.
  h = await createHarness({ rateLimits: scaledRateLimits(10) });
});
after(() => h.close());

test('50 concurrent genuine verifications of one beneficiary in one month deliver exactly one ration', async () => {
  const { id, token } = await enrolledBeneficiary(h, syntheticFace(51, h.dim));
  const envelopes = Array.from({ length: 50 }, (_, i) => h.seal(syntheticFace(51, h.dim, 0.3, i), WORKER.sub));
  const results = await Promise.all(envelopes.map((envelope) => h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope })));
  const delivered = results.filter((r) => r.status === 200 && r.body.distributionId);
  const refused = results.filter((r) => r.status === 409 && r.body.code === 'already_distributed');
  assert.equal(delivered.length, 1);
  assert.equal(refused.length, 49);
  const rows = await h.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM distributions WHERE beneficiary_id = $1', [id]);
  assert.equal(Number(rows.rows[0]!.n), 1);
  // Every attempt is on record, and the chain still holds.
  const attempts = await h.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM verifications WHERE beneficiary_id = $1', [id]);
  assert.equal(Number(attempts.rows[0]!.n), 50);
  const chain = await h.call('GET', '/v1/audit/verify', await h.token({ sub: 'a', role: 'auditor' }));
  assert.equal(chain.body.ok, true);
});

test('a new month is a new ration', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(52, h.dim));
  h.setNow(new Date('2026-01-31T18:00:00Z')); // 23:30 on 31 January in India
  // Tokens are minted on the moved clock: a token issued "in the future" is refused.
  const jan = await h.call('POST', '/v1/verifications', await h.token(WORKER), { beneficiaryId: id, envelope: h.seal(syntheticFace(52, h.dim, 0.3, 1), WORKER.sub) });
  assert.equal(jan.body.month, '2026-01');
  h.setNow(new Date('2026-01-31T18:31:00Z')); // 00:01 on 1 February in India, still January in UTC
  const feb = await h.call('POST', '/v1/verifications', await h.token(WORKER), { beneficiaryId: id, envelope: h.seal(syntheticFace(52, h.dim, 0.3, 2), WORKER.sub) });
  assert.equal(feb.status, 200);
  assert.equal(feb.body.month, '2026-02');
  assert.ok(feb.body.distributionId);
});
