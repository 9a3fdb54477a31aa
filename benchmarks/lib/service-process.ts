/**
 * The service as its own process, for benchmarks: start it (node --import tsx service/src/main.ts,
 * exactly what `npm start` runs) on embedded PGlite in a DATA_DIR or on DATABASE_URL, wait for
 * /healthz, stop it, read its CPU time; a PGlite served over the PostgreSQL wire protocol
 * (scripts/pglite-server.ts) as a stand-in server; and the client side a benchmark needs: tokens
 * minted with the service's signing key, envelopes sealed to the key GET /v1/keys publishes.
 *
 * Shared by benchmarks/service.ts (closed-loop autocannon) and benchmarks/load.ts (open-loop).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromBase64, newRequestNonce, sealEnvelope, type RecipientKey } from '@chehra/sdk/envelope';
import type { Principal } from '../../service/src/auth/principal.js';
import { loadOrCreateSigningKey } from '../../service/src/auth/signing-key.js';
import { mintToken } from '../../service/src/auth/tokens.js';
import { appendAudit } from '../../service/src/db/repositories/audit.js';
import { insertBeneficiary } from '../../service/src/db/repositories/beneficiaries.js';
import { insertConsent } from '../../service/src/db/repositories/consents.js';
import { replaceTemplate } from '../../service/src/db/repositories/templates.js';
import type { Database } from '../../service/src/db/types.js';
import { CATEGORIES, isChild, templateExpiry } from '../../service/src/domain/categories.js';
import { loadModelPolicy } from '../../service/src/domain/models.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
export const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** A port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export interface ChildServer {
  child: ChildProcess;
  logPath: string;
}

export interface ServiceProcess extends ChildServer {
  base: string;
  port: number;
}

/** Every child this process started; killed if the benchmark exits without stopping them. */
const children = new Set<ChildProcess>();
let reaperInstalled = false;
function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
}

function spawnLogged(args: string[], env: NodeJS.ProcessEnv, logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  // node --import tsx directly (not the tsx CLI, which would fork once more): one pid, ours to stop.
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  track(child);
  return child;
}

async function waitUntil(child: ChildProcess, logPath: string, what: string, ready: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  let exited: number | null = null;
  child.once('exit', (code) => (exited = code ?? -1));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`${what} exited (${exited}) before it was ready; see ${logPath}:\n${readFileSync(logPath, 'utf8').slice(-2000)}`);
    if (await ready()) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // never leave one behind: the caller has no handle on it yet
      throw new Error(`${what} was not ready within ${timeoutMs / 1000} s; see ${logPath}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface StartServiceOptions {
  /** DATA_DIR: keys, and the PGlite data when no databaseUrl is given. */
  dataDir: string;
  /** A PostgreSQL server (or pglite-socket); unset: embedded PGlite in dataDir. */
  databaseUrl?: string;
  logLevel?: string;
  /** Extra environment for the service. */
  env?: Record<string, string>;
}

/** Starts service/src/main.ts on 127.0.0.1 and a free port; resolves once /healthz answers. */
export async function startService(o: StartServiceOptions): Promise<ServiceProcess> {
  const logPath = join(o.dataDir, 'server.log');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawnLogged(
    [join(REPO, 'service/src/main.ts')],
    { ...process.env, DATA_DIR: o.dataDir, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: o.logLevel ?? 'info', DATABASE_URL: o.databaseUrl ?? '', ...o.env },
    logPath,
  );
  await waitUntil(child, logPath, 'the service', () => fetch(`${base}/healthz`).then((r) => r.ok, () => false));
  return { child, base, port, logPath };
}

/** SIGTERM (the service closes its database cleanly), SIGKILL after 15 s. */
export async function stopChild(s: ChildServer | undefined): Promise<void> {
  if (!s || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const gone = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
  await gone;
  clearTimeout(timer);
}

export interface PgliteSocketServer extends ChildServer {
  url: string;
}

/**
 * scripts/pglite-server.ts as its own process: an in-memory PGlite + pgvector behind the
 * PostgreSQL wire protocol. Not a PostgreSQL server: one WASM backend serves every connection.
 */
export async function startPgliteSocket(logDir: string): Promise<PgliteSocketServer> {
  const port = await freePort();
  const logPath = join(logDir, 'pglite-server.log');
  const child = spawnLogged([join(REPO, 'scripts/pglite-server.ts'), String(port)], { ...process.env }, logPath);
  await waitUntil(child, logPath, 'scripts/pglite-server.ts', async () => readFileSync(logPath, 'utf8').includes('pglite listening'), 60_000);
  return { child, logPath, url: `postgres://postgres@127.0.0.1:${port}/postgres` };
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system) a child process has used so far, in ms; null off Linux. */
export function processCpuMs(pid: number | undefined): number | null {
  try {
    // Fields after the command name (in parentheses): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) / CLK_TCK) * 1000;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- client side

export async function api(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Runs fn(0..n-1) with `concurrency` in flight; returns the wall time in ms. */
export async function pool(n: number, concurrency: number, fn: (i: number) => Promise<void>): Promise<number> {
  const t0 = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return msSince(t0);
}

export { CATEGORIES, isChild };

/** The body POST /v1/beneficiaries takes for synthetic beneficiary i. */
export function beneficiaryBody(i: number) {
  const category = CATEGORIES[i % CATEGORIES.length]!;
  return {
    category,
    name: `Bench Beneficiary ${i}`,
    mobile: `98${String(i % 1e8).padStart(8, '0')}`,
    ...(isChild(category) ? { guardian: { name: `Guardian ${i}`, relation: 'mother' } } : {}),
  };
}

export const consentBody = (category: string) =>
  ({ purpose: 'face_verification', givenBy: isChild(category as (typeof CATEGORIES)[number]) ? 'guardian' : 'self', noticeVersion: 'v1', language: 'hi', method: 'thumb_impression' }) as const;

export interface ServiceClient {
  modelId: string;
  dim: number;
  matchThreshold: number;
  token(p: Principal, ttlSeconds?: number): Promise<string>;
  /** A sealed envelope of this embedding, captured now, to the service's current key. */
  seal(embedding: Float32Array, worker: string): ReturnType<typeof sealEnvelope>;
}

/**
 * What a device and the token CLI have: the service made its keys on first start in DATA_DIR/keys;
 * tokens are minted with the signing key (as `npm run token` does), envelopes sealed to the key
 * GET /v1/keys publishes (as the SDK does).
 */
export async function serviceClient(server: ServiceProcess, dataDir: string): Promise<ServiceClient> {
  const { key: signingKey } = await loadOrCreateSigningKey(join(dataDir, 'keys'));
  const keys = (await (await fetch(`${server.base}/v1/keys`)).json()) as { current: string; keys: { kid: string; publicKey: string }[] };
  const current = keys.keys.find((k) => k.kid === keys.current)!;
  const recipient: RecipientKey = { kid: current.kid, publicKey: fromBase64(current.publicKey)! };
  const model = embedderPolicy();
  return {
    modelId: model.id,
    dim: model.dim,
    matchThreshold: model.matchThreshold,
    token: (p, ttl = 3600) => mintToken(signingKey, p, ttl),
    seal: (embedding, worker) =>
      sealEnvelope({ embedding, modelId: model.id, quality: 0.9, liveness: 0.99, capturedAt: Date.now(), requestNonce: newRequestNonce(), worker }, recipient),
  };
}

export function embedderPolicy() {
  const [model] = [...loadModelPolicy(join(REPO, 'models/manifest.json')).embedders.values()];
  if (!model) throw new Error('no embedder in models/manifest.json');
  return model;
}

/**
 * Registers, consents and enrols beneficiaries straight into the database with the service's own
 * repository functions — the same INSERTs and audit appends the three routes make, in batches of
 * one transaction — instead of three HTTP calls each. Enrolment over HTTP runs at ~16/s here (it
 * opens an envelope and searches the district's HNSW graph for duplicates), which would spend the
 * load benchmark's time budget on set-up. Not skipped: the template rows, their HNSW index entries,
 * the consents and a valid audit chain. Returns the beneficiary ids in order.
 */
export async function seedEnrolled(
  db: Database,
  n: number,
  opts: { workers: Principal[]; face: (i: number) => Float32Array; modelId: string; batch?: number; onProgress?: (done: number) => void; /** First beneficiary index (a top-up continues a population). */ from?: number },
): Promise<string[]> {
  const ids: string[] = [];
  const batch = opts.batch ?? 100;
  const from = opts.from ?? 0;
  for (let start = from; start < from + n; start += batch) {
    await db.transaction(async (tx) => {
      for (let i = start; i < Math.min(from + n, start + batch); i++) {
        const w = opts.workers[i % opts.workers.length]!;
        const body = beneficiaryBody(i);
        const now = new Date();
        const b = await insertBeneficiary(tx, {
          category: body.category,
          name: body.name,
          birthDate: null,
          awc: w.awc!,
          district: w.district!,
          state: w.state!,
          mobile: body.mobile,
          guardianName: body.guardian?.name ?? null,
          guardianRelation: body.guardian?.relation ?? null,
          createdBy: w.sub,
        });
        await appendAudit(tx, { actor: w.sub, role: w.role, action: 'beneficiary.registered', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { category: b.category, awc: b.awc, seeded: true } }, now);
        const c = await insertConsent(tx, { beneficiaryId: b.id, ...consentBody(b.category), recordedBy: w.sub });
        await appendAudit(tx, { actor: w.sub, role: w.role, action: 'consent.granted', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { consentId: c.id, seeded: true } }, now);
        const face = opts.face(i);
        const t = await replaceTemplate(tx, { beneficiaryId: b.id, modelId: opts.modelId, embedding: face, quality: 0.9, liveness: 0.99, district: b.district, state: b.state, createdBy: w.sub, expiresAt: templateExpiry(b.category, now) });
        await appendAudit(tx, { actor: w.sub, role: w.role, action: 'template.enrolled', subjectType: 'beneficiary', subjectId: b.id, district: b.district, details: { templateId: t.id, modelId: opts.modelId, seeded: true } }, now);
        ids.push(b.id);
      }
    });
    opts.onProgress?.(ids.length);
  }
  return ids;
}
