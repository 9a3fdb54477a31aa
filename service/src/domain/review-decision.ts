import type { ReviewDecision } from '@chehra/contract';
import type { Principal } from '../auth/principal.js';
import { assertInScope } from '../auth/scope.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getFallbackCase, reviewFallbackCase, type FallbackCase } from '../db/repositories/fallback-cases.js';
import { flagDistributionForRecovery } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { ApiError, badRequest, conflict } from '../errors.js';

/** A rejection must say why; an approval may. The same rule for one case and for a batch. */
export function decisionNote(decision: ReviewDecision, note: string | undefined): string {
  const trimmed = note?.trim() ?? '';
  if (decision === 'reject' && !trimmed) throw badRequest('note_required', 'say why the case is rejected');
  return trimmed;
}

/**
 * One review decision inside the caller's transaction: the case is locked, must be in the admin's
 * scope and still pending; a rejection flags the distribution for recovery (it stays on record);
 * the audit entry is written with it. Errors carry the case id, so a batch can say which one failed.
 */
export async function decideCase(tx: Queryable, p: Principal, caseId: string, decision: ReviewDecision, note: string, now: Date): Promise<FallbackCase> {
  const c = await getFallbackCase(tx, caseId, { forUpdate: true });
  if (!c) throw new ApiError(404, 'fallback_case_not_found', 'no fallback case with this id', { caseId });
  assertInScope(p, c, 'this case');
  if (c.reviewStatus !== 'pending') throw conflict('already_reviewed', `this case was already ${c.reviewStatus}`, { caseId });
  // A review judges a delivery. Decided before it, an approval would wave through a delivery
  // nobody reviewed and a rejection would flag nothing; so a case is decided once delivered.
  if (!c.completedAt || !c.distributionId) throw conflict('case_not_delivered', 'the ration has not been delivered by this case yet: review it after delivery', { caseId });
  const r = (await reviewFallbackCase(tx, c.id, { status: decision === 'approve' ? 'approved' : 'rejected', by: p.sub, note }))!;
  if (decision === 'reject') await flagDistributionForRecovery(tx, c.distributionId, now, c.id);
  await appendAudit(tx, { actor: p.sub, role: p.role, action: `fallback.${r.reviewStatus}`, subjectType: 'fallback_case', subjectId: c.id, district: c.district, details: { distributionId: c.distributionId, recoveryFlagged: decision === 'reject' } }, now);
  return r;
}
