import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Health, HealthUnavailable, type HealthProblem } from '@chehra/contract';
import type { ServiceContext } from '../context.js';
import { pingDatabase } from '../db/repositories/health.js';
import { storageProblems } from '../storage.js';
import { replies } from './schemas.js';

/**
 * Readiness: 200 only when the service can do its job — the database answers and every directory it
 * writes is there, writable and has room. Otherwise 503 with each problem named (a full disk must not
 * look healthy: the next write would fail mid-transaction).
 */
export const healthRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/healthz', { config: { roles: 'public' }, schema: { response: replies({ 200: Health, 503: HealthUnavailable }) } }, async (_req, reply) => {
    const problems: HealthProblem[] = ctx.storage ? await storageProblems(ctx.storage.dirs, ctx.storage.minFreeBytes) : [];
    try {
      await pingDatabase(ctx.db);
    } catch {
      problems.unshift({ code: 'database_unavailable', message: 'the database does not answer' });
    }
    if (problems.length === 0) return { status: 'ok' as const, database: ctx.db.kind };
    return reply.status(503).send({ code: problems[0]!.code, message: problems.map((p) => p.message).join('; '), status: 'unavailable' as const, database: ctx.db.kind, problems });
  });
};
