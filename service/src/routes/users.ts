import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../auth/plugin.js';
import type { ServiceContext } from '../context.js';
import { createUser, disable, list, resetMpin } from '../identity/user-admin.js';
import { NewUserBody, Page, User, UserIdParams, UserList, UserWithMpin } from '@chehra/contract';
import { replies } from './schemas.js';

const MANAGERS = ['supervisor', 'district_admin', 'state_admin'] as const;

/** User management; who may do what to whom is identity/user-admin.ts. */
export const userRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.get('/v1/users', { config: { roles: MANAGERS }, schema: { querystring: Page, response: replies({ 200: UserList }) } }, async (req) => ({
    items: await list(ctx, principalOf(req), { limit: req.query.limit ?? 100, offset: req.query.offset ?? 0 }),
  }));

  app.post('/v1/users', { config: { roles: MANAGERS }, schema: { body: NewUserBody, response: replies({ 201: UserWithMpin }) } }, async (req, reply) =>
    reply.status(201).send(await createUser(ctx, principalOf(req), req.body)),
  );

  app.post('/v1/users/:id/disable', { config: { roles: MANAGERS }, schema: { params: UserIdParams, response: replies({ 200: User }) } }, async (req) => disable(ctx, principalOf(req), req.params.id));

  app.post('/v1/users/:id/reset-mpin', { config: { roles: MANAGERS }, schema: { params: UserIdParams, response: replies({ 200: UserWithMpin }) } }, async (req) => resetMpin(ctx, principalOf(req), req.params.id));
};
