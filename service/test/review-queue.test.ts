import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, createHarness, OTHER_ADMIN, OTHER_DISTRICT_WORKER, rowCounts, WORKER, deliverByAttestation, type Harness } from './harness.js';

let h: Harness;
let admin: string;
const ids: Record<string, string> = {};

async function caseFor(name: string, worker = WORKER, reason = 'camera_fault') {
  const token = await h.token(worker);
  const b = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name, mobile: '+919800000001' });
  assert.equal(b.status, 201, JSON.stringify(b.body));
  const c = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: b.body.id, reason });
  assert.equal(c.status, 201, JSON.stringify(c.body));
  // Only a delivered case can be reviewed.
  await deliverByAttestation(h, c.body.id, worker);
  return { beneficiaryId: b.body.id as string, caseId: c.body.id as string };
}

before(async () => {
  h = await createHarness();
  admin = await h.token(ADMIN);
  ids.sunita = (await caseFor('Sunita Kumari')).caseId;
  const meena = await caseFor('Meena 100%_Devi');
  ids.meena = meena.caseId;
  ids.meenaBeneficiary = meena.beneficiaryId;
  ids.rekha = (await caseFor('Rekha Bai')).caseId;
  ids.elsewhere = (await caseFor('Sunita Elsewhere', OTHER_DISTRICT_WORKER)).caseId;
  // Cases are stamped by the database's clock: set the days they were opened.
  await h.ctx.db.query("UPDATE fallback_cases SET opened_at = '2026-11-02T06:00:00Z' WHERE id = $1", [ids.sunita]);
  // 23:59 and 00:01 India time: the same calendar day there, two days in UTC.
  await h.ctx.db.query("UPDATE fallback_cases SET opened_at = '2026-11-09T18:31:00Z' WHERE id = $1", [ids.meena]);
  await h.ctx.db.query("UPDATE fallback_cases SET opened_at = '2026-11-10T18:29:00Z' WHERE id = $1", [ids.rekha]);
});
after(() => h.close());

const queue = async (q: string) => {
  const res = await h.call('GET', `/v1/review/cases?${q}`, admin);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.items as Array<{ id: string; beneficiaryName: string }>).map((c) => c.beneficiaryName).sort();
};

test('search by any part of a beneficiary name, any case, in the admin\'s district only; or by her id or the case id', async () => {
  assert.deepEqual(await queue('q=sunita'), ['Sunita Kumari']);
  assert.deepEqual(await queue('q=KUMAR'), ['Sunita Kumari']);
  // % and _ are letters in a name, not wildcards.
  assert.deepEqual(await queue(`q=${encodeURIComponent('100%_')}`), ['Meena 100%_Devi']);
  assert.deepEqual(await queue('q=%25'), ['Meena 100%_Devi']);
  assert.deepEqual(await queue(`q=${ids.meenaBeneficiary}`), ['Meena 100%_Devi']);
  assert.deepEqual(await queue(`q=${ids.rekha!.toUpperCase()}`), ['Rekha Bai']);
  assert.deepEqual(await queue('q=nobody'), []);
  assert.equal((await h.call('GET', `/v1/review/cases?q=${'x'.repeat(101)}`, admin)).status, 400);
});

test('date range on the day a case was opened (India), both ends included', async () => {
  assert.deepEqual(await queue('from=2026-11-10&to=2026-11-10'), ['Meena 100%_Devi', 'Rekha Bai']);
  assert.deepEqual(await queue('to=2026-11-09'), ['Sunita Kumari']);
  assert.deepEqual(await queue('from=2026-11-03'), ['Meena 100%_Devi', 'Rekha Bai']);
  assert.deepEqual(await queue('from=2026-11-01&q=rekha'), ['Rekha Bai']);
  const bad = await h.call('GET', '/v1/review/cases?from=2026-11-10&to=2026-11-09', admin);
  assert.deepEqual([bad.status, bad.body.code], [400, 'invalid_period']);
  assert.equal((await h.call('GET', '/v1/review/cases?from=2026-13-01', admin)).status, 400);
});

test('a bulk decision is all or none: one case out of scope or already decided refuses the batch, names it, and writes nothing', async () => {
  const before = await rowCounts(h.ctx.db);
  const outside = await h.call('POST', '/v1/review/decisions', admin, { caseIds: [ids.meena, ids.elsewhere], decision: 'approve', note: 'camera replaced' });
  assert.equal(outside.status, 403);
  assert.equal(outside.body.caseId, ids.elsewhere);
  const unknown = await h.call('POST', '/v1/review/decisions', admin, { caseIds: [ids.meena, '00000000-0000-4000-8000-000000000000'], decision: 'approve' });
  assert.deepEqual([unknown.status, unknown.body.code, unknown.body.caseId], [404, 'fallback_case_not_found', '00000000-0000-4000-8000-000000000000']);
  const noNote = await h.call('POST', '/v1/review/decisions', admin, { caseIds: [ids.meena], decision: 'reject', note: '  ' });
  assert.deepEqual([noNote.status, noNote.body.code], [400, 'note_required']);
  for (const body of [{ caseIds: [], decision: 'approve' }, { caseIds: [ids.meena, ids.meena], decision: 'approve' }, { caseIds: [ids.meena], decision: 'maybe' }]) {
    assert.equal((await h.call('POST', '/v1/review/decisions', admin, body)).status, 400, JSON.stringify(body));
  }
  assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing written by a refused batch');
  const pending = await h.call('GET', '/v1/review/cases?status=pending', admin);
  assert.equal(pending.body.total, 3);
});

test('a bulk rejection with one note: every case rejected with that note, each ration flagged for recovery, each audited', async () => {
  const worker = await h.token(WORKER);
  // Every case was delivered by attestation in before(), so each rejection has a ration to flag.
  const auditBefore = Number((await h.ctx.db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE action = 'fallback.rejected'")).rows[0]!.n);
  const res = await h.call('POST', '/v1/review/decisions', admin, { caseIds: [ids.meena, ids.rekha], decision: 'reject', note: 'camera was working that day' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.decided, 2);
  for (const c of res.body.cases) {
    assert.equal(c.reviewStatus, 'rejected');
    assert.equal(c.reviewNote, 'camera was working that day');
    assert.equal(c.reviewedBy, ADMIN.sub);
  }
  const flagged = await h.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM distributions WHERE recovery_case_id = ANY($1::uuid[]) AND recovery_flagged_at IS NOT NULL', [[ids.meena, ids.rekha]]);
  assert.equal(Number(flagged.rows[0]!.n), 2);
  const audited = Number((await h.ctx.db.query<{ n: string }>("SELECT count(*) AS n FROM audit_log WHERE action = 'fallback.rejected'")).rows[0]!.n);
  assert.equal(audited - auditBefore, 2);
  // Decided once: a second batch with one of them is refused whole.
  const again = await h.call('POST', '/v1/review/decisions', admin, { caseIds: [ids.sunita, ids.meena], decision: 'approve' });
  assert.deepEqual([again.status, again.body.code, again.body.caseId], [409, 'already_reviewed', ids.meena]);
  assert.equal((await h.call('GET', `/v1/review/cases/${ids.sunita}`, admin)).body.case.reviewStatus, 'pending');
  // Another district's admin cannot decide these.
  const other = await h.call('POST', '/v1/review/decisions', await h.token(OTHER_ADMIN), { caseIds: [ids.sunita], decision: 'approve' });
  assert.equal(other.status, 403);
  assert.equal((await h.call('POST', '/v1/review/decisions', worker, { caseIds: [ids.sunita], decision: 'approve' })).status, 403);
});

test('weekly exclusion figures: every week of the period from its Monday (India), a flagged AWC named in the week it happened', async () => {
  const h2 = await createHarness();
  try {
    // Thursday 2026-11-19, India: this week starts Monday 2026-11-16.
    h2.setNow(new Date('2026-11-19T06:00:00Z'));
    const worker = await h2.token(WORKER);
    const cases: string[] = [];
    for (let i = 0; i < 6; i++) {
      const b = await h2.call('POST', '/v1/beneficiaries', worker, { category: 'pregnant', name: `B${i}` });
      cases.push((await h2.call('POST', '/v1/fallback-cases', worker, { beneficiaryId: b.body.id, reason: 'camera_fault' })).body.id);
    }
    // Another state has a district coded D1 too (codes repeat across states): its cases, verifications
    // and rations this week must not reach S1/D1's figures.
    const elsewhere = await h2.token({ sub: 'worker-s2', role: 'worker', awc: 'AWC-S2-1', district: 'D1', state: 'S2' });
    const s2Cases: string[] = [];
    for (let i = 0; i < 3; i++) {
      const b = await h2.call('POST', '/v1/beneficiaries', elsewhere, { category: 'pregnant', name: `S2-${i}` });
      const c = await h2.call('POST', '/v1/fallback-cases', elsewhere, { beneficiaryId: b.body.id, reason: 'camera_fault' });
      assert.equal(c.status, 201);
      s2Cases.push(c.body.id);
    }
    // Opened this week (the database stamps its own clock; the service's is set back to November).
    await h2.ctx.db.query("UPDATE fallback_cases SET opened_at = '2026-11-17T06:00:00Z' WHERE id = ANY($1::uuid[])", [s2Cases]);
    // Six camera faults in the week of 2026-11-02 (Sunday 23:59 India is still that week), none since.
    await h2.ctx.db.query("UPDATE fallback_cases SET opened_at = '2026-11-08T18:29:00Z' WHERE id = ANY($1::uuid[])", [cases]);
    const res = await h2.call('GET', '/v1/metrics/exclusion/weekly?weeks=4', await h2.token(ADMIN));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.weeks.map((w: { weekStart: string }) => w.weekStart), ['2026-10-26', '2026-11-02', '2026-11-09', '2026-11-16']);
    const week = res.body.weeks[1];
    assert.deepEqual([week.fallbacks, week.byReason.camera_fault, week.fallbackRate, week.flaggedAwcs], [6, 6, 1, ['AWC-001']]);
    assert.deepEqual(res.body.weeks[2].flaggedAwcs, []);
    assert.equal(res.body.weeks[2].fallbackRate, null);
    assert.equal(res.body.weeks[3].fallbacks, 0, "S2's D1 is another district");
    const period = await h2.call('GET', '/v1/metrics/exclusion', await h2.token(ADMIN));
    assert.equal(period.status, 200, JSON.stringify(period.body));
    assert.ok(!JSON.stringify(period.body).includes('AWC-S2-1'), "no AWC of S2's D1 in S1/D1's figures");
    assert.equal((await h2.call('GET', '/v1/metrics/exclusion/weekly?weeks=53', await h2.token(ADMIN))).status, 400);
    assert.equal((await h2.call('GET', '/v1/metrics/exclusion/weekly', worker)).status, 403);
  } finally {
    await h2.close();
  }
});
