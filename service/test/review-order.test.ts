import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN, createHarness, enrolledBeneficiary, rowCounts, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

// Issue 10, item 4: a case rejected before delivery did not stop the later delivery, nor flag
// it; one approved before delivery left the delivery unreviewed. Chosen rule: a decision is
// about a delivery, so a case is decided only once its ration went out.

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

async function undeliveredCase(seed: number) {
  const { id } = await enrolledBeneficiary(h, syntheticFace(seed, h.dim));
  const res = await h.call('POST', '/v1/fallback-cases', await h.token(WORKER), { beneficiaryId: id, reason: 'camera_fault' });
  assert.equal(res.status, 201);
  return res.body.id as string;
}
const deliver = async (caseId: string) => {
  const res = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(SUPERVISOR), { reasonCode: 'home_visit', note: 'visited' });
  assert.equal(res.status, 200);
  return res.body.distributionId as string;
};
const decide = async (caseId: string, decision: 'approve' | 'reject') => h.call('POST', `/v1/review/cases/${caseId}/decision`, await h.token(ADMIN), { decision, note: 'reviewed' });

for (const decision of ['approve', 'reject'] as const) {
  test(`${decision} before delivery: 409 case_not_delivered, nothing changes; after delivery the same decision applies to it`, async () => {
    const caseId = await undeliveredCase(decision === 'approve' ? 7001 : 7002);
    const before = await rowCounts(h.ctx.db);
    const early = await decide(caseId, decision);
    assert.deepEqual([early.status, early.body.code], [409, 'case_not_delivered']);
    assert.deepEqual(await rowCounts(h.ctx.db), before, 'nothing written, not even an audit entry');
    const stillPending = await h.call('GET', `/v1/review/cases/${caseId}`, await h.token(ADMIN));
    assert.equal(stillPending.body.case.reviewStatus, 'pending');

    // Delivery is not blocked by the refused early decision: nobody may be denied a ration.
    const distributionId = await deliver(caseId);
    const late = await decide(caseId, decision);
    assert.equal(late.status, 200, JSON.stringify(late.body));
    assert.equal(late.body.reviewStatus, decision === 'approve' ? 'approved' : 'rejected');
    const d = await h.ctx.db.query<{ recovery_flagged_at: Date | null; recovery_case_id: string | null }>('SELECT recovery_flagged_at, recovery_case_id FROM distributions WHERE id = $1', [distributionId]);
    if (decision === 'reject') assert.deepEqual([Boolean(d.rows[0]!.recovery_flagged_at), d.rows[0]!.recovery_case_id], [true, caseId], 'the delivery is flagged for recovery');
    else assert.equal(d.rows[0]!.recovery_flagged_at, null);
  });
}

test('delivered first, then reviewed: the ordinary order works both ways', async () => {
  for (const [seed, decision] of [[7003, 'approve'], [7004, 'reject']] as const) {
    const caseId = await undeliveredCase(seed);
    await deliver(caseId);
    const res = await decide(caseId, decision);
    assert.equal(res.status, 200);
    const again = await decide(caseId, decision);
    assert.deepEqual([again.status, again.body.code], [409, 'already_reviewed']);
  }
});
