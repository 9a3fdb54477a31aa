import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DecisionBody, FallbackCase as FallbackCaseSchema, ReviewCaseDetail, ReviewQueue, ReviewQueueQuery } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import { assertInScope } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { getBeneficiary } from '../db/repositories/beneficiaries.js';
import { getFallbackCase, listQueue } from '../db/repositories/fallback-cases.js';
import { otpTally, sentMessages } from '../db/repositories/otp-challenges.js';
import { getDistribution, getVerificationSummary } from '../db/repositories/verifications.js';
import { userNames } from '../db/repositories/user-names.js';
import { decideCase, decisionNote } from '../domain/review-decision.js';
import { deliveryOf } from '../domain/sms-delivery.js';
import { badRequest, notFound } from '../errors.js';
import { beneficiaryView } from './beneficiary-access.js';
import { fallbackCaseView } from './fallback-view.js';
import { IdParams, replies } from './schemas.js';

/** The from/to days of the queue filter (India, both ends included) as instants; from after to is a 400. */
function openedWithin(q: { from?: string; to?: string }): { openedFrom?: Date; openedBefore?: Date } {
  const day = (s: string) => new Date(`${s}T00:00:00+05:30`);
  const openedFrom = q.from ? day(q.from) : undefined;
  const openedBefore = q.to ? new Date(day(q.to).getTime() + 86_400_000) : undefined;
  if (openedFrom && openedBefore && !(openedFrom < openedBefore)) throw badRequest('invalid_period', '"from" must be on or before "to"');
  return { ...(openedFrom ? { openedFrom } : {}), ...(openedBefore ? { openedBefore } : {}) };
}

/** The district admin's review queue: every fallback case, after the ration was delivered. */
export const reviewRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/review/cases', { config: { roles: ['district_admin'] }, schema: { querystring: ReviewQueueQuery, response: replies({ 200: ReviewQueue }) } }, async (req) => {
    const p = principalOf(req);
    const q = req.query;
    const { items, total } = await listQueue(
      ctx.db,
      { state: p.state!, district: p.district!, now: ctx.clock(), ...(q.status ? { status: q.status } : {}), ...(q.awc ? { awc: q.awc } : {}), ...(q.reason ? { reason: q.reason } : {}), ...(q.minAgeDays ? { minAgeDays: q.minAgeDays } : {}), ...(q.q ? { search: q.q } : {}), ...openedWithin(q) },
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
    const otp = { ...(await otpTally(ctx.db, c.id)), messages: await deliveryOf(ctx.sms, await sentMessages(ctx.db, c.id), req.log) };
    const distribution = c.distributionId ? await getDistribution(ctx.db, c.distributionId) : undefined;
    return {
      case: fallbackCaseView(c),
      beneficiary: beneficiaryView(b),
      verification: verification ? { ...verification, createdAt: verification.createdAt.toISOString() } : null,
      otp,
      distribution: distribution ? { ...distribution, createdAt: distribution.createdAt.toISOString(), recoveryFlaggedAt: distribution.recoveryFlaggedAt?.toISOString() ?? null } : null,
      people: await userNames(ctx.db, [c.openedBy, c.attestedBy, c.reviewedBy]),
    };
  });

  app.post('/v1/review/cases/:id/decision', { config: { roles: ['district_admin'] }, schema: { params: IdParams, body: DecisionBody, response: replies({ 200: FallbackCaseSchema }) } }, async (req) => {
    const p = principalOf(req);
    const note = decisionNote(req.body.decision, req.body.note);
    const now = ctx.clock();
    return fallbackCaseView(await ctx.db.transaction((tx) => decideCase(tx, p, req.params.id, req.body.decision, note, now)));
  });
};
