import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EnrolBody, Enrolment } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { activeConsent } from '../db/repositories/consents.js';
import { insertDuplicateFlag } from '../db/repositories/duplicates.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { nearestInDistrict, replaceTemplate } from '../db/repositories/templates.js';
import { templateExpiry } from '../domain/categories.js';
import { fallbackFor } from '../domain/fallback.js';
import { conflict } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { IdParams, replies } from './schemas.js';

export const enrolmentRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/beneficiaries/:id/templates', { config: { roles: ['worker'] }, schema: { params: IdParams, body: EnrolBody, response: replies({ 201: Enrolment }) } }, async (req, reply) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.params.id, p);
    const probe = openProbe(ctx, req.body.envelope, p);
    const now = ctx.clock();
    const expiresAt = templateExpiry(b.category, now);
    const result = await ctx.db.transaction(async (tx) => {
      if (!(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
      if (!(await activeConsent(tx, b.id))) {
        throw conflict('consent_required', 'record consent before enrolling a face', { fallback: fallbackFor('no_consent') });
      }
      // A face already enrolled for someone else in the district is a case for review, not a silent second identity.
      const [nearest] = await nearestInDistrict(tx, b.state, b.district, probe.model.id, probe.embedding, 1, b.id);
      if (nearest && nearest.score >= probe.model.matchThreshold) {
        const flagId = await insertDuplicateFlag(tx, { beneficiaryId: b.id, candidateBeneficiaryId: nearest.beneficiaryId, modelId: probe.model.id, score: nearest.score, state: b.state, district: b.district, createdBy: p.sub });
        await appendAudit(tx, { actor: p.sub, role: p.role, action: 'enrolment.duplicate_flagged', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { duplicateFlagId: flagId, modelId: probe.model.id } }, now);
        return { duplicateFlagId: flagId } as const;
      }
      const t = await replaceTemplate(tx, {
        beneficiaryId: b.id,
        modelId: probe.model.id,
        embedding: probe.embedding,
        quality: probe.quality,
        liveness: probe.liveness,
        district: b.district,
        state: b.state,
        createdBy: p.sub,
        expiresAt,
      });
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'template.enrolled', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { templateId: t.id, modelId: probe.model.id, quality: probe.quality, replaced: t.replaced } }, now);
      return { templateId: t.id, replaced: t.replaced, expiresAt } as const;
    });
    probe.embedding.fill(0);
    if ('duplicateFlagId' in result) {
      // The other beneficiary may belong to another AWC: the worker learns only that a review is open.
      throw conflict('possible_duplicate', 'this face looks like one already enrolled in the district; a district admin will review it', { duplicateFlagId: result.duplicateFlagId });
    }
    return reply.status(201).send({ templateId: result.templateId, modelId: probe.model.id, replaced: result.replaced, expiresAt: result.expiresAt.toISOString() });
  });
};
