import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Cross-origin calls from the configured app origins only (CORS_ORIGINS, exact origins, no wildcard):
 * the API answers with names and masked mobiles, and a browser on any other origin must not read
 * them. With no origins configured the service sends no CORS headers at all (same-origin only: the
 * console and the worker app are served by the service itself). Tokens travel in the Authorization
 * header, never in cookies, so credentials are not enabled. Registered before the auth plugin so
 * that a preflight is answered before any token check (browsers send no token with a preflight).
 */
export const corsPlugin = fp(async (app: FastifyInstance, opts: { origins: string[] }) => {
  const allowed = new Set(opts.origins);
  await app.register(cors, {
    origin: allowed.size === 0 ? false : (origin, cb) => cb(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['retry-after', 'content-disposition'],
    credentials: false,
    maxAge: 600,
    strictPreflight: true,
  });
}, { name: 'cors' });
