import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AttestationBody, FallbackCase as FallbackCaseSchema, OpenFallbackCaseBody, OtpBody, OtpSent } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { Principal } from '../auth/principal.js';
import { assertInScope } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary } from '../db/repositories/beneficiaries.js';
import { getFallbackCase, openFallbackCase, type FallbackCase } from '../db/repositories/fallback-cases.js';
import { consumeChallenge, countChallenges, insertChallenge, latestChallenge, recordAttempt, setSmsMessageId } from '../db/repositories/otp-challenges.js';
import { findDistribution, getVerification } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { distributionMonth } from '../domain/calendar.js';
import { deliverByFallback } from '../domain/deliver-by-fallback.js';
import { generateOtp, hashOtp, otpMatches } from '../domain/otp.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { fallbackCaseView } from './fallback-view.js';
import { IdParams, replies } from './schemas.js';

const masked = (mobile: string) => `******${mobile.slice(-4)}`;

/** The case, if it exists and is the caller's to act on (404 before 403, like beneficiaries). */
async function caseInScope(db: Queryable, id: string, p: Principal, opts: { forUpdate?: boolean } = {}): Promise<FallbackCase> {
  const c = await getFallbackCase(db, id, opts);
  if (!c) throw notFound('fallback_case_not_found', 'no fallback case with this id');
  assertInScope(p, c, 'this case');
  return c;
}

/**
 * A case's verification is shown to the district admin as evidence, so it must be a face attempt
 * of this beneficiary for this scheme in this month: not another beneficiary's or district's, not a guess.
 */
async function assertEvidence(db: Queryable, verificationId: string, want: { beneficiaryId: string; scheme: string; month: string }): Promise<void> {
  const v = await getVerification(db, verificationId);
  // One answer for "no such id" and "someone else's": whether an id exists elsewhere is not the worker's to learn.
  if (!v || v.beneficiaryId !== want.beneficiaryId || v.scheme !== want.scheme || distributionMonth(v.createdAt) !== want.month) {
    throw new ApiError(422, 'verification_mismatch', "no face attempt of this beneficiary in this month has this verification id");
  }
}

function assertOpen(c: FallbackCase): void {
  if (c.completedAt) throw conflict('fallback_already_completed', `the ration was already delivered by ${c.method}`);
  if (c.closedAt) throw conflict('fallback_case_closed', 'this case was closed when its record was merged into another: open a case on the record kept', { duplicateFlagId: c.closedByDuplicateFlag });
}

export const fallbackCaseRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  // Opening is idempotent: the month's case is returned if it exists (200), made otherwise (201).
  app.post('/v1/fallback-cases', { config: { roles: ['worker'] }, schema: { body: OpenFallbackCaseBody, response: replies({ 200: FallbackCaseSchema, 201: FallbackCaseSchema }) } }, async (req, reply) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.body.beneficiaryId, p);
    if (b.closedAt) throw conflict('beneficiary_closed', 'this record was merged into another; open the case on the record it was merged into', { mergedInto: b.mergedInto });
    const scheme = req.body.scheme ?? 'THR';
    const now = ctx.clock();
    const month = distributionMonth(now);
    const opened = await ctx.db.transaction(async (tx) => {
      if (await findDistribution(tx, b.id, scheme, month)) throw conflict('already_distributed', "this month's ration was already given to this beneficiary");
      if (req.body.verificationId) await assertEvidence(tx, req.body.verificationId, { beneficiaryId: b.id, scheme, month });
      const o = await openFallbackCase(tx, { beneficiaryId: b.id, scheme, month, reason: req.body.reason, verificationId: req.body.verificationId ?? null, openedBy: p.sub, awc: b.awc, district: b.district, state: b.state, workerNote: req.body.note ?? null });
      if (o.created) {
        await appendAudit(tx, { actor: p.sub, role: p.role, action: 'fallback.opened', subjectType: 'fallback_case', subjectId: o.case.id, district: b.district, details: { beneficiaryId: b.id, reason: req.body.reason, automatic: false, ...(req.body.verificationId ? { verificationId: req.body.verificationId } : {}) } }, now);
      }
      return o;
    });
    return reply.status(opened.created ? 201 : 200).send(fallbackCaseView(opened.case));
  });

  app.get('/v1/fallback-cases/:id', { config: { roles: ['worker', 'supervisor', 'district_admin'] }, schema: { params: IdParams, response: replies({ 200: FallbackCaseSchema }) } }, async (req) =>
    fallbackCaseView(await caseInScope(ctx.db, req.params.id, principalOf(req))),
  );

  app.post('/v1/fallback-cases/:id/otp', { config: { roles: ['worker'], rateLimited: 'otp_send' }, schema: { params: IdParams, response: replies({ 201: OtpSent }) } }, async (req, reply) => {
    const p = principalOf(req);
    const c = await caseInScope(ctx.db, req.params.id, p);
    assertOpen(c);
    const b = (await getBeneficiary(ctx.db, c.beneficiaryId))!;
    if (!b.mobile) throw conflict('no_registered_mobile', 'no mobile number is registered: use supervisor attestation');
    const now = ctx.clock();
    const otp = generateOtp();
    const challenge = await ctx.db.transaction(async (tx) => {
      const sent = await countChallenges(tx, c.id);
      if (sent >= ctx.fallback.otpMaxSends) throw new ApiError(429, 'otp_send_limit', 'no more OTPs can be sent for this case: use supervisor attestation');
      const ch = await insertChallenge(tx, { caseId: c.id, expiresAt: new Date(now.getTime() + ctx.fallback.otpTtlMs), maxAttempts: ctx.fallback.otpMaxAttempts }, (id) => hashOtp(ctx.otpSecret, id, otp));
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'fallback.otp_sent', subjectType: 'fallback_case', subjectId: c.id, district: c.district, details: { challengeId: ch.id } }, now);
      return { ...ch, sendsLeft: ctx.fallback.otpMaxSends - sent - 1 };
    });
    const minutes = Math.round(ctx.fallback.otpTtlMs / 60_000);
    let receipt;
    try {
      receipt = await ctx.sms.send(b.mobile, `Poshan THR: your OTP is ${otp}. Valid ${minutes} min. Do not share it. / पोषण THR: आपका OTP ${otp} है। ${minutes} मिनट तक मान्य। किसी को न बताएं।`);
    } catch {
      throw new ApiError(502, 'sms_failed', 'the SMS could not be sent: try again or use supervisor attestation');
    }
    // The gateway's id, for the admin's delivery status (routes/review.ts). The OTP is on its way
    // already: should this write fail, the worker still gets her 201 and the case shows `unknown`.
    await setSmsMessageId(ctx.db, challenge.id, receipt.id).catch((err) => req.log.warn({ errCode: err?.code }, 'could not keep the SMS gateway id of an OTP'));
    return reply.status(201).send({ challengeId: challenge.id, expiresAt: challenge.expiresAt.toISOString(), sentTo: masked(b.mobile), sendsLeft: challenge.sendsLeft });
  });

  app.post('/v1/fallback-cases/:id/otp/verify', { config: { roles: ['worker'], rateLimited: 'otp_verify' }, schema: { params: IdParams, body: OtpBody, response: replies({ 200: FallbackCaseSchema }) } }, async (req) => {
    const p = principalOf(req);
    const now = ctx.clock();
    // A wrong code must still count, so the attempt is committed and the refusal thrown afterwards.
    const outcome = await ctx.db.transaction(async (tx) => {
      const c = await caseInScope(tx, req.params.id, p, { forUpdate: true });
      assertOpen(c);
      const ch = await latestChallenge(tx, c.id);
      if (!ch || ch.consumedAt) throw conflict('otp_not_sent', 'send an OTP first');
      if (ch.attempts >= ch.maxAttempts) throw new ApiError(429, 'otp_attempts_exceeded', 'too many wrong codes: send a new OTP or use supervisor attestation');
      if (now > ch.expiresAt) throw badRequest('otp_expired', 'the OTP has expired: send a new one');
      if (!otpMatches(ctx.otpSecret, ch.id, req.body.otp, ch.codeHash)) {
        const attempts = await recordAttempt(tx, ch.id);
        await appendAudit(tx, { actor: p.sub, role: p.role, action: 'fallback.otp_rejected', subjectType: 'fallback_case', subjectId: c.id, district: c.district, details: { challengeId: ch.id, attempts } }, now);
        return { wrong: true as const, attemptsLeft: ch.maxAttempts - attempts };
      }
      await consumeChallenge(tx, ch.id);
      return { wrong: false as const, done: await deliverByFallback(tx, c, p, { method: 'otp' }, now) };
    });
    if (outcome.wrong) throw new ApiError(400, 'otp_incorrect', 'the code is not right', { attemptsLeft: outcome.attemptsLeft });
    return fallbackCaseView(outcome.done);
  });

  app.post('/v1/fallback-cases/:id/attestation', { config: { roles: ['supervisor'] }, schema: { params: IdParams, body: AttestationBody, response: replies({ 200: FallbackCaseSchema }) } }, async (req) => {
    const p = principalOf(req);
    const now = ctx.clock();
    const done = await ctx.db.transaction(async (tx) => {
      const c = await caseInScope(tx, req.params.id, p, { forUpdate: true });
      assertOpen(c);
      return deliverByFallback(tx, c, p, { method: 'attestation', attestationReason: req.body.reasonCode, attestationNote: req.body.note }, now);
    });
    return fallbackCaseView(done);
  });
};
