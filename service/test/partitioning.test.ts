import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { getBeneficiary } from '../src/db/repositories/beneficiaries.js';
import { nearestInDistrict, scoreBeneficiaryTemplates } from '../src/db/repositories/templates.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import type { Queryable } from '../src/db/types.js';
import { createHarness, enrolledBeneficiary, syntheticFace, type Harness } from './harness.js';

// Templates are partitioned by state (migration 003). Two states here share a district name, as
// real ones do (Aurangabad is a district of Bihar and of Maharashtra): only the state keeps
// one state's faces out of the other's searches.
const S1_WORKER: Principal = { sub: 'worker-s1', role: 'worker', awc: 'AWC-S1-01', district: 'D1', state: 'S1' };
const S2_WORKER: Principal = { sub: 'worker-s2', role: 'worker', awc: 'AWC-S2-01', district: 'D1', state: 'S2' };
const S1_ADMIN: Principal = { sub: 'admin-s1', role: 'district_admin', district: 'D1', state: 'S1' };
const S2_ADMIN: Principal = { sub: 'admin-s2', role: 'district_admin', district: 'D1', state: 'S2' };

let h: Harness;
const s1: string[] = [];
const s2: string[] = [];
const shared = syntheticFace(500, 512);

before(async () => {
  h = await createHarness();
  for (let i = 0; i < 6; i++) s1.push((await enrolledBeneficiary(h, syntheticFace(100 + i, h.dim), { worker: S1_WORKER })).id);
  for (let i = 0; i < 6; i++) s2.push((await enrolledBeneficiary(h, syntheticFace(200 + i, h.dim), { worker: S2_WORKER })).id);
  // The same face enrolled once in each state: in different states that is no duplicate.
  s1.push((await enrolledBeneficiary(h, shared, { worker: S1_WORKER })).id);
  s2.push((await enrolledBeneficiary(h, shared, { worker: S2_WORKER })).id);
});
after(() => h.close());

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

const walk = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(walk)];

/**
 * A Queryable that, before running each statement on templates the repository sends, runs
 * EXPLAIN (ANALYZE, FORMAT JSON) of that same statement with the same parameters, and keeps
 * the plan: what is checked below is the plan of the query the repository really runs.
 */
function explaining(db: Queryable, plans: PlanNode[][]): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      if (!/FROM templates/.test(sql)) return db.query<T>(sql, params);
      const { rows } = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
      const raw = rows[0]!['QUERY PLAN'];
      const json = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
      plans.push(walk(json[0]!.Plan));
      return db.query<T>(sql, params);
    },
    exec: (sql) => db.exec(sql),
    vector: (e) => db.vector(e),
  };
}

async function partitionOf(state: string): Promise<string> {
  const { rows } = await h.ctx.db.query<{ name: string }>('SELECT templates_ensure_partition($1)::text AS name', [state]);
  return rows[0]!.name;
}

/** Every template partition a plan touches, and whether any node of it ran. */
function scanned(nodes: PlanNode[]) {
  const relations = nodes.filter((n) => n['Relation Name']?.startsWith('templates'));
  return { names: new Set(relations.map((n) => n['Relation Name']!)), ran: relations.filter((n) => (n['Actual Loops'] ?? 1) > 0) };
}

test('templates is a partitioned table with one partition per state, each with its own HNSW and btree indexes', async () => {
  const { rows } = await h.ctx.db.query<{ relkind: string }>("SELECT relkind FROM pg_class WHERE relname = 'templates'");
  assert.equal(rows[0]!.relkind, 'p');
  const parts = await h.ctx.db.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'templates'::regclass ORDER BY 1`,
  );
  // Each partition holds exactly one state (on a shared server, earlier runs may have made others).
  const bounds = parts.rows.map((r) => r.bound);
  for (const b of ["FOR VALUES IN ('S1')", "FOR VALUES IN ('S2')"]) assert.ok(bounds.includes(b), `a partition ${b}`);
  assert.ok(bounds.every((b) => /^FOR VALUES IN \('[^']*'\)$/.test(b)), 'one state per partition, no DEFAULT');
  for (const state of ['S1', 'S2']) {
    const part = await partitionOf(state);
    const idx = await h.ctx.db.query<{ def: string }>('SELECT indexdef AS def FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [part]);
    const defs = idx.rows.map((r) => r.def).join('\n');
    assert.match(defs, /USING hnsw \(embedding vector_cosine_ops\)/);
    assert.match(defs, /btree \(beneficiary_id, model_id\)/);
    assert.match(defs, /btree \(district, model_id\)/);
    assert.match(defs, /UNIQUE INDEX .* btree \(id, state\)/);
    const count = await h.ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${part}`);
    assert.equal(Number(count.rows[0]!.n), 7, `${state}'s partition holds that state's templates only`);
  }
  // Asking again for a partition that exists returns it and creates nothing.
  assert.equal(await partitionOf('S1'), await partitionOf('S1'));
});

for (const forceIndex of [false, true]) {
  test(`EXPLAIN of the repository's 1:1 and 1:N queries scans only the caller's state partition (${forceIndex ? 'index scans forced' : "planner's choice"})`, async () => {
    const p1 = await partitionOf('S1');
    const p2 = await partitionOf('S2');
    for (const [state, ids, own, other] of [['S1', s1, p1, p2], ['S2', s2, p2, p1]] as const) {
      const b = (await getBeneficiary(h.ctx.db, ids[0]!))!;
      assert.equal(b.state, state);
      const probe = syntheticFace(state === 'S1' ? 100 : 200, h.dim, 0.3, 9);
      const plans: PlanNode[][] = [];
      const { oneToOne, oneToN } = await h.ctx.db.transaction(async (tx) => {
        // With heap scans and sorts priced out, the 1:N walks the partition's HNSW graph (the plan
        // at national scale): pruning must hold there too; with 14 rows the planner would
        // otherwise scan the heap.
        if (forceIndex) await tx.exec('SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off');
        const ex = explaining(tx, plans);
        const oneToOne = await scoreBeneficiaryTemplates(ex, b.id, b.state, h.modelId, probe, new Date());
        const oneToN = await nearestInDistrict(ex, b.state, b.district, h.modelId, probe, 20);
        // pgvector 0.8 (PGlite's): the graph keeps searching until the district's rows fill the limit.
        const [mode] = (await tx.query<{ m: string }>("SELECT current_setting('hnsw.iterative_scan', true) AS m")).rows;
        assert.equal(mode!.m, 'relaxed_order');
        return { oneToOne, oneToN };
      });
      assert.equal(plans.length, 2);
      for (const [i, plan] of plans.entries()) {
        const { names, ran } = scanned(plan);
        const what = `${i === 0 ? '1:1' : '1:N'} in ${state}`;
        assert.deepEqual([...names], [own], `${what}: only ${own} appears in the plan (saw ${[...names].join(', ')})`);
        assert.ok(!names.has(other), `${what} never touches ${other}`);
        assert.ok(!names.has('templates'), `${what}: the parent is pruned to a partition`);
        assert.ok(ran.length > 0, `${what}: the own partition was actually scanned`);
        if (forceIndex) {
          const index = plan.find((n) => n['Index Name'])?.['Index Name'] ?? '';
          assert.ok(index.startsWith(own), `${what}: the index used (${index}) is the partition's own`);
        }
      }
      assert.ok(plans[1]!.some((n) => n['Index Name']?.includes('embedding')) || !forceIndex, '1:N walks the HNSW graph when index scans are forced');
      assert.equal(oneToOne.length, 1);
      assert.ok(oneToOne[0]!.score > h.threshold, 'the genuine probe matches its own template');
      assert.equal(oneToN[0]!.beneficiaryId, b.id, 'the nearest face in the district is the person herself');
      assert.ok(oneToN.every((c) => ids.includes(c.beneficiaryId)), `1:N in ${state} returns ${state}'s beneficiaries only`);
    }
  });
}

test("1:N identification in one state never returns another state's beneficiary, even in a district of the same name", async () => {
  for (const [admin, own, foreign] of [[S1_ADMIN, s1, s2], [S2_ADMIN, s2, s1]] as const) {
    const res = await h.call('POST', '/v1/identifications', await h.token(admin), { envelope: h.seal(syntheticFace(500, h.dim, 0.3, 3), admin.sub), limit: 20 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ids: string[] = res.body.candidates.map((c: { beneficiaryId: string }) => c.beneficiaryId);
    // Only faces above the threshold come back: the shared face, enrolled in both states, and
    // only the own state's copy of it, though the other state's copy matches just as well.
    assert.deepEqual(ids, [own[own.length - 1]]);
    assert.ok(!ids.some((id) => foreign.includes(id)), `no beneficiary of the other state (${admin.state} admin)`);
  }
});

test('1:1 verification in a state finds the template in that state partition', async () => {
  const token = await h.token(S2_WORKER);
  const id = s2[2]!;
  const res = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(syntheticFace(202, h.dim, 0.3, 5), S2_WORKER.sub) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.match, true);
});

test('migration 003 keeps the rows, ids and columns of an unpartitioned templates table', async () => {
  // Always on an in-memory PGlite: this needs a database that stopped at migration 001.
  const db = await openPglite(undefined);
  try {
    const dir = new URL('../src/db/migrations/', import.meta.url);
    await db.exec(`CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    await db.exec(readFileSync(new URL('001_core.sql', dir), 'utf8'));
    await db.query("INSERT INTO schema_migrations (name) VALUES ('001_core.sql')");
    const rows: Array<{ id: string; state: string }> = [];
    for (const [i, state] of ['Maharashtra', 'BR', 'BR', "Jammu & Kashmir"].entries()) {
      const { rows: b } = await db.query<{ id: string }>(
        "INSERT INTO beneficiaries (category, name, awc, district, state, created_by) VALUES ('pregnant', 'X', 'A', 'Aurangabad', $1, 'w') RETURNING id",
        [state],
      );
      const { rows: t } = await db.query<{ id: string }>(
        `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, expires_at)
         VALUES ($1, 'm', $2, 0.9, 0.99, 'Aurangabad', $3, 'w', now() + interval '1 year') RETURNING id`,
        [b[0]!.id, `[${Array.from(syntheticFace(i, 512)).join(',')}]`, state],
      );
      rows.push({ id: t[0]!.id, state });
    }
    const before = await db.query("SELECT * FROM templates ORDER BY id");
    const applied = await migrate(db);
    assert.ok(applied.includes('003_templates_partitioned_by_state.sql'));
    const afterRows = await db.query<Record<string, unknown>>('SELECT * FROM templates ORDER BY id');
    // Later migrations may add columns (007: captures, refresh); every row and column that existed survives.
    const columns = Object.keys(before.rows[0] as object);
    assert.deepEqual(afterRows.rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))), before.rows, 'every row and column survives');
    const parts = await db.query<{ bound: string }>(
      "SELECT pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'templates'::regclass ORDER BY 1",
    );
    assert.deepEqual(parts.rows.map((r) => r.bound), ["FOR VALUES IN ('BR')", "FOR VALUES IN ('Jammu & Kashmir')", "FOR VALUES IN ('Maharashtra')"]);
    const pk = await db.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'templates'::regclass AND contype IN ('p', 'f') ORDER BY contype");
    assert.deepEqual(pk.rows.map((r) => r.def), ['FOREIGN KEY (beneficiary_id) REFERENCES beneficiaries(id)', 'PRIMARY KEY (id, state)']);
    const leftovers = await db.query("SELECT 1 FROM pg_class WHERE relname LIKE 'templates_unpartitioned%'");
    assert.equal(leftovers.rows.length, 0);
    // A state with no partition yet cannot be written without one being made: no silent default.
    await assert.rejects(
      db.query("INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by) SELECT beneficiary_id, model_id, embedding, quality, liveness, district, 'KA', created_by FROM templates LIMIT 1"),
      /no partition/,
    );
  } finally {
    await db.close();
  }
});
