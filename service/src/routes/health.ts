import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Health } from '@chehra/contract';
import type { ServiceContext } from '../context.js';
import { pingDatabase } from '../db/repositories/health.js';
import { replies } from './schemas.js';

export const healthRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/healthz', { config: { roles: 'public' }, schema: { response: replies({ 200: Health }) } }, async (_req, reply) => {
    try {
      await pingDatabase(ctx.db);
      return { status: 'ok' as const, database: ctx.db.kind };
    } catch {
      return reply.status(503).send({ code: 'database_unavailable', message: 'the database does not answer' });
    }
  });
};
