/**
 * The service as its own process, for benchmarks: started and stopped by testkit/service-process.ts
 * (shared with the tests), its CPU time read here; and the client side a benchmark needs: tokens
 * minted with the service's signing key, envelopes sealed to the key GET /v1/keys publishes,
 * beneficiaries seeded straight into the database.
 *
 * Shared by benchmarks/service.ts (closed-loop autocannon) and benchmarks/load.ts (open-loop).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fromBase64, newRequestNonce, sealEnvelope, type RecipientKey } from '@chehra/sdk/envelope';
import type { Principal } from '../../service/src/auth/principal.js';
import { appendAudit } from '../../service/src/db/repositories/audit.js';
import { insertBeneficiary } from '../../service/src/db/repositories/beneficiaries.js';
import { insertConsent } from '../../service/src/db/repositories/consents.js';
import { replaceTemplate } from '../../service/src/db/repositories/templates.js';
import type { Database } from '../../service/src/db/types.js';
import { CATEGORIES, isChild, templateExpiry } from '../../service/src/domain/categories.js';
import { directVerificationRefusal } from '../../service/src/domain/children.js';
import { loadModelPolicy } from '../../service/src/domain/models.js';
import { REPO, startService, stopChild as stopChildProcess, type ServiceProcess } from '../../testkit/service-process.js';

// Starting and stopping the service is shared with the tests (testkit/service-process.ts).
export { REPO, startService, type ServiceProcess };

export const log = (msg: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
export const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/** SIGTERM (the service closes its database cleanly), SIGKILL after 15 s. */
export async function stopChild(s: { child: ChildProcess } | undefined): Promise<void> {
  if (s) await stopChildProcess(s.child);
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

/**
 * The categories whose own face verifies them, by the service's own rule (a guardian and a child
 * under three are verified through a guardian visit instead): the benchmarks verify each seeded
 * beneficiary directly, so they seed only these.
 */
export const SELF_VERIFIED_CATEGORIES = CATEGORIES.filter((category) => directVerificationRefusal({ category, birthDate: null, closedAt: null }, new Date()) === null);

/** The body POST /v1/beneficiaries takes for synthetic beneficiary i. */
export function beneficiaryBody(i: number) {
  const category = SELF_VERIFIED_CATEGORIES[i % SELF_VERIFIED_CATEGORIES.length]!;
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
  /** A sealed envelope of this embedding, captured now, to the service's current key. */
  seal(embedding: Float32Array, worker: string): ReturnType<typeof sealEnvelope>;
}

/** What a device has: envelopes sealed to the key GET /v1/keys publishes (as the SDK does). Tokens come from signing in (load/accounts.ts). */
export async function serviceClient(server: ServiceProcess): Promise<ServiceClient> {
  const keys = (await (await fetch(`${server.base}/v1/keys`)).json()) as { current: string; keys: { kid: string; publicKey: string }[] };
  const current = keys.keys.find((k) => k.kid === keys.current)!;
  const recipient: RecipientKey = { kid: current.kid, publicKey: fromBase64(current.publicKey)! };
  const model = embedderPolicy();
  return {
    modelId: model.id,
    dim: model.dim,
    matchThreshold: model.matchThreshold,
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
