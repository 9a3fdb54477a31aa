import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { normaliseMobile } from '@chehra/contract';
import { ApiError } from './errors.js';

/** What is limited: everything that scores a face, sends or checks a code, or signs someone in. */
export const LIMITED_ACTIONS = ['verification', 'enrolment', 'identification', 'otp_send', 'otp_verify', 'sign_in', 'change_request'] as const;
export type LimitedAction = (typeof LIMITED_ACTIONS)[number];

export interface Window {
  max: number;
  windowMs: number;
}

/**
 * Two counters per action: per user (the token's subject; for sign-in, the account being signed
 * into) and per source address. The per-source limit is the looser one: many workers of a
 * block can sit behind one carrier NAT address.
 */
export interface ActionLimits {
  perUser: Window;
  perSource: Window;
}
export type RateLimits = Record<LimitedAction, ActionLimits>;

const MINUTE = 60_000;
/**
 * A worker serves a few beneficiaries a minute at a busy centre, with up to three captures each;
 * these leave her room and stop a script. Identification is an admin's de-duplication search:
 * a handful an hour. Sign-in is per account over a quarter hour, on top of the identity module's
 * lockout after wrong MPINs: together an MPIN cannot be guessed, and a script cannot hold an
 * account locked from many addresses without hitting the per-source limit.
 */
export const DEFAULT_RATE_LIMITS: RateLimits = {
  verification: { perUser: { max: 30, windowMs: MINUTE }, perSource: { max: 600, windowMs: MINUTE } },
  enrolment: { perUser: { max: 20, windowMs: MINUTE }, perSource: { max: 300, windowMs: MINUTE } },
  identification: { perUser: { max: 30, windowMs: 60 * MINUTE }, perSource: { max: 120, windowMs: 60 * MINUTE } },
  otp_send: { perUser: { max: 10, windowMs: MINUTE }, perSource: { max: 120, windowMs: MINUTE } },
  otp_verify: { perUser: { max: 20, windowMs: MINUTE }, perSource: { max: 240, windowMs: MINUTE } },
  sign_in: { perUser: { max: 30, windowMs: 15 * MINUTE }, perSource: { max: 120, windowMs: MINUTE } },
  change_request: { perUser: { max: 20, windowMs: MINUTE }, perSource: { max: 300, windowMs: MINUTE } },
};

/** Every limit multiplied by `scale` (RATE_LIMIT_SCALE: benchmarks drive one worker far past a human's pace). */
export function scaledRateLimits(scale: number, base: RateLimits = DEFAULT_RATE_LIMITS): RateLimits {
  const s = (w: Window): Window => ({ max: Math.max(1, Math.round(w.max * scale)), windowMs: w.windowMs });
  return Object.fromEntries(Object.entries(base).map(([k, v]) => [k, { perUser: s(v.perUser), perSource: s(v.perSource) }])) as RateLimits;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The rate limits this route counts against. Routes under /v1/auth/ count as sign_in without saying so. */
    rateLimited?: LimitedAction;
  }
}

/**
 * Sign-in routes (the identity module's: login, refresh, MPIN change, sign-out) are limited by
 * where they live, so a new one cannot forget. Sign-out is limited too: it takes a refresh token
 * without an access token, and a route that looks tokens up for anyone must not be a free oracle.
 */
export function actionOf(req: FastifyRequest): LimitedAction | undefined {
  const declared = req.routeOptions.config?.rateLimited;
  if (declared) return declared;
  const url = req.routeOptions.url;
  return url?.startsWith('/v1/auth/') ? 'sign_in' : undefined;
}

/** The account a request acts as: the token's subject, or for sign-in the account named in the body. */
function userKey(req: FastifyRequest): string | undefined {
  if (req.principal) return `${req.principal.role}:${req.principal.sub}`;
  const body = req.body as Record<string, unknown> | undefined;
  for (const field of ['mobile', 'username', 'userId', 'login']) {
    const v = body && typeof body === 'object' ? body[field] : undefined;
    // normaliseMobile: "+91…", "91…" and the bare number are one account, so one bucket.
    if (typeof v === 'string' && v.length > 0 && v.length <= 64) return `account:${normaliseMobile(v)}`;
  }
  return undefined;
}


function refuse(reply: FastifyReply, retryAfter: number, scope: 'user' | 'source'): never {
  reply.header('retry-after', String(retryAfter));
  throw new ApiError(429, 'rate_limited', `too many requests ${scope === 'user' ? 'from this account' : 'from this address'}: try again in ${retryAfter} s`, { retryAfter, limit: scope });
}

/**
 * @fastify/rate-limit does the counting (its in-process LRU store). Two limiters per action: the
 * per-source one runs at onRequest, before the token is checked or the body parsed; the per-user
 * one at preValidation, once the token's subject (or the sign-in body) is known. The plugin's
 * own route hook runs a single limiter per request, so both are driven through createRateLimit.
 * Registered before every route: a route added later (sign-in, by another module) is covered.
 */
export const rateLimitPlugin = fp(async (app: FastifyInstance, opts: { limits: RateLimits | false }) => {
  if (opts.limits === false) return;
  await app.register(rateLimit, { global: false, cache: 50_000 });
  type Check = ReturnType<typeof app.createRateLimit>;
  const checks = new Map<LimitedAction, { perUser: Check; perSource: Check }>();
  for (const action of LIMITED_ACTIONS) {
    const l = opts.limits[action];
    checks.set(action, {
      perSource: app.createRateLimit({ max: l.perSource.max, timeWindow: l.perSource.windowMs, keyGenerator: (req) => `${action}|ip|${req.ip}` }),
      perUser: app.createRateLimit({ max: l.perUser.max, timeWindow: l.perUser.windowMs, keyGenerator: (req) => `${action}|user|${userKey(req)}` }),
    });
  }
  app.addHook('onRequest', async (req, reply) => {
    const action = actionOf(req);
    if (!action) return;
    const r = await checks.get(action)!.perSource(req);
    if (!r.isAllowed && r.isExceeded) refuse(reply, r.ttlInSeconds, 'source');
  });
  app.addHook('preValidation', async (req, reply) => {
    const action = actionOf(req);
    if (!action || !userKey(req)) return;
    const r = await checks.get(action)!.perUser(req);
    if (!r.isAllowed && r.isExceeded) refuse(reply, r.ttlInSeconds, 'user');
  });
});
