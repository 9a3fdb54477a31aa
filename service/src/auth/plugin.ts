import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ServiceContext } from '../context.js';
import { sessionState } from '../db/repositories/sessions.js';
import { userStatus } from '../db/repositories/users.js';
import { ApiError, forbidden, unauthorized } from '../errors.js';
import type { Principal, Role } from './principal.js';
import { verifyToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; 'public' for unauthenticated routes. Required on every route. */
    roles?: readonly Role[] | 'public';
    /** The route works while the user must still change a one-time MPIN (MPIN change, sign-out). */
    duringMpinChange?: boolean;
    /**
     * The route also runs without a valid bearer token (sign-out by refresh token, once the access
     * token has expired): a missing or refused token leaves `principal` null and the refusal in
     * `authRefusal`, for the route to answer when the request carries nothing else.
     */
    bearerOptional?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    authRefusal: ApiError | null;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthorized('token_missing', 'this route needs a bearer token');
  return req.principal;
}

/**
 * Who is calling, checked on every request: the token's signature, age and claims; then its
 * session, by primary key, so a sign-out, a disabled account or an MPIN reset holds from the
 * moment it commits (measured in the README: Tokens).
 *
 * Development tokens (`npm run token`, test and benchmark tools) carry no session. They are
 * accepted only when the service runs with DEV_TOKENS=1 (ctx.devTokens), never by default, and
 * even then not for an account that exists and is disabled.
 */
async function authenticate(ctx: ServiceContext, token: string, duringMpinChange: boolean): Promise<Principal> {
  const now = ctx.clock();
  const principal = await verifyToken(token, ctx.signingKeys, now);
  if (!principal.sid) {
    if (!ctx.devTokens) throw unauthorized('token_invalid', 'this token has no sign-in session; sign in with mobile and MPIN');
    if ((await userStatus(ctx.db, principal.sub)) === 'disabled') throw unauthorized('user_disabled', 'this account is disabled');
    return principal;
  }
  const s = await sessionState(ctx.db, principal.sid);
  if (!s || s.userId !== principal.sub) throw unauthorized('token_invalid', 'the token is not valid for this service');
  if (!s.userActive) throw unauthorized('user_disabled', 'this account is disabled');
  if (s.revoked) throw unauthorized('session_revoked', 'this session has ended; sign in again');
  if (s.expiresAt <= now) throw unauthorized('session_expired', 'this session has expired; sign in again');
  if (s.mustChangeMpin && !duringMpinChange) throw forbidden('mpin_change_required', 'change your one-time MPIN first (POST /v1/auth/mpin)');
  return principal;
}

/** A route that forgot to say who may call it fails at start-up rather than being open. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { ctx: ServiceContext }) => {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    // The console's files and the API docs page are public static files, served by plugins that set no config.
    if (route.url.startsWith('/admin') || route.url.startsWith('/docs') || route.method === 'HEAD') return;
    if (!route.config?.roles) throw new Error(`route ${route.method} ${route.url} does not declare its roles`);
  });
  app.decorateRequest('authRefusal', null);
  app.addHook('onRequest', async (req) => {
    const { roles, duringMpinChange, bearerOptional } = req.routeOptions.config;
    if (!roles || roles === 'public') return;
    try {
      const header = req.headers.authorization;
      if (!header) throw unauthorized('token_missing', 'this route needs a bearer token');
      const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
      if (!match?.[1]) throw unauthorized('token_invalid', 'the Authorization header must be "Bearer <token>"');
      const principal = await authenticate(opts.ctx, match[1], duringMpinChange === true);
      if (!roles.includes(principal.role)) throw forbidden('role_forbidden', `the ${principal.role} role may not do this`);
      req.principal = principal;
    } catch (err) {
      if (!bearerOptional || !(err instanceof ApiError)) throw err;
      req.authRefusal = err;
    }
  });
});
