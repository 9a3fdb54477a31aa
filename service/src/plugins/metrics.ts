import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { MetricsText } from '@chehra/contract';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/types.js';
import { unauthorized } from '../errors.js';
import { replies } from '../routes/schemas.js';

/**
 * GET /metrics in Prometheus's text format (prom-client), behind a bearer token (the scrape token
 * generated into KEYS_DIR/metrics-token, or METRICS_TOKEN).
 *
 * No personal data, by construction: every label is a route template (`/v1/beneficiaries/:id`, never
 * the id), a status code, or a value from one of our closed lists (outcomes, fallback reasons,
 * delivery methods). Business counts are read from the answers the service gives (onSend), so
 * routes stay free of metrics code; only fields that are already public to the caller are read.
 */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Label values we accept from an answer; anything else is counted as `other`, so labels stay a closed set. */
const SAFE_LABEL = /^[a-z][a-z0-9_]{0,40}$/;
const label = (v: unknown) => (typeof v === 'string' && SAFE_LABEL.test(v) ? v : 'other');

export interface MetricsOptions {
  db: Database;
  /** The scrape token; without one the route is not registered at all. */
  token?: string;
}

function makeMetrics(register: Registry, db: Database) {
  const common = { registers: [register] };
  return {
    requests: new Counter({ name: 'http_requests_total', help: 'HTTP requests by route template and status', labelNames: ['method', 'route', 'status_code'], ...common }),
    latency: new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer, by route template', labelNames: ['method', 'route', 'status_code'], buckets: LATENCY_BUCKETS, ...common }),
    verifications: new Counter({ name: 'chehra_verifications_total', help: 'Face verifications (direct, and each child of a guardian visit) by outcome (match, no_match, liveness_failed, ...) or refusal code', labelNames: ['outcome'], ...common }),
    verificationFallbacks: new Counter({ name: 'chehra_verification_fallbacks_total', help: 'Verification answers that named a fallback, by reason', labelNames: ['reason'], ...common }),
    casesOpened: new Counter({ name: 'chehra_fallback_cases_opened_total', help: 'Fallback cases opened by a worker, by reason', labelNames: ['reason'], ...common }),
    deliveries: new Counter({ name: 'chehra_fallback_deliveries_total', help: 'Rations delivered on the fallback path, by method', labelNames: ['method'], ...common }),
    otpSends: new Counter({ name: 'chehra_otp_sends_total', help: 'OTP SMS sends by result (sent, sms_failed, limited, refused)', labelNames: ['result'], ...common }),
    pool: new Gauge({
      name: 'chehra_db_pool_connections',
      help: 'Database connections by state (a PostgreSQL pool; PGlite is one connection)',
      labelNames: ['state'],
      ...common,
      collect() {
        const s = db.poolStats?.() ?? { total: 1, idle: 0, waiting: 0 };
        this.set({ state: 'total' }, s.total);
        this.set({ state: 'idle' }, s.idle);
        this.set({ state: 'waiting' }, s.waiting);
      },
    }),
  };
}

type Metrics = ReturnType<typeof makeMetrics>;

function parse(payload: unknown): Record<string, unknown> | undefined {
  if (typeof payload !== 'string' || payload[0] !== '{') return undefined;
  try {
    return JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** The business counters, from the answer to the routes that carry them. */
function countAnswer(m: Metrics, req: FastifyRequest, reply: FastifyReply, payload: unknown): void {
  if (req.method !== 'POST') return;
  const route = req.routeOptions.url;
  const status = reply.statusCode;
  if (route === '/v1/verifications') {
    const body = parse(payload);
    if (!body) return;
    m.verifications.inc({ outcome: label(body.outcome ?? body.code) });
    const fallback = body.fallback as { reason?: unknown } | undefined;
    if (fallback) m.verificationFallbacks.inc({ reason: label(fallback.reason) });
  } else if (route === '/v1/guardian-visits') {
    // One guardian capture verifies each child named: counted once per child, as her verification
    // row is (so the counter agrees with the table and with direct verifications); a refusal that
    // verified no one (not linked, no consent…) once, by its code.
    const body = parse(payload);
    if (!body) return;
    const children = Array.isArray(body.children) ? (body.children as Array<{ outcome?: unknown; fallback?: { reason?: unknown } }>) : [];
    if (children.length === 0) m.verifications.inc({ outcome: label(body.code) });
    for (const c of children) {
      m.verifications.inc({ outcome: label(c.outcome) });
      if (c.fallback) m.verificationFallbacks.inc({ reason: label(c.fallback.reason) });
    }
  } else if (route === '/v1/fallback-cases' && status === 201) {
    m.casesOpened.inc({ reason: label(parse(payload)?.reason) });
  } else if (route === '/v1/fallback-cases/:id/otp') {
    m.otpSends.inc({ result: status === 201 ? 'sent' : status === 502 ? 'sms_failed' : status === 429 ? 'limited' : 'refused' });
  } else if (route === '/v1/fallback-cases/:id/otp/verify' && status < 300) {
    m.deliveries.inc({ method: 'otp' });
  } else if (route === '/v1/fallback-cases/:id/attestation' && status < 300) {
    m.deliveries.inc({ method: 'attestation' });
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (\S+)$/.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export const metricsPlugin = fp(async (app: FastifyInstance, opts: MetricsOptions) => {
  if (!opts.token) return;
  const token = opts.token;
  // One registry per app (tests build several in one process), with Node's own metrics:
  // event-loop lag (nodejs_eventloop_lag_seconds and its percentiles), heap, GC, handles.
  const register = new Registry();
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 20 });
  const m = makeMetrics(register, opts.db);

  app.addHook('onSend', async (req, reply, payload) => {
    countAnswer(m, req, reply, payload);
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    const labels = { method: req.method, route, status_code: String(reply.statusCode) };
    m.requests.inc(labels);
    m.latency.observe(labels, reply.elapsedTime / 1000);
  });

  app.get('/metrics', { config: { roles: 'public' }, logLevel: 'warn', schema: { response: replies({ 200: MetricsText }) } }, async (req, reply) => {
    if (!tokenMatches(req.headers.authorization, token)) throw unauthorized('metrics_token_invalid', 'GET /metrics needs "Authorization: Bearer <scrape token>" (KEYS_DIR/metrics-token)');
    reply.header('cache-control', 'no-store');
    return reply.type(register.contentType).send(await register.metrics());
  });
}, { name: 'metrics' });
