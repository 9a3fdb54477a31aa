import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ServiceContext } from '../context.js';
import { listAudit, verifyAuditChain } from '../db/repositories/audit.js';

const AuditQuery = Type.Object({
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export const auditRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/audit', { config: { roles: ['auditor'] }, schema: { querystring: AuditQuery } }, async (req) => {
    const items = await listAudit(ctx.db, { afterSeq: req.query.afterSeq ?? 0, limit: req.query.limit ?? 100 });
    return { items: items.map((r) => ({ ...r, at: r.at.toISOString() })) };
  });
  app.get('/v1/audit/verify', { config: { roles: ['auditor'] } }, async () => verifyAuditChain(ctx.db));
};
