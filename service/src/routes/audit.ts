import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditList, AuditQuery, ChainReport } from '@chehra/contract';
import type { ServiceContext } from '../context.js';
import { listAudit, verifyAuditChain } from '../db/repositories/audit.js';
import { replies } from './schemas.js';

export const auditRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/audit', { config: { roles: ['auditor'] }, schema: { querystring: AuditQuery, response: replies({ 200: AuditList }) } }, async (req) => {
    const items = await listAudit(ctx.db, { afterSeq: req.query.afterSeq ?? 0, limit: req.query.limit ?? 100 });
    return { items: items.map((r) => ({ ...r, at: r.at.toISOString() })) };
  });
  app.get('/v1/audit/verify', { config: { roles: ['auditor'] }, schema: { response: replies({ 200: ChainReport }) } }, async () => verifyAuditChain(ctx.db));
};
