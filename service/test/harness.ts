import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { RouteOptions } from 'fastify';
import { newRequestNonce, sealEnvelope, type SealedEnvelope } from '@chehra/sdk/envelope';
import { buildApp, type App, type AppOptions } from '../src/app.js';
import type { Principal } from '../src/auth/principal.js';
import { generateSigningKey, SigningKeyring } from '../src/auth/signing-key.js';
import { mintToken } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { DEFAULT_FALLBACK_POLICY, type FallbackPolicy, type ServiceContext } from '../src/context.js';
import type { RateLimits } from '../src/rate-limit.js';
import { DevOutbox, type SmsSender } from '../src/sms/sender.js';
import { connectDatabase } from '../src/db/connect.js';
import { appendAudit } from '../src/db/repositories/audit.js';
import type { Database } from '../src/db/types.js';
import { loadModelPolicy } from '../src/domain/models.js';
import { Keyring } from '../src/keys/keyring.js';
import { gaussian, mulberry32 } from '../../testkit/prng.js';
import { MpinHasher } from '../src/identity/mpin.js';
import { DEFAULT_IDENTITY_POLICY } from '../src/identity/signin.js';

/**
 * A real service on a real database for tests and benchmarks: in-memory PGlite by default,
 * a PostgreSQL server when TEST_DATABASE_URL is set (each harness then starts from empty tables).
 */
export interface Harness {
  app: App;
  ctx: ServiceContext;
  /** Where the development SMS sender puts OTP messages. */
  outbox: DevOutbox;
  /** Every log line the app wrote, as text. */
  logs: string[];
  modelId: string;
  dim: number;
  threshold: number;
  /**
   * A token for this principal as a signed-in user has it: the harness makes the account (id =
   * p.sub) and one live session for it on first use, so tokens pass the session check like any
   * other. For tests of other features; sign-in itself is tested through /v1/auth/login.
   */
  token(p: Principal, ttlSeconds?: number): Promise<string>;
  seal(embedding: Float32Array, worker: string, opts?: { capturedAt?: number; liveness?: number; modelId?: string; requestNonce?: string }): SealedEnvelope;
  /** Every response body the harness received, raw, for privacy scans. */
  responses: string[];
  /** One HTTP request through the app (in-process), recorded in `responses`. */
  call(method: 'GET' | 'POST' | 'DELETE', url: string, token?: string, body?: unknown, opts?: { ip?: string }): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  /** Every route the app registered. */
  routes: RouteOptions[];
  /** Lets a test move time: the service reads this clock; undefined gives the real clock back. */
  setNow(d: Date | undefined): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  dataDir?: string;
  db?: Database;
  keyring?: Keyring;
  /** Another SMS sender than the development outbox (a gateway under test). */
  sms?: SmsSender;
  /** App options beyond the logger (CORS origins, the metrics token). */
  app?: Omit<AppOptions, 'logger'>;
  /** The service's rate limits (default: the production defaults); false turns them off. */
  rateLimits?: RateLimits | false;
  fallback?: Partial<FallbackPolicy>;
}

export async function createHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const config = loadConfig({});
  const models = loadModelPolicy(config.modelsManifest);
  const [model] = [...models.embedders.values()];
  if (!model) throw new Error('no embedder in the manifest');
  const db = opts.db ?? (await connectDatabase(process.env.TEST_DATABASE_URL ? { databaseUrl: process.env.TEST_DATABASE_URL, poolMax: Number(process.env.TEST_DATABASE_POOL_MAX ?? 10) } : opts.dataDir ? { dataDir: opts.dataDir } : {}));
  if (process.env.TEST_DATABASE_URL && !opts.db) await truncateAll(db);
  let now: Date | undefined;
  const clock = () => now ?? new Date();
  const keyring = opts.keyring ?? Keyring.inMemory(config.keyGraceMs);
  const signingKeys = await SigningKeyring.inMemory(config.signingKeyGraceMs);
  const auditKey = await generateSigningKey('audit');
  const outbox = new DevOutbox();
  const ctx: ServiceContext = {
    db,
    keyring,
    signingKeys,
    auditKey,
    mpin: new MpinHasher(randomBytes(32)),
    identity: DEFAULT_IDENTITY_POLICY,
    devTokens: false,
    models,
    clock,
    captureWindowMs: config.captureWindowMs,
    captureSkewMs: config.captureSkewMs,
    sms: opts.sms ?? outbox,
    otpSecret: randomBytes(32),
    fallback: { ...DEFAULT_FALLBACK_POLICY, ...opts.fallback },
  };
  const sessions = new Map<string, string>();
  const sessionFor = async (p: Principal): Promise<string> => {
    const known = sessions.get(p.sub);
    if (known) return known;
    // A mobile number made from the id (unique enough for tests); the hash matches no MPIN.
    const mobile = `6${BigInt('0x' + createHash('sha256').update(p.sub).digest('hex').slice(0, 15)).toString().slice(-9).padStart(9, '0')}`;
    // Audited like an account the CLI makes, so /v1/audit/verify finds every users row covered.
    await db.transaction(async (tx) => {
      const made = await tx.query(
        `INSERT INTO users (id, role, mobile, name, state, district, awc, awcs, mpin_hash, must_change_mpin, created_by)
         VALUES ($1, $2, $3, $1, $4, $5, $6, $7, 'harness:no-mpin', false, 'harness') ON CONFLICT DO NOTHING RETURNING id`,
        [p.sub, p.role, mobile, p.state ?? null, p.role === 'state_admin' ? null : (p.district ?? null), p.awc ?? null, p.awcs ?? null],
      );
      if (made.rows.length > 0) await appendAudit(tx, { actor: 'harness', role: 'system', action: 'user.created', subjectType: 'user', subjectId: p.sub, district: p.district ?? null, details: { role: p.role } }, clock());
    });
    const { rows } = await db.query<{ id: string }>(`INSERT INTO sessions (user_id, device_id, expires_at) VALUES ($1, 'harness', '2100-01-01') RETURNING id`, [p.sub]);
    sessions.set(p.sub, rows[0]!.id);
    return rows[0]!.id;
  };
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const routes: RouteOptions[] = [];
  const app = await buildApp(ctx, { ...opts.app, routeTable: routes, logger: { level: 'trace', stream }, ...(opts.rateLimits === undefined ? {} : { rateLimits: opts.rateLimits }) });
  await app.ready();
  const responses: string[] = [];
  return {
    app,
    ctx,
    routes,
    outbox,
    logs,
    responses,
    async call(method, url, token, body, o = {}) {
      const res = await app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(body === undefined ? {} : { payload: body as object }), ...(o.ip ? { remoteAddress: o.ip } : {}) });
      responses.push(res.body);
      return { status: res.statusCode, body: res.body ? res.json() : undefined, headers: res.headers };
    },
    modelId: model.id,
    dim: model.dim,
    threshold: model.matchThreshold,
    token: async (p, ttl = 600) => mintToken(signingKeys.current, { ...p, sid: await sessionFor(p) }, ttl, clock()),
    seal: (embedding, worker, o = {}) =>
      sealEnvelope(
        {
          embedding,
          modelId: o.modelId ?? model.id,
          quality: 0.9,
          liveness: o.liveness ?? 0.99,
          capturedAt: o.capturedAt ?? clock().getTime(),
          requestNonce: o.requestNonce ?? newRequestNonce(),
          worker,
        },
        { kid: keyring.current.kid, publicKey: keyring.current.publicKey },
      ),
    setNow: (d) => {
      now = d;
    },
    close: async () => {
      await app.close();
      if (!opts.db) await db.close();
    },
  };
}

async function truncateAll(db: Database): Promise<void> {
  await db.exec(`
    ALTER TABLE audit_log DISABLE TRIGGER USER;
    ALTER TABLE audit_checkpoints DISABLE TRIGGER USER;
    TRUNCATE audit_log, audit_checkpoints, refresh_tokens, sessions, signin_throttle, users, otp_challenges, change_requests, face_attempts, fallback_cases, distributions, verifications, templates, consents, duplicate_flags, seen_nonces, beneficiaries CASCADE;
    ALTER TABLE audit_log ENABLE TRIGGER USER;
    ALTER TABLE audit_checkpoints ENABLE TRIGGER USER;
    UPDATE audit_head SET seq = 0, hash = repeat('0', 64);`);
}

/** Deterministic unit vectors: a person is a seed; a new capture of her is the same vector plus a little noise. */
export function syntheticFace(seed: number, dim: number, noise = 0, noiseSeed = 0): Float32Array {
  const rand = mulberry32(seed * 7919 + 1);
  const jitter = mulberry32(noiseSeed * 104729 + seed + 17);
  const v = new Float32Array(dim);
  for (let i = 0; i < dim; i++) v[i] = gaussian(rand) + noise * gaussian(jitter);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

export const WORKER: Principal = { sub: 'worker-1', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' };
export const OTHER_AWC_WORKER: Principal = { sub: 'worker-2', role: 'worker', awc: 'AWC-002', district: 'D1', state: 'S1' };
export const OTHER_DISTRICT_WORKER: Principal = { sub: 'worker-3', role: 'worker', awc: 'AWC-900', district: 'D9', state: 'S1' };
export const ADMIN: Principal = { sub: 'admin-1', role: 'district_admin', district: 'D1', state: 'S1' };
export const OTHER_ADMIN: Principal = { sub: 'admin-9', role: 'district_admin', district: 'D9', state: 'S1' };
export const AUDITOR: Principal = { sub: 'auditor-1', role: 'auditor' };
export const SUPERVISOR: Principal = { sub: 'sup-1', role: 'supervisor', awcs: ['AWC-001'], district: 'D1', state: 'S1' };

const TABLES = ['beneficiaries', 'consents', 'templates', 'verifications', 'distributions', 'seen_nonces', 'duplicate_flags', 'fallback_cases', 'otp_challenges', 'face_attempts', 'change_requests', 'audit_log', 'guardianships', 'distinct_people'] as const;
/** The identity tables: not in the default count, since the harness' token() makes accounts and sessions. */
export const IDENTITY_TABLES = ['users', 'sessions', 'refresh_tokens', 'signin_throttle', 'audit_log'] as const;

/** The harness' own writes, not the service's: the entries it makes for the accounts token() adds. */
const FIXTURE_ROWS: Partial<Record<string, string>> = { audit_log: "actor <> 'harness'" };

/** Row counts of every table: "nothing was written" is an equality of two of these. */
export async function rowCounts(db: Database, tables: readonly string[] = TABLES): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of tables) out[t] = Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${t} WHERE ${FIXTURE_ROWS[t] ?? 'true'}`)).rows[0]!.n);
  return out;
}

/** Registers, consents and (optionally) enrols one beneficiary through the API. */
export async function enrolledBeneficiary(h: Harness, face: Float32Array, opts: { consent?: boolean; enrol?: boolean; worker?: Principal } = {}) {
  const worker = opts.worker ?? WORKER;
  const token = await h.token(worker);
  const reg = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'Asha Devi', mobile: '+919812345678' });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const id: string = reg.body.id;
  if (opts.consent !== false) {
    const c = await h.call('POST', `/v1/beneficiaries/${id}/consents`, token, CONSENT);
    if (c.status !== 201) throw new Error(`consent failed: ${c.status} ${JSON.stringify(c.body)}`);
  }
  if (opts.consent !== false && opts.enrol !== false) {
    const e = await h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelope: h.seal(face, worker.sub) });
    if (e.status !== 201) throw new Error(`enrol failed: ${e.status} ${JSON.stringify(e.body)}`);
  }
  return { id, token };
}

export const CONSENT = { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1.0', language: 'hi', method: 'thumb_impression' } as const;

/**
 * Delivers a fallback case's ration by a supervisor's attestation (a supervisor of the worker's own
 * AWC), as the field does before a district admin may review the case.
 */
export async function deliverByAttestation(h: Harness, caseId: string, worker: Principal): Promise<void> {
  const supervisor: Principal = { sub: `sup-of-${worker.sub}`, role: 'supervisor', awcs: [worker.awc!], district: worker.district!, state: worker.state! };
  const res = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(supervisor), { reasonCode: 'known_to_supervisor', note: 'Known to me; ration handed over' });
  if (res.status !== 200) throw new Error(`attestation failed: ${res.status} ${JSON.stringify(res.body)}`);
}
