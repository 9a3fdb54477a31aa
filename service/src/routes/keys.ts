import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Jwks, ServiceKeys } from '@chehra/contract';
import type { ServiceContext } from '../context.js';
import { replies } from './schemas.js';

export const keyRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  // Public keys are public: a device may fetch them before or after sign-in.
  app.get('/v1/keys', { config: { roles: 'public' }, schema: { response: replies({ 200: ServiceKeys }) } }, async () => ({
    current: ctx.keyring.current.kid,
    keys: ctx.keyring.publicKeys(ctx.clock()),
  }));
  app.get('/.well-known/jwks.json', { config: { roles: 'public' }, schema: { response: replies({ 200: Jwks }) } }, async () => ({ keys: ctx.signingKeys.jwks(ctx.clock()) }));
};
