import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Verification, VerificationRefusal, VerifyBody } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { conflict } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { directVerificationRefusal } from '../domain/children.js';
import { refreshAfterMatch } from '../domain/template-refresh.js';
import { decideVerification } from '../domain/verify.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { replies } from './schemas.js';

export const verificationRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/verifications', { config: { roles: ['worker'] }, schema: { body: VerifyBody, response: replies({ 200: Verification, 409: VerificationRefusal }) } }, async (req, reply) => {
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
      if (r.outcome === 'match' && r.score !== null) await refreshAfterMatch(tx, b, probe, r.score, now, p.sub);
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
    const body = {
      verificationId: result.verificationId,
      outcome: result.outcome,
      match: result.outcome === 'match',
      score: result.score,
      threshold: result.threshold,
      scheme,
      // The distribution month as YYYY-MM (stored as its first day).
      month: result.month.slice(0, 7),
      distributionId: result.distributionId,
      ...(result.fallback ? { fallback: result.fallback } : {}),
    };
    if (result.refusal) return reply.status(409).send({ code: result.refusal.code, message: result.refusal.message, ...body });
    return body;
  });
};
