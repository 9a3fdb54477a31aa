import Fastify, { type FastifyError, type FastifyReply, type FastifyServerOptions, type RouteOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authPlugin } from './auth/plugin.js';
import type { ServiceContext } from './context.js';
import { ApiError } from './errors.js';
import { corsPlugin } from './plugins/cors.js';
import { metricsPlugin } from './plugins/metrics.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { adminConsoleRoutes } from './routes/admin-console.js';
import { appAssetRoutes } from './routes/app-assets.js';
import { devOutboxRoutes } from './routes/dev-outbox.js';
import { exclusionWeeklyRoutes } from './routes/exclusion-weekly.js';
import { reviewBulkRoutes } from './routes/review-bulk.js';
import { DevOutbox } from './sms/sender.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { beneficiaryRoutes } from './routes/beneficiaries.js';
import { categoryTransitionRoutes } from './routes/category-transitions.js';
import { changeRequestRoutes } from './routes/change-requests.js';
import { consentRoutes } from './routes/consents.js';
import { duplicateRoutes } from './routes/duplicates.js';
import { enrolmentRoutes } from './routes/enrolments.js';
import { fallbackCaseRoutes } from './routes/fallback-cases.js';
import { guardianRoutes } from './routes/guardians.js';
import { healthRoutes } from './routes/health.js';
import { identificationRoutes } from './routes/identifications.js';
import { keyRoutes } from './routes/keys.js';
import { metricsRoutes } from './routes/metrics.js';
import { reviewRoutes } from './routes/review.js';
import { userRoutes } from './routes/users.js';
import { verificationRoutes } from './routes/verifications.js';
import { openApiPlugin } from './openapi.js';
import { DEFAULT_RATE_LIMITS, rateLimitPlugin, type RateLimits } from './rate-limit.js';
import { describeValidationError, validatorCompiler } from './validation.js';

export type { ServiceContext } from './context.js';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  /** Request bodies above this are refused with 413 (an envelope is ~4 KB). */
  bodyLimit?: number;
  /** Exact browser origins allowed to call the API (CORS); none by default. */
  corsOrigins?: string[];
  /** Bearer token for GET /metrics; without one there is no /metrics route. */
  metricsToken?: string;
  /** Per-user and per-source limits on face, OTP and sign-in routes; false turns them off. */
  rateLimits?: RateLimits | false;
  /** Behind a TLS proxy: take the client address from X-Forwarded-For (see fastify trustProxy). */
  trustProxy?: FastifyServerOptions["trustProxy"];
  /** Filled with every route as it is registered (tests fuzz them all). */
  routeTable?: RouteOptions[];
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'the body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request', message: 'the content length does not match the body' },
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'the URL is not valid' },
  // `/admin/..\\..`, a NUL or `....//` in a console path: no file is served, and it is the caller's error.
  FST_STATIC_FORBIDDEN_PATH: { status: 404, code: 'route_not_found', message: 'no such file' },
};

export async function buildApp(ctx: ServiceContext, opts: AppOptions = {}) {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    // Beneficiary ids are uuids; anything else in a path is a typo, not a lookup.
    routerOptions: { ignoreTrailingSlash: true },
    // A URL that does not decode (`/v1/%`) gets our error shape too.
    frameworkErrors: (err, _req, reply) => {
      const known = FASTIFY_CODES[err.code] ?? { status: 400, code: 'invalid_request', message: 'the request is not valid' };
      void (reply as FastifyReply).status(known.status).send({ code: known.code, message: known.message });
    },
    ...(opts.trustProxy !== undefined ? { trustProxy: opts.trustProxy } : {}),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  if (opts.routeTable) {
    const table = opts.routeTable;
    app.addHook('onRoute', (r) => void table.push(r as RouteOptions));
  }

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).headers(err.headers).send({ code: err.code, message: err.message, ...err.extra });
    }
    if (err.validation) {
      return reply.status(400).send({ code: 'invalid_request', message: describeValidationError(err.validation, err.validationContext) });
    }
    const known = err.code ? FASTIFY_CODES[err.code] : undefined;
    if (known) return reply.status(known.status).send({ code: known.code, message: known.message });
    // Any other 4xx a plugin raises is the caller's mistake, not the server's: its status, our shape, no error log.
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      req.log.info({ errCode: err.code }, 'request refused by a plugin');
      return reply.status(err.statusCode).send({ code: 'invalid_request', message: 'the request is not valid' });
    }
    // Database errors can quote the values they choked on (an embedding, a mobile number): log the kind only.
    req.log.error({ errType: err.name, errCode: err.code }, 'unhandled error');
    return reply.status(500).send({ code: 'internal_error', message: 'something went wrong on the server' });
  });
  // API answers carry personal data (names, masked mobiles, notes): no browser or proxy keeps them.
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
    return payload;
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ code: 'route_not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  // Headers and CORS first: they apply to every answer, and a CORS preflight carries no token.
  await app.register(securityHeadersPlugin);
  await app.register(corsPlugin, { origins: opts.corsOrigins ?? [] });
  // Before the auth plugin: a flood is counted before any token is checked.
  await app.register(rateLimitPlugin, { limits: opts.rateLimits ?? DEFAULT_RATE_LIMITS });
  await app.register(authPlugin, { ctx });
  await app.register(openApiPlugin);
  await app.register(metricsPlugin, { db: ctx.db, ...(opts.metricsToken ? { token: opts.metricsToken } : {}) });
  if (ctx.sms instanceof DevOutbox) await app.register(devOutboxRoutes, { outbox: ctx.sms });
  await app.register(authRoutes, { ctx });
  await app.register(userRoutes, { ctx });
  await app.register(healthRoutes, { ctx });
  await app.register(keyRoutes, { ctx });
  await app.register(beneficiaryRoutes, { ctx });
  await app.register(consentRoutes, { ctx });
  await app.register(categoryTransitionRoutes, { ctx });
  await app.register(enrolmentRoutes, { ctx });
  await app.register(changeRequestRoutes, { ctx });
  await app.register(verificationRoutes, { ctx });
  await app.register(guardianRoutes, { ctx });
  await app.register(identificationRoutes, { ctx });
  await app.register(fallbackCaseRoutes, { ctx });
  await app.register(reviewRoutes, { ctx });
  await app.register(reviewBulkRoutes, { ctx });
  await app.register(duplicateRoutes, { ctx });
  await app.register(metricsRoutes, { ctx });
  await app.register(exclusionWeeklyRoutes, { ctx });
  await app.register(adminConsoleRoutes);
  await app.register(appAssetRoutes);
  await app.register(auditRoutes, { ctx });
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
