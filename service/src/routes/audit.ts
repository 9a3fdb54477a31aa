import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuditCheckpoint, AuditCheckpointList, AuditList, AuditQuery, AuditReport, AuditVerifyQuery } from '@chehra/contract';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { latestCheckpoint, listCheckpoints, type StoredCheckpoint } from '../db/repositories/audit-checkpoints.js';
import { listAudit, sealAuditLog } from '../db/repositories/audit.js';
import { checkpointAuditLog, openCheckpoint } from '../domain/audit-checkpoint.js';
import { verifyAuditLog } from '../domain/audit-verify.js';
import { badRequest } from '../errors.js';
import { replies } from './schemas.js';

const exported = (c: StoredCheckpoint) => ({ seq: c.seq, hash: c.hash, at: c.at.toISOString(), kid: c.kid, jws: c.jws });

export const auditRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/audit', { config: { roles: ['auditor'] }, schema: { querystring: AuditQuery, response: replies({ 200: AuditList }) } }, async (req) => {
    // Everything committed so far is chained before it is listed.
    await sealAuditLog(ctx.db);
    const items = await listAudit(ctx.db, { afterSeq: req.query.afterSeq ?? 0, limit: req.query.limit ?? 100 });
    return { items: items.map((r) => ({ ...r, at: r.at.toISOString() })) };
  });

  // Auditors export these and keep them outside the database; `publicJwk` verifies them anywhere.
  app.get('/v1/audit/checkpoints', { config: { roles: ['auditor'] }, schema: { querystring: AuditQuery, response: replies({ 200: AuditCheckpointList }) } }, async (req) => {
    const items = await listCheckpoints(ctx.db, { afterSeq: req.query.afterSeq ?? 0, limit: req.query.limit ?? 100 });
    return { publicJwk: ctx.auditKey.publicJwk as AuditCheckpointList['publicJwk'], items: items.map(exported) };
  });

  // A checkpoint of the head now (the service also makes one periodically): 201 new, 200 when the newest already covers the head.
  app.post('/v1/audit/checkpoints', { config: { roles: ['auditor'] }, schema: { response: replies({ 200: AuditCheckpoint, 201: AuditCheckpoint }) } }, async (req, reply) => {
    const made = await checkpointAuditLog(ctx.db, ctx.auditKey, ctx.clock());
    if (made) {
      req.log.info({ auditor: principalOf(req).sub, seq: made.seq }, 'audit checkpoint signed');
      return reply.status(201).send(exported(made));
    }
    const latest = await latestCheckpoint(ctx.db);
    if (!latest) return reply.status(409).send({ code: 'audit_log_empty', message: 'the audit log has no entries to sign yet' });
    return exported(latest);
  });

  app.get('/v1/audit/verify', { config: { roles: ['auditor'] }, schema: { querystring: AuditVerifyQuery, response: replies({ 200: AuditReport }) } }, async (req) => {
    const jws = req.query.checkpoint;
    const supplied = jws === undefined ? undefined : await openCheckpoint(ctx.auditKey, jws);
    if (jws !== undefined && !supplied) throw badRequest('checkpoint_invalid', 'the checkpoint is not signed by this service’s audit key');
    return verifyAuditLog(ctx.db, ctx.auditKey, supplied);
  });
};
