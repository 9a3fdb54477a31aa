import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Security headers on every answer (helmet): API JSON, errors, 404s, /healthz, /metrics.
 *
 * The default policy is for answers that are data, not pages: nothing may load, run, frame or
 * submit. The two pages override it with their own, in their own route plugins, because each needs
 * something the other must not have:
 *   - /admin (routes/admin-console.ts): scripts and styles from this origin only;
 *   - /app, the worker app (routes/app-assets.ts): also 'wasm-unsafe-eval' for onnxruntime-web and
 *     cross-origin isolation (COOP same-origin + COEP require-corp) for SharedArrayBuffer and WASM
 *     threads, plus camera=(self).
 * Their onSend hooks run after helmet's onRequest hook and replace its content-security-policy.
 * No `upgrade-insecure-requests`: the service speaks plain HTTP on 127.0.0.1 (TLS is a proxy's job),
 * and the directive would send the pages' own requests to an https port that does not exist.
 */
export const DATA_CSP = {
  defaultSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

export const securityHeadersPlugin = fp(async (app: FastifyInstance) => {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: DATA_CSP },
    // Same-origin isolation of the browsing context; embedding (COEP) is the worker app's choice.
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Browsers honour HSTS only over TLS; no includeSubDomains, which would bind the operator's other hosts.
    strictTransportSecurity: { maxAge: 180 * 86_400, includeSubDomains: false },
  });
}, { name: 'security-headers' });
