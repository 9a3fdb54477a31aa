import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DecisionBody, type DistributionMethod, type VerificationOutcome, FallbackCase as FallbackCaseSchema, ReviewCaseDetail, ReviewQueue, ReviewQueueQuery } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import { assertInScope } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary } from '../db/repositories/beneficiaries.js';
import { getFallbackCase, listQueue, reviewFallbackCase } from '../db/repositories/fallback-cases.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { beneficiaryView } from './beneficiary-access.js';
import { fallbackCaseView } from './fallback-view.js';
import { IdParams, replies } from './schemas.js';

/** The district admin's review queue: every fallback case, after the ration was delivered. */
export const reviewRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/review/cases', { config: { roles: ['district_admin'] }, schema: { querystring: ReviewQueueQuery, response: replies({ 200: ReviewQueue }) } }, async (req) => {
    const p = principalOf(req);
    const q = req.query;
    const { items, total } = await listQueue(
      ctx.db,
      { district: p.district!, now: ctx.clock(), ...(q.status ? { status: q.status } : {}), ...(q.awc ? { awc: q.awc } : {}), ...(q.reason ? { reason: q.reason } : {}), ...(q.minAgeDays ? { minAgeDays: q.minAgeDays } : {}) },
      { limit: q.limit ?? 50, offset: q.offset ?? 0 },
    );
    return { total, items: items.map((c) => ({ ...fallbackCaseView(c), beneficiaryName: c.beneficiaryName, beneficiaryCategory: c.beneficiaryCategory })) };
  });

  app.get('/v1/review/cases/:id', { config: { roles: ['district_admin'] }, schema: { params: IdParams, response: replies({ 200: ReviewCaseDetail }) } }, async (req) => {
    const p = principalOf(req);
    const c = await getFallbackCase(ctx.db, req.params.id);
    if (!c) throw notFound('fallback_case_not_found', 'no fallback case with this id');
    assertInScope(p, c, 'this case');
    const b = (await getBeneficiary(ctx.db, c.beneficiaryId))!;
    const verification = c.verificationId
      ? (await ctx.db.query<{ outcome: VerificationOutcome; score: number | null; threshold: number | null; createdAt: Date }>('SELECT outcome, score, threshold, created_at AS "createdAt" FROM verifications WHERE id = $1', [c.verificationId])).rows[0]
      : undefined;
    const otp = (await ctx.db.query<{ sent: string; verified: string }>('SELECT count(*) AS sent, count(consumed_at) AS verified FROM otp_challenges WHERE case_id = $1', [c.id])).rows[0]!;
    const distribution = c.distributionId
      ? (await ctx.db.query<{ id: string; method: DistributionMethod; createdAt: Date; recoveryFlaggedAt: Date | null }>('SELECT id, method, created_at AS "createdAt", recovery_flagged_at AS "recoveryFlaggedAt" FROM distributions WHERE id = $1', [c.distributionId])).rows[0]
      : undefined;
    return {
      case: fallbackCaseView(c),
      beneficiary: beneficiaryView(b),
      verification: verification ? { ...verification, createdAt: verification.createdAt.toISOString() } : null,
      otp: { sent: Number(otp.sent), verified: Number(otp.verified) > 0 },
      distribution: distribution ? { ...distribution, createdAt: distribution.createdAt.toISOString(), recoveryFlaggedAt: distribution.recoveryFlaggedAt?.toISOString() ?? null } : null,
    };
  });

  app.post('/v1/review/cases/:id/decision', { config: { roles: ['district_admin'] }, schema: { params: IdParams, body: DecisionBody, response: replies({ 200: FallbackCaseSchema }) } }, async (req) => {
    const p = principalOf(req);
    const { decision } = req.body;
    const note = req.body.note?.trim() ?? '';
    if (decision === 'reject' && !note) throw badRequest('note_required', 'say why the case is rejected');
    const now = ctx.clock();
    const reviewed = await ctx.db.transaction(async (tx) => {
      const c = await getFallbackCase(tx, req.params.id, { forUpdate: true });
      if (!c) throw notFound('fallback_case_not_found', 'no fallback case with this id');
      assertInScope(p, c, 'this case');
      if (c.reviewStatus !== 'pending') throw conflict('already_reviewed', `this case was already ${c.reviewStatus}`);
      const r = (await reviewFallbackCase(tx, c.id, { status: decision === 'approve' ? 'approved' : 'rejected', by: p.sub, note }))!;
      // Rejection marks the ration for recovery; the distribution itself stays on record.
      if (decision === 'reject' && c.distributionId) {
        await tx.query('UPDATE distributions SET recovery_flagged_at = $2, recovery_case_id = $3 WHERE id = $1', [c.distributionId, now, c.id]);
      }
      await appendAudit(tx, { actor: p.sub, role: p.role, action: `fallback.${r.reviewStatus}`, subjectType: 'fallback_case', subjectId: c.id, district: c.district, details: { distributionId: c.distributionId, recoveryFlagged: decision === 'reject' && Boolean(c.distributionId) } }, now);
      return r;
    });
    return fallbackCaseView(reviewed);
  });
};
