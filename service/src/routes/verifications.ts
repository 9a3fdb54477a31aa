import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Verification, VerificationRefusal, VerifyBody, type Scheme } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { conflict } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { directVerificationRefusal } from '../domain/children.js';
import { refreshAfterMatch } from '../domain/template-refresh.js';

import { secondsToNextIndianDay } from '../domain/calendar.js';
import { decideVerification, type VerificationResult } from '../domain/verify.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { replies } from './schemas.js';

export const verificationRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/verifications', { config: { roles: ['worker'], rateLimited: 'verification' }, schema: { body: VerifyBody, response: replies({ 200: Verification, 409: VerificationRefusal }) } }, async (req, reply) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.body.beneficiaryId, p);
    const refusal = directVerificationRefusal(b, ctx.clock());
    if (refusal) throw refusal;
    const probe = openProbe(ctx, req.body.envelope, p);
    const now = ctx.clock();
    const scheme = req.body.scheme ?? 'THR';
    const result = await ctx.db.transaction(async (tx) => {
      if (!(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
      const r = await decideVerification(tx, { beneficiary: b, probe, scheme, worker: p.sub, awc: p.awc!, now, livenessThreshold: ctx.models.livenessThreshold, deviceId: req.body.deviceId ?? null, maxFaceAttempts: ctx.fallback.maxFaceAttempts });
      if (r.outcome === 'match' && r.score !== null) await refreshAfterMatch(tx, b, probe, r.score, now, p.sub, r.templates ?? []);
      await appendAudit(tx, {
        actor: p.sub,
        role: p.role,
        action: 'verification.attempted',
        subjectType: 'beneficiary',
        subjectId: b.id,
        district: b.district,
        details: { verificationId: r.verificationId, outcome: r.outcome, score: r.score, threshold: r.threshold, modelId: probe.model.id, scheme, month: r.month, distributionId: r.distributionId },
      }, now);
      return r;
    });
    probe.embedding.fill(0);
    const body = workerView(result, scheme);
    if (result.refusal) {
      if (result.outcome === 'face_attempts_exhausted') reply.header('retry-after', secondsToNextIndianDay(now));
      return reply.status(409).send({ code: result.refusal.code, message: result.refusal.message, ...body });
    }
    return body;
  });
};

/**
 * What the worker's phone learns from a verification: the decision and why, never the score or
 * the threshold. A score answered to four decimals is an oracle: a worker can climb it with
 * synthetic probes until she holds an embedding that passes as the beneficiary. Listed field by
 * field, so nothing new in the result reaches the wire by accident.
 */
function workerView(r: VerificationResult, scheme: Scheme): Verification {
  return {
    verificationId: r.verificationId,
    outcome: r.outcome,
    match: r.outcome === 'match',
    scheme,
    // The distribution month as YYYY-MM (stored as its first day).
    month: r.month.slice(0, 7),
    distributionId: r.distributionId,
    ...(r.fallback ? { fallback: r.fallback } : {}),
  };
}
