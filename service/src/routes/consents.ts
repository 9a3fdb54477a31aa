import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Consent as ConsentSchema, ConsentBody, ConsentList, ConsentWithdrawal, WithdrawConsentBody } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { activeConsent, insertConsent, listConsents, markWithdrawn, type Consent } from '../db/repositories/consents.js';
import { deleteTemplatesOf } from '../db/repositories/templates.js';
import { isChild } from '../domain/categories.js';
import { badRequest, conflict, notFound } from '../errors.js';
import { isUniqueViolation } from '../db/errors.js';
import { beneficiaryInScope } from './beneficiary-access.js';
import { IdParams, replies } from './schemas.js';

const consentView = (c: Consent) => ({
  ...c,
  grantedAt: c.grantedAt.toISOString(),
  withdrawnAt: c.withdrawnAt?.toISOString() ?? null,
  active: c.withdrawnAt === null,
});

export const consentRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/beneficiaries/:id/consents', { config: { roles: ['worker'] }, schema: { params: IdParams, body: ConsentBody, response: replies({ 201: ConsentSchema }) } }, async (req, reply) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.params.id, p);
    if (isChild(b.category) && req.body.givenBy !== 'guardian') throw badRequest('guardian_consent_required', "a child's consent is given by the guardian");
    try {
      const consent = await ctx.db.transaction(async (tx) => {
        if (await activeConsent(tx, b.id, req.body.purpose)) throw conflict('consent_already_active', 'consent for this purpose is already active');
        const c = await insertConsent(tx, { beneficiaryId: b.id, ...req.body, recordedBy: p.sub });
        await appendAudit(tx, { actor: p.sub, role: p.role, action: 'consent.granted', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { consentId: c.id, purpose: c.purpose, givenBy: c.givenBy, noticeVersion: c.noticeVersion, language: c.language, method: c.method } }, ctx.clock());
        return c;
      });
      return reply.status(201).send(consentView(consent));
    } catch (err) {
      // Two workers recording at once: the partial unique index lets one win.
      if (isUniqueViolation(err)) throw conflict('consent_already_active', 'consent for this purpose is already active');
      throw err;
    }
  });

  app.get('/v1/beneficiaries/:id/consents', { config: { roles: ['worker', 'supervisor', 'district_admin'] }, schema: { params: IdParams, response: replies({ 200: ConsentList }) } }, async (req) => {
    const b = await beneficiaryInScope(ctx.db, req.params.id, principalOf(req));
    return { items: (await listConsents(ctx.db, b.id)).map(consentView) };
  });

  // Withdrawal and the deletion of the face templates are one transaction: no template outlives its consent.
  app.post('/v1/beneficiaries/:id/consents/withdraw', { config: { roles: ['worker', 'district_admin'] }, schema: { params: IdParams, body: WithdrawConsentBody, response: replies({ 200: ConsentWithdrawal }) } }, async (req) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.params.id, p);
    return ctx.db.transaction(async (tx) => {
      const active = await activeConsent(tx, b.id, req.body.purpose ?? 'face_verification');
      const withdrawn = active && (await markWithdrawn(tx, active.id, p.sub, req.body.reason ?? null));
      if (!withdrawn) throw notFound('no_active_consent', 'there is no active consent to withdraw');
      const templatesDeleted = await deleteTemplatesOf(tx, b.id);
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'consent.withdrawn', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { consentId: withdrawn.id, templatesDeleted } }, ctx.clock());
      return { consent: consentView(withdrawn), templatesDeleted };
    });
  });
};
