import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { BeneficiaryDetail, BeneficiaryList, Beneficiary, NewBeneficiaryBody } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import { areaOf } from '../auth/scope.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { insertBeneficiary, listBeneficiaries } from '../db/repositories/beneficiaries.js';
import { activeConsent } from '../db/repositories/consents.js';
import { templatesOf } from '../db/repositories/templates.js';
import { distributedAmong } from '../db/repositories/verifications.js';
import { distributionMonth, indianDay } from '../domain/calendar.js';
import { isChild } from '../domain/categories.js';
import { badRequest } from '../errors.js';
import { beneficiaryInScope, beneficiaryView } from './beneficiary-access.js';
import { IdParams, Page, replies } from './schemas.js';

export const beneficiaryRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/beneficiaries', { config: { roles: ['worker'] }, schema: { body: NewBeneficiaryBody, response: replies({ 201: Beneficiary }) } }, async (req, reply) => {
    const p = principalOf(req);
    const body = req.body;
    if (isChild(body.category) && !body.guardian) throw badRequest('guardian_required', 'a child must be registered with a guardian');
    if (body.birthDate && body.birthDate > indianDay(ctx.clock())) throw badRequest('invalid_birth_date', 'the birth date is in the future');
    const created = await ctx.db.transaction(async (tx) => {
      const b = await insertBeneficiary(tx, {
        category: body.category,
        name: body.name,
        birthDate: body.birthDate ?? null,
        awc: p.awc!,
        district: p.district!,
        state: p.state!,
        mobile: body.mobile ?? null,
        guardianName: body.guardian?.name ?? null,
        guardianRelation: body.guardian?.relation ?? null,
        createdBy: p.sub,
      });
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'beneficiary.registered', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { category: b.category, awc: b.awc } }, ctx.clock());
      return b;
    });
    return reply.status(201).send(beneficiaryView(created));
  });

  app.get('/v1/beneficiaries', { config: { roles: ['worker', 'supervisor', 'district_admin'] }, schema: { querystring: Page, response: replies({ 200: BeneficiaryList }) } }, async (req) => {
    const p = principalOf(req);
    const rows = await listBeneficiaries(ctx.db, areaOf(p), { limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 });
    const given = new Set(await distributedAmong(ctx.db, rows.map((b) => b.id), 'THR', distributionMonth(ctx.clock())));
    return { items: rows.map((b) => ({ ...beneficiaryView(b), rationGivenThisMonth: given.has(b.id) })) };
  });

  app.get('/v1/beneficiaries/:id', { config: { roles: ['worker', 'supervisor', 'district_admin'] }, schema: { params: IdParams, response: replies({ 200: BeneficiaryDetail }) } }, async (req) => {
    const b = await beneficiaryInScope(ctx.db, req.params.id, principalOf(req));
    const consent = await activeConsent(ctx.db, b.id);
    const templates = await templatesOf(ctx.db, b.id, b);
    return {
      ...beneficiaryView(b),
      consentActive: Boolean(consent),
      templates: templates.map((t) => ({ modelId: t.modelId, expiresAt: t.expiresAt?.toISOString() ?? null })),
    };
  });
};
