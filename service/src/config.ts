import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface Config {
  host: string;
  port: number;
  /** PGlite data and the service's keys live under here unless told otherwise. */
  dataDir: string;
  keysDir: string;
  databaseUrl?: string;
  /** Connections per service process to a PostgreSQL server. */
  databasePoolMax: number;
  modelsManifest: string;
  logLevel: string;
  /** How far a capture time may lie in the past before the envelope is refused. */
  captureWindowMs: number;
  /** Clock skew tolerated for capture times in the future. */
  captureSkewMs: number;
  /** How long a rotated-out encryption key still opens envelopes. */
  keyGraceMs: number;
  /** Default lifetime of development tokens minted by `npm run token`. */
  tokenTtlSeconds: number;
  /** How often audit entries are chained, and how often the chain's head is signed. */
  auditSealMs: number;
  auditCheckpointMs: number;
  /** Accept development tokens (no sign-in session). Off unless DEV_TOKENS=1. */
  devTokens: boolean;
  /** Access-token lifetime after sign-in (at most 15 min). */
  accessTokenTtlSeconds: number;
  /** A sign-in session's absolute lifetime. */
  sessionTtlMs: number;
  /** How long a rotated-out token-signing key still verifies tokens. */
  signingKeyGraceMs: number;
  /** Lifetime of a child's own face template, in months (also ended at her 3rd and 5th birthdays). */
  childTemplateMonths: number;
  /** /healthz reports the disk full below this much free space where the service writes. */
  minFreeDiskBytes: number;
  /** `pretty` for people reading a terminal, `json` (pino's lines) for log collectors. */
  logFormat: 'json' | 'pretty';
  /** Browser origins (scheme://host[:port]) allowed to call the API cross-origin; none by default. */
  corsOrigins: string[];
  /** Bearer token for GET /metrics; unset means the one generated into keysDir on first start. */
  metricsToken?: string;
  /** A production SMS gateway; unset means the development outbox. */
  sms?: SmsGatewayConfig;
  /** How long a shutdown waits for requests in flight before closing the database anyway. */
  shutdownGraceMs: number;
  /** Multiplies every rate limit (rate-limit.ts); 0 turns them off. */
  rateLimitScale: number;
  /** Trust X-Forwarded-For from this many proxy hops (0: use the socket's address). */
  trustProxyHops: number;
}

export interface SmsGatewayConfig {
  url: string;
  /** e.g. `Authorization: Bearer abc` or `X-Api-Key: abc` (one header, name: value). */
  authHeader?: string;
  /** DLT (TRAI) registration of the OTP message template and of the sender (header). */
  dltTemplateId: string;
  dltEntityId?: string;
  senderId: string;
  timeoutMs: number;
  retries: number;
  /** GET {id} for delivery status, e.g. https://gw.example/v1/messages/{id}; unset: no status checks. */
  statusUrl?: string;
}

function int(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

function smsGateway(env: NodeJS.ProcessEnv): SmsGatewayConfig | undefined {
  if (!env.SMS_GATEWAY_URL) return undefined;
  const need = (name: string) => {
    const v = env[name];
    if (!v) throw new Error(`SMS_GATEWAY_URL is set, so ${name} must be too (DLT rules: every SMS names its registered template and sender)`);
    return v;
  };
  if (!/^https?:\/\//.test(env.SMS_GATEWAY_URL)) throw new Error(`SMS_GATEWAY_URL must be an http(s) URL, got "${env.SMS_GATEWAY_URL}"`);
  if (env.SMS_GATEWAY_AUTH_HEADER && !/^[A-Za-z0-9-]+:\s*\S/.test(env.SMS_GATEWAY_AUTH_HEADER)) throw new Error('SMS_GATEWAY_AUTH_HEADER must look like "Name: value"');
  return {
    url: env.SMS_GATEWAY_URL,
    ...(env.SMS_GATEWAY_AUTH_HEADER ? { authHeader: env.SMS_GATEWAY_AUTH_HEADER } : {}),
    dltTemplateId: need('SMS_DLT_TEMPLATE_ID'),
    ...(env.SMS_DLT_ENTITY_ID ? { dltEntityId: env.SMS_DLT_ENTITY_ID } : {}),
    senderId: need('SMS_SENDER_ID'),
    timeoutMs: int('SMS_TIMEOUT_MS', 5000, env),
    retries: int('SMS_RETRIES', 2, env),
    ...(env.SMS_GATEWAY_STATUS_URL ? { statusUrl: env.SMS_GATEWAY_STATUS_URL } : {}),
  };
}

function origins(raw: string | undefined): string[] {
  const list = (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const o of list) {
    // An exact origin, never a wildcard: the API answers with personal data to whoever may read it.
    if (!/^https?:\/\/[^/\s*]+$/.test(o)) throw new Error(`CORS_ORIGINS holds "${o}": list exact origins like https://app.example.in (no path, no *)`);
  }
  return list;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.DATA_DIR ?? resolve(REPO_ROOT, 'data'));
  const logFormat = env.LOG_FORMAT ?? (process.stdout.isTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json');
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new Error(`LOG_FORMAT must be json or pretty, got "${logFormat}"`);
  const sms = smsGateway(env);
  return {
    host: env.HOST ?? '127.0.0.1',
    port: int('PORT', 8080, env),
    dataDir,
    keysDir: resolve(env.KEYS_DIR ?? resolve(dataDir, 'keys')),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    databasePoolMax: int('DATABASE_POOL_MAX', 10, env),
    modelsManifest: resolve(env.MODELS_MANIFEST ?? resolve(REPO_ROOT, 'models/manifest.json')),
    logLevel: env.LOG_LEVEL ?? 'info',
    captureWindowMs: int('CAPTURE_WINDOW_SECONDS', 300, env) * 1000,
    captureSkewMs: int('CAPTURE_SKEW_SECONDS', 60, env) * 1000,
    keyGraceMs: int('KEY_GRACE_HOURS', 72, env) * 3600 * 1000,
    tokenTtlSeconds: int('TOKEN_TTL_SECONDS', 3600, env),
    auditSealMs: Math.max(50, int('AUDIT_SEAL_MS', 1000, env)),
    auditCheckpointMs: Math.max(1, int('AUDIT_CHECKPOINT_SECONDS', 300, env)) * 1000,
    devTokens: env.DEV_TOKENS === '1',
    accessTokenTtlSeconds: Math.min(int('ACCESS_TOKEN_TTL_SECONDS', 900, env), 900),
    sessionTtlMs: int('SESSION_TTL_HOURS', 12, env) * 3600_000,
    // At least the longest token lifetime (a development token's 24 h), so no live token dies of a rotation.
    signingKeyGraceMs: Math.max(int('SIGNING_KEY_GRACE_HOURS', 24, env), 24) * 3600_000,
    minFreeDiskBytes: int('MIN_FREE_DISK_MB', 100, env) * 1024 * 1024,
    logFormat,
    corsOrigins: origins(env.CORS_ORIGINS),
    ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
    ...(sms ? { sms } : {}),
    shutdownGraceMs: int('SHUTDOWN_GRACE_SECONDS', 10, env) * 1000,
    childTemplateMonths: int('CHILD_TEMPLATE_MONTHS', 6, env),
    rateLimitScale: int('RATE_LIMIT_SCALE', 1, env),
    trustProxyHops: int('TRUST_PROXY_HOPS', 0, env),
  };
}
