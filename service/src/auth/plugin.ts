import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from '../errors.js';
import type { Principal, Role } from './principal.js';
import type { SigningKey } from './signing-key.js';
import { verifyToken } from './tokens.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; 'public' for unauthenticated routes. Required on every route. */
    roles?: readonly Role[] | 'public';
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw unauthorized('token_missing', 'this route needs a bearer token');
  return req.principal;
}

/** A route that forgot to say who may call it fails at start-up rather than being open. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { signingKey: SigningKey; clock: () => Date }) => {
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    // The console's files and the API docs page are public static files, served by plugins that set no config.
    if (route.url.startsWith('/admin') || route.url.startsWith('/docs') || route.method === 'HEAD') return;
    if (!route.config?.roles) throw new Error(`route ${route.method} ${route.url} does not declare its roles`);
  });
  app.addHook('onRequest', async (req) => {
    const roles = req.routeOptions.config.roles;
    if (!roles || roles === 'public') return;
    const header = req.headers.authorization;
    if (!header) throw unauthorized('token_missing', 'this route needs a bearer token');
    const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!match?.[1]) throw unauthorized('token_invalid', 'the Authorization header must be "Bearer <token>"');
    const principal = await verifyToken(match[1], opts.signingKey, opts.clock());
    if (!roles.includes(principal.role)) throw forbidden('role_forbidden', `the ${principal.role} role may not do this`);
    req.principal = principal;
  });
});
