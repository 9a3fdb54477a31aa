import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EnrolBody, Enrolment } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary, markFaceEnrolled } from '../db/repositories/beneficiaries.js';
import { markChangeApplied } from '../db/repositories/change-requests.js';
import { activeConsent } from '../db/repositories/consents.js';
import { insertDuplicateFlag, knownDistinct } from '../db/repositories/duplicates.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { ensureTemplatePartition, nearestInDistrict, replaceTemplate } from '../db/repositories/templates.js';
import { isUnderThree, templateExpiryFor } from '../domain/children.js';
import { combineCaptures, MAX_CAPTURES } from '../domain/enrolment-captures.js';
import { fallbackFor } from '../domain/fallback.js';
import { secondPerson } from '../domain/second-person.js';
import { badRequest, conflict } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { IdParams, replies } from './schemas.js';

/** Candidates looked at beyond the nearest, so pairs already judged "different people" are skipped. */
const DUPLICATE_CANDIDATES = 5;

export const enrolmentRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/beneficiaries/:id/templates', { config: { roles: ['worker'], rateLimited: 'enrolment' }, schema: { params: IdParams, body: EnrolBody, response: replies({ 201: Enrolment }) } }, async (req, reply) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.params.id, p);
    const now = ctx.clock();
    if (b.closedAt) throw conflict('beneficiary_closed', 'this record was merged into another; enrol the record it was merged into', { mergedInto: b.mergedInto });
    if (isUnderThree(b, now)) {
      throw conflict(
        'child_enrols_through_guardian',
        "a child under three is not enrolled by her own face (face models do not recognise infants reliably): link her guardian (POST /v1/beneficiaries/:id/guardians), enrol the guardian's face, and collect through a guardian visit (POST /v1/guardian-visits)",
      );
    }
    const sealed = req.body.envelopes ?? (req.body.envelope ? [req.body.envelope] : []);
    if (sealed.length === 0 || (req.body.envelopes && req.body.envelope)) throw badRequest('capture_count', `send envelopes: 1 to ${MAX_CAPTURES} captures of the same person`);
    const probes = sealed.map((e) => openProbe(ctx, e, p));
    try {
      const combined = combineCaptures(probes);
      const model = probes[0]!.model;
      const expiresAt = templateExpiryFor(b, now, ctx.children);
      // The district's template partition, made (the district's first face) in a transaction of
      // its own: making it inside the one below would lock the state's templates for as long.
      await ensureTemplatePartition(ctx.db, b.state, b.district);
      const result = await ctx.db.transaction(async (tx) => {
        for (const probe of probes) if (!(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
        if (!(await activeConsent(tx, b.id))) {
          throw conflict('consent_required', 'record consent before enrolling a face', { fallback: fallbackFor('no_consent') });
        }
        // A face already enrolled for someone else in the district is a case for review, not a silent
        // second identity, unless a district admin has already judged the two to be different people.
        const near = (await nearestInDistrict(tx, b.state, b.district, model.id, combined.embedding, DUPLICATE_CANDIDATES, b.id)).filter((c) => c.score >= model.matchThreshold);
        const cleared = await knownDistinct(tx, b.id, near.map((c) => c.beneficiaryId));
        const nearest = near.find((c) => !cleared.has(c.beneficiaryId));
        if (nearest) {
          const flagId = await insertDuplicateFlag(tx, { beneficiaryId: b.id, candidateBeneficiaryId: nearest.beneficiaryId, modelId: model.id, score: nearest.score, state: b.state, district: b.district, createdBy: p.sub });
          await appendAudit(tx, { actor: p.sub, role: p.role, action: 'enrolment.duplicate_flagged', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { duplicateFlagId: flagId, modelId: model.id } }, now);
          return { duplicateFlagId: flagId } as const;
        }
        // Over an earlier template: the beneficiary's own face or a supervisor must agree (domain/second-person.ts).
        const locked = (await getBeneficiary(tx, b.id, { forNoKeyUpdate: true }))!;
        const asProbe = { ...probes[0]!, embedding: combined.embedding, quality: combined.quality, liveness: combined.liveness };
        const gate = await secondPerson(tx, { beneficiary: locked, kind: 're_enrolment', newMobile: null, requestedBy: p.sub, now, probe: asProbe }, { livenessThreshold: ctx.models.livenessThreshold, maxFaceAttempts: ctx.fallback.maxFaceAttempts });
        if (!gate.allowed) {
          await appendAudit(tx, { actor: p.sub, role: p.role, action: 'change.requested', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { changeRequestId: gate.request.id, kind: 're_enrolment' } }, now);
          return { approvalRequired: gate.request.id } as const;
        }
        const t = await replaceTemplate(tx, { beneficiaryId: b.id, modelId: model.id, embedding: combined.embedding, quality: combined.quality, liveness: combined.liveness, district: b.district, state: b.state, createdBy: p.sub, expiresAt, captures: combined.captures });
        if (gate.via === 'supervisor') await markChangeApplied(tx, gate.request!.id, now);
        await markFaceEnrolled(tx, b.id, now);
        // Over an earlier template, the entry names the request that allowed it (/v1/audit/verify asks for it).
        await appendAudit(tx, { actor: p.sub, role: p.role, action: 'template.enrolled', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { templateId: t.id, modelId: model.id, quality: combined.quality, captures: combined.captures, replaced: t.replaced, ...(gate.request ? { changeRequestId: gate.request.id, allowedBy: gate.via } : {}) } }, now);
        return { templateId: t.id, replaced: t.replaced } as const;
      });
      combined.embedding.fill(0);
      if ('approvalRequired' in result) {
        throw conflict('reenrolment_needs_approval', 'a face is already enrolled: re-enrol with a capture that matches it, or after a supervisor approves the request', { changeRequestId: result.approvalRequired });
      }
      if ('duplicateFlagId' in result) {
        // The other beneficiary may belong to another AWC: the worker learns only that a review is open.
        throw conflict('possible_duplicate', 'this face looks like one already enrolled in the district; a district admin will review it, then capture again', { duplicateFlagId: result.duplicateFlagId });
      }
      return reply.status(201).send({ templateId: result.templateId, modelId: model.id, captures: combined.captures, replaced: result.replaced, expiresAt: expiresAt.toISOString() });
    } finally {
      for (const probe of probes) probe.embedding.fill(0);
    }
  });
};
