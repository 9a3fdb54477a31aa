import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Identification, IdentifyBody } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { claimNonce } from '../db/repositories/nonces.js';
import { nearestInDistrict } from '../db/repositories/templates.js';
import { conflict } from '../errors.js';
import { openProbe } from '../keys/open-probe.js';
import { replies } from './schemas.js';

/** 1:N within the admin's own district, for de-duplication. Never across districts; rate limited and audited. */
export const identificationRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/identifications', { config: { roles: ['district_admin'], rateLimited: 'identification' }, schema: { body: IdentifyBody, response: replies({ 200: Identification }) } }, async (req) => {
    const p = principalOf(req);
    const probe = openProbe(ctx, req.body.envelope, p);
    const threshold = probe.model.matchThreshold;
    const matches = await ctx.db.transaction(async (tx) => {
      if (!(await claimNonce(tx, probe.requestNonce))) throw conflict('envelope_replayed', 'this envelope was already used; capture again');
      const found = await nearestInDistrict(tx, p.state!, p.district!, probe.model.id, probe.embedding, req.body.limit ?? 5);
      // Only faces the model calls the same person: a list of near-misses with their scores would
      // let a probe be climbed towards anyone in the district.
      const above = found.filter((c) => c.score >= threshold);
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'identification.searched', subjectType: 'district', subjectId: p.district!, district: p.district!, details: { modelId: probe.model.id, matches: above.length, candidates: above.map((c) => c.beneficiaryId) } }, ctx.clock());
      return above;
    });
    probe.embedding.fill(0);
    // Nearest first; the order is all that is said about how near.
    return { candidates: matches.map((c) => ({ beneficiaryId: c.beneficiaryId })) };
  });
};
