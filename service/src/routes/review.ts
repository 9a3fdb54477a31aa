import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DecisionBody, FallbackCase as FallbackCaseSchema, ReviewCaseDetail, ReviewQueue, ReviewQueueQuery } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import { assertInScope } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary } from '../db/repositories/beneficiaries.js';
import { getFallbackCase, listQueue, reviewFallbackCase } from '../db/repositories/fallback-cases.js';
import { otpTally } from '../db/repositories/otp-challenges.js';
import { flagDistributionForRecovery, getDistribution, getVerificationSummary } from '../db/repositories/verifications.js';
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
      { state: p.state!, district: p.district!, now: ctx.clock(), ...(q.status ? { status: q.status } : {}), ...(q.awc ? { awc: q.awc } : {}), ...(q.reason ? { reason: q.reason } : {}), ...(q.minAgeDays ? { minAgeDays: q.minAgeDays } : {}) },
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
    const verification = c.verificationId ? await getVerificationSummary(ctx.db, c.verificationId) : undefined;
    const otp = await otpTally(ctx.db, c.id);
    const distribution = c.distributionId ? await getDistribution(ctx.db, c.distributionId) : undefined;
    return {
      case: fallbackCaseView(c),
      beneficiary: beneficiaryView(b),
      verification: verification ? { ...verification, createdAt: verification.createdAt.toISOString() } : null,
      otp,
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
        await flagDistributionForRecovery(tx, c.distributionId, now, c.id);
      }
      await appendAudit(tx, { actor: p.sub, role: p.role, action: `fallback.${r.reviewStatus}`, subjectType: 'fallback_case', subjectId: c.id, district: c.district, details: { distributionId: c.distributionId, recoveryFlagged: decision === 'reject' && Boolean(c.distributionId) } }, now);
      return r;
    });
    return fallbackCaseView(reviewed);
  });
};
