import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { GuardianLinkBody, Guardianship, GuardianshipList, GuardianVisit, GuardianVisitBody, GuardianVisitRefusal } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary, type Beneficiary } from '../db/repositories/beneficiaries.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { guardiansOf } from '../db/repositories/guardianships.js';
import { indianDay, secondsToNextIndianDay } from '../domain/calendar.js';
import { isChild } from '../domain/categories.js';
import { fallbackFor } from '../domain/fallback.js';
import { linkGuardian } from '../domain/guardian-link.js';
import { decideGuardianVisit } from '../domain/guardian-visit.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { IdParams, replies } from './schemas.js';

export const guardianRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  // A link lets that face collect the child's ration: the first one is the worker's, a further one
  // needs a second person (domain/guardian-link.ts). It may score a face: rate limited as a change.
  app.post('/v1/beneficiaries/:id/guardians', { config: { roles: ['worker'], rateLimited: 'change_request' }, schema: { params: IdParams, body: GuardianLinkBody, response: replies({ 201: Guardianship }) } }, async (req, reply) => {
    const p = principalOf(req);
    const today = indianDay(ctx.clock());
    const since = req.body.since ?? today;
    if (since > today) throw badRequest('invalid_since', 'a guardianship cannot start in the future');
    const child = await beneficiaryInScope(ctx.db, req.params.id, p);
    if (!isChild(child.category)) throw badRequest('not_a_child', 'guardians are linked to child beneficiaries only');
    if (child.birthDate && since < child.birthDate) throw badRequest('invalid_since', 'a guardianship cannot start before the child was born');
    const guardian = await getBeneficiary(ctx.db, req.body.guardianId);
    if (!guardian) throw notFound('guardian_not_found', 'no person with this id; register the guardian first');
    // The whole path, not the AWC code alone: the same code may exist in another district.
    if (guardian.state !== child.state || guardian.district !== child.district || guardian.awc !== child.awc) {
      throw conflict('guardian_other_awc', "the guardian is registered at another Anganwadi centre; register her at the child's centre");
    }
    if (isChild(guardian.category)) throw badRequest('guardian_is_a_child', 'a guardian must be an adult, not a child beneficiary');
    if (guardian.closedAt || child.closedAt) throw conflict('beneficiary_closed', 'this record was merged into another; use the record it was merged into');
    const probe = req.body.envelope ? openProbe(ctx, req.body.envelope, p) : null;
    const now = ctx.clock();
    try {
      const result = await ctx.db.transaction(async (tx) => {
        if (probe && !(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
        return linkGuardian(
          tx,
          { child, guardian, relation: req.body.relation, since, actor: { sub: p.sub, role: p.role }, now, probe, ...(req.body.existingGuardianId ? { existingGuardianId: req.body.existingGuardianId } : {}) },
          { livenessThreshold: ctx.models.livenessThreshold, maxFaceAttempts: ctx.fallback.maxFaceAttempts },
        );
      });
      // The request is kept (committed) for the supervisor; the link is not made.
      if ('pending' in result) {
        throw conflict('guardian_link_needs_approval', "the child has a guardian already: link another with a capture of that guardian's face that matches her template, or after a supervisor approves the request", { changeRequestId: result.pending.id });
      }
      return reply.status(201).send({ ...result.linked, createdAt: result.linked.createdAt.toISOString() });
    } finally {
      probe?.embedding.fill(0);
    }
  });

  app.get('/v1/beneficiaries/:id/guardians', { config: { roles: ['worker', 'supervisor', 'district_admin'] }, schema: { params: IdParams, response: replies({ 200: GuardianshipList }) } }, async (req) => {
    const child = await beneficiaryInScope(ctx.db, req.params.id, principalOf(req));
    return { items: (await guardiansOf(ctx.db, child.id)).map((g) => ({ ...g, createdAt: g.createdAt.toISOString() })) };
  });

  // Scores a face as a verification does, so it counts against the same rate limits.
  app.post('/v1/guardian-visits', { config: { roles: ['worker'], rateLimited: 'verification' }, schema: { body: GuardianVisitBody, response: replies({ 200: GuardianVisit, 409: GuardianVisitRefusal }) } }, async (req, reply) => {
    const p = principalOf(req);
    const guardian = await beneficiaryInScope(ctx.db, req.body.guardianId, p);
    const children: Beneficiary[] = [];
    for (const id of req.body.childIds) children.push(await beneficiaryInScope(ctx.db, id, p));
    const notChildren = children.filter((c) => !isChild(c.category)).map((c) => c.id);
    if (notChildren.length > 0) throw new ApiError(400, 'not_a_child', 'a guardian visit collects for child beneficiaries only', { beneficiaryIds: notChildren });
    const probe = openProbe(ctx, req.body.envelope, p);
    const now = ctx.clock();
    const scheme = req.body.scheme ?? 'THR';
    try {
      const result = await ctx.db.transaction(async (tx) => {
        if (!(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
        const r = await decideGuardianVisit(tx, { guardian, children, probe, scheme, worker: p.sub, awc: p.awc!, now, livenessThreshold: ctx.models.livenessThreshold, deviceId: req.body.deviceId ?? null, maxFaceAttempts: ctx.fallback.maxFaceAttempts });
        // One entry per child, as for a direct verification (the auditor's cross-check finds each
        // verification and ration by it), saying whose face it was and which visit.
        for (const c of r.children) {
          await appendAudit(tx, {
            actor: p.sub,
            role: p.role,
            action: 'verification.attempted',
            subjectType: 'beneficiary',
            subjectId: c.childId,
            district: guardian.district,
            details: { verificationId: c.verificationId, outcome: c.outcome, score: r.score, threshold: r.threshold, modelId: probe.model.id, scheme, month: r.month, distributionId: c.distributionId, faceOf: guardian.id, visitId: r.visitId },
          }, now);
        }
        return r;
      });
      // The worker learns the decision, never the score.
      const body = {
        visitId: result.visitId,
        guardianId: guardian.id,
        outcome: result.outcome,
        match: result.outcome === 'match',
        scheme,
        month: result.month.slice(0, 7),
        children: result.children,
      };
      if (result.refusal) {
        // As a direct verification's: open again at midnight in India; the rows written come with it.
        reply.header('retry-after', secondsToNextIndianDay(now));
        const { code, message, childIds } = result.refusal;
        return reply.status(409).send({ code, message, childIds, fallback: { ...fallbackFor('no_match', { attemptsLeft: 0 }), message }, ...body });
      }
      return reply.send(body);
    } finally {
      probe.embedding.fill(0);
    }
  });
};
