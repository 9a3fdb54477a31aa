import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '../auth/plugin.js';
import { ROLES } from '../auth/principal.js';
import type { ServiceContext } from '../context.js';
import { unauthorized } from '../errors.js';
import { changeMpin, login, logout, refresh } from '../identity/signin.js';
import { ChangeMpinBody, LoginBody, LogoutBody, RefreshBody, SignedIn } from '@chehra/contract';
import { replies } from './schemas.js';

/** Sign-in, refresh, sign-out and MPIN change. The domain is identity/signin.ts. */
export const authRoutes: FastifyPluginAsyncTypebox<{ ctx: ServiceContext }> = async (app, { ctx }) => {
  app.post('/v1/auth/login', { config: { roles: 'public' }, schema: { body: LoginBody, response: replies({ 200: SignedIn }) } }, async (req) => login(ctx, req.body));

  app.post('/v1/auth/refresh', { config: { roles: 'public' }, schema: { body: RefreshBody, response: replies({ 200: SignedIn }) } }, async (req) => refresh(ctx, req.body.refreshToken));

  // Both work while a one-time MPIN is still to be changed: that is how she gets out of that state.
  // Sign-out also takes the session's refresh token, so it works once the access token has expired.
  app.post('/v1/auth/logout', { config: { roles: ROLES, duringMpinChange: true, bearerOptional: true }, schema: { body: LogoutBody, response: replies({ 204: Type.Null() }) } }, async (req, reply) => {
    const refreshToken = req.body?.refreshToken;
    if (!req.principal && !refreshToken) throw req.authRefusal ?? unauthorized('token_missing', 'send the bearer token or the refresh token');
    await logout(ctx, req.principal, refreshToken);
    return reply.status(204).send(null);
  });

  app.post('/v1/auth/mpin', { config: { roles: ROLES, duringMpinChange: true }, schema: { body: ChangeMpinBody, response: replies({ 200: SignedIn }) } }, async (req) => changeMpin(ctx, principalOf(req), req.body));
};
