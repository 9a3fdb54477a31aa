import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Beneficiary, CategoryChangeBody } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary, setCategory } from '../db/repositories/beneficiaries.js';
import { CATEGORY_TRANSITIONS } from '../domain/categories.js';
import { conflict } from '../errors.js';
import { beneficiaryInScope, beneficiaryView } from './beneficiary-access.js';
import { IdParams, replies } from './schemas.js';

/** pregnant → lactating and the like: the same record, consent and template; audited. */
export const categoryTransitionRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/beneficiaries/:id/category', { config: { roles: ['worker'] }, schema: { params: IdParams, body: CategoryChangeBody, response: replies({ 200: Beneficiary }) } }, async (req) => {
    const p = principalOf(req);
    const b = await beneficiaryInScope(ctx.db, req.params.id, p);
    const to = req.body.category;
    if (b.closedAt) throw conflict('beneficiary_closed', 'this record was merged into another');
    if (!(CATEGORY_TRANSITIONS[b.category] ?? []).includes(to)) {
      throw conflict('category_transition_not_allowed', `${b.category} cannot become ${to}; allowed: ${(CATEGORY_TRANSITIONS[b.category] ?? []).join(', ') || 'none'}`);
    }
    const updated = await ctx.db.transaction(async (tx) => {
      // Locked, so two workers changing the category at once cannot both pass the check above.
      const current = await getBeneficiary(tx, b.id, { forNoKeyUpdate: true });
      if (current?.category !== b.category) throw conflict('category_changed', 'the category changed meanwhile; reload');
      const u = await setCategory(tx, b.id, to);
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'beneficiary.category_changed', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { from: b.category, to } }, ctx.clock());
      return u;
    });
    return beneficiaryView(updated);
  });
};
