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
}

function int(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.DATA_DIR ?? resolve(REPO_ROOT, 'data'));
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
  };
}
