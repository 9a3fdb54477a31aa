import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { appendAudit, sealAuditLog } from '../src/db/repositories/audit.js';
import { AUDITOR, createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

/**
 * Writers append audit entries without taking a lock that other writers wait for: the sealer
 * holds the head, not them. Only a server can show it — PGlite runs one transaction at a time —
 * so these run in the server pass (npm run test:pg-wire, CI).
 */
const url = process.env.TEST_DATABASE_URL;
const skip = url ? false : 'needs a PostgreSQL server (TEST_DATABASE_URL): PGlite runs one transaction at a time';

let h: Harness;
let side: pg.Client;
before(async () => {
  if (!url) return;
  h = await createHarness();
  side = new pg.Client({ connectionString: url });
  await side.connect();
});
after(async () => {
  await side?.end();
  await h?.close();
});

const within = <T>(ms: number, p: Promise<T>) => Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);

test('verifications commit while another transaction holds the audit head', { skip }, async () => {
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await enrolledBeneficiary(h, syntheticFace(90 + i, h.dim))).id);
  const worker = await h.token(WORKER);
  await side.query('BEGIN');
  await side.query('SELECT * FROM audit_head FOR UPDATE');
  try {
    // With the old design (every writer locked this row until COMMIT) each of these waited here.
    const results = await within(10_000, Promise.all(ids.map((id, i) => h.call('POST', '/v1/verifications', worker, { beneficiaryId: id, envelope: h.seal(syntheticFace(90 + i, h.dim, 0.3, 1), WORKER.sub) }))));
    assert.deepEqual(results.map((r) => [r.status, r.body.match]), ids.map(() => [200, true]));
  } finally {
    await side.query('ROLLBACK');
  }
  const report = (await h.call('GET', '/v1/audit/verify', await h.token(AUDITOR))).body;
  assert.equal(report.ok, true, JSON.stringify(report));
  assert.equal(report.unsealed, 0);
});

test('an entry whose transaction commits late is chained after the ones that committed before it', { skip }, async () => {
  const entry = (subjectId: string) => ({ actor: 'test', role: 'worker', action: 'test.note', subjectType: 'test', subjectId, details: {} });
  await side.query('BEGIN');
  // The late entry takes its id first...
  const { rows } = await side.query<{ id: string }>(
    "INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, details) VALUES (now(), 'test', 'worker', 'test.note', 'test', 'late', '{}') RETURNING id",
  );
  const early = await h.ctx.db.transaction((tx) => appendAudit(tx, entry('early')));
  assert.ok(Number(rows[0]!.id) < early);
  // ...but is not committed when the sealer runs, so the early one is chained without it.
  await sealAuditLog(h.ctx.db);
  await side.query('COMMIT');
  const { head } = await sealAuditLog(h.ctx.db);
  const chained = await h.ctx.db.query<{ seq: string; subject_id: string }>("SELECT seq, subject_id FROM audit_log WHERE action = 'test.note' ORDER BY seq");
  assert.deepEqual(chained.rows.map((r) => r.subject_id), ['early', 'late']);
  assert.equal(Number(chained.rows[1]!.seq), head.seq);
  const report = (await h.call('GET', '/v1/audit/verify', await h.token(AUDITOR))).body;
  assert.equal(report.ok, true, JSON.stringify(report));
});
