import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** `METHOD /url` of every API route registered without a 2xx response schema (a test keeps it empty). */
    routesWithoutResponseSchema: string[];
  }
}

/** Where the machine-readable description and the page for people are served (both public). */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/**
 * Files, not API answers: the admin console, the worker app (HTML, JS, WASM, models) and this
 * docs page. They carry no response schema and are left out of the document.
 */
const STATIC_PREFIXES = ['/admin', '/app', DOCS_PREFIX] as const;
const isStaticFile = (url: string) => url === OPENAPI_PATH || STATIC_PREFIXES.some((p) => url === p || url.startsWith(`${p}/`));

/** `/v1/fallback-cases/:id/otp` → `fallback-cases`: one tag per resource, as the route files are split. */
const tagOf = (url: string) => url.split('/').filter(Boolean).find((s) => s !== 'v1' && !s.startsWith(':') && !s.startsWith('.')) ?? 'service';

/**
 * OpenAPI 3.1 generated from the routes' TypeBox schemas (which come from @chehra/contract), so the
 * document cannot drift from what the service validates and serialises. 3.1 because it is JSON
 * Schema: nullable fields are `anyOf [..., {type: null}]` as TypeBox writes them. Each operation
 * says which roles may call it, taken from the same `config.roles` the auth plugin enforces.
 * Must be registered before the routes: it collects them as they are added.
 */
export const openApiPlugin = fp(async (app: FastifyInstance) => {
  app.decorate('routesWithoutResponseSchema', [] as string[]);
  app.addHook('onRoute', (route) => {
    if (route.method === 'HEAD' || isStaticFile(route.url)) return;
    const response = (route.schema?.response ?? {}) as Record<string, unknown>;
    if (!Object.keys(response).some((status) => /^2(\d\d|xx)$/.test(status))) app.routesWithoutResponseSchema.push(`${String(route.method)} ${route.url}`);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Chehra service',
        version: '0.1.0',
        description:
          'Privacy-first face verification for take-home-ration distribution. Every 4xx/5xx body is `{code, message}`; ' +
          '`code` is for programs, `message` for people. Face embeddings arrive only inside sealed envelopes.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (EdDSA)' } } },
    },
    transform: ({ schema, url, route }) => {
      if (isStaticFile(url)) return { schema: { ...schema, hide: true }, url };
      const roles = route.config?.roles;
      if (!roles || roles === 'public' || schema?.hide) return { schema, url };
      const described = schema as typeof schema & { description?: string; tags?: string[]; security?: unknown };
      return {
        url,
        schema: {
          ...schema,
          tags: described.tags ?? [tagOf(url)],
          security: [{ bearer: [] }],
          description: [described.description, `Roles: ${roles.join(', ')}.`].filter(Boolean).join('\n\n'),
        },
      };
    },
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: DOCS_PREFIX,
    uiConfig: { docExpansion: 'list', deepLinking: false, validatorUrl: null },
    // The docs page's own policy (its scripts and styles by hash, from this origin), replacing the
    // data-only default of plugins/security-headers.ts. No upgrade-insecure-requests: the service
    // speaks plain HTTP on 127.0.0.1, and no third-party validator badge.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(' validator.swagger.io', '').replace(/\s*upgrade-insecure-requests;?/, '').replace("frame-ancestors 'self'", "frame-ancestors 'none'"),
  });
  app.get(OPENAPI_PATH, { config: { roles: 'public' }, schema: { hide: true } }, async () => app.swagger());
});
