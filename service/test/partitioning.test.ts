import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { getBeneficiary } from '../src/db/repositories/beneficiaries.js';
import { EF_SEARCH_BY_DISTRICT_SIZE, nearestInDistrict, scoreBeneficiaryTemplates, templatesOf } from '../src/db/repositories/templates.js';
import { migrate } from '../src/db/migrate.js';
import { openPglite } from '../src/db/pglite.js';
import type { Database, Queryable } from '../src/db/types.js';
import { createHarness, enrolledBeneficiary, syntheticFace, type Harness } from './harness.js';

// Templates are partitioned by state (migration 003), then by district (008). Two states here
// share a district name, as real ones do (Aurangabad is a district of Bihar and of Maharashtra):
// only the state keeps one state's faces out of the other's searches. S1 has a second district,
// D2, so pruning inside a state shows too.
const S1_WORKER: Principal = { sub: 'worker-s1', role: 'worker', awc: 'AWC-S1-01', district: 'D1', state: 'S1' };
const S1_D2_WORKER: Principal = { sub: 'worker-s1-d2', role: 'worker', awc: 'AWC-S1-20', district: 'D2', state: 'S1' };
const S2_WORKER: Principal = { sub: 'worker-s2', role: 'worker', awc: 'AWC-S2-01', district: 'D1', state: 'S2' };
const S1_ADMIN: Principal = { sub: 'admin-s1', role: 'district_admin', district: 'D1', state: 'S1' };
const S2_ADMIN: Principal = { sub: 'admin-s2', role: 'district_admin', district: 'D1', state: 'S2' };

let h: Harness;
const s1: string[] = [];
const s1d2: string[] = [];
const s2: string[] = [];
const shared = syntheticFace(500, 512);
/** District partitions made by the tests of new districts, dropped at the end (a server database outlives the run). */
const madeHere: string[] = [];

before(async () => {
  h = await createHarness();
  for (let i = 0; i < 6; i++) s1.push((await enrolledBeneficiary(h, syntheticFace(100 + i, h.dim), { worker: S1_WORKER })).id);
  for (let i = 0; i < 6; i++) s2.push((await enrolledBeneficiary(h, syntheticFace(200 + i, h.dim), { worker: S2_WORKER })).id);
  for (let i = 0; i < 3; i++) s1d2.push((await enrolledBeneficiary(h, syntheticFace(300 + i, h.dim), { worker: S1_D2_WORKER })).id);
  // The same face enrolled once in each state, and in S1's other district: in different
  // districts that is no duplicate, and a district's search never sees the other copies.
  s1.push((await enrolledBeneficiary(h, shared, { worker: S1_WORKER })).id);
  s2.push((await enrolledBeneficiary(h, shared, { worker: S2_WORKER })).id);
  s1d2.push((await enrolledBeneficiary(h, shared, { worker: S1_D2_WORKER })).id);
});
after(async () => {
  for (const leaf of madeHere) await h.ctx.db.exec(`DROP TABLE IF EXISTS ${leaf}`);
  await h.close();
});

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

/** A state's partition (partitioned by district). */
async function partitionOf(state: string): Promise<string> {
  const { rows } = await h.ctx.db.query<{ name: string }>('SELECT templates_ensure_partition($1)::text AS name', [state]);
  return rows[0]!.name;
}

/** A district's partition, the leaf that holds its templates and its HNSW graph. */
async function leafOf(state: string, district: string): Promise<string> {
  const { rows } = await h.ctx.db.query<{ name: string }>('SELECT templates_ensure_partition($1, $2)::text AS name', [state, district]);
  return rows[0]!.name;
}

/** The leaf's name if it exists, without making it. */
async function existingLeaf(db: Queryable, state: string, district: string): Promise<string | null> {
  const { rows } = await db.query<{ name: string | null }>('SELECT to_regclass(templates_partition_name($1, $2))::text AS name', [state, district]);
  return rows[0]!.name;
}

async function count(db: Queryable, relation: string, where = 'true', params: unknown[] = []): Promise<number> {
  return Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${relation} WHERE ${where}`, params)).rows[0]!.n);
}

async function partitionsOf(db: Queryable, parent: string) {
  return (
    await db.query<{ name: string; bound: string; kind: string; key: string | null }>(
      `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound, c.relkind AS kind, pg_get_partkeydef(c.oid) AS key
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1`,
      [parent],
    )
  ).rows;
}

/** Every template partition a plan touches, and whether any node of it ran. */
function scanned(nodes: PlanNode[]) {
  const relations = nodes.filter((n) => n['Relation Name']?.startsWith('templates'));
  return { names: new Set(relations.map((n) => n['Relation Name']!)), ran: relations.filter((n) => (n['Actual Loops'] ?? 1) > 0) };
}

test('templates is partitioned by state, each state by district, and each district partition has its own HNSW and btree indexes', async () => {
  const { rows } = await h.ctx.db.query<{ relkind: string; key: string }>("SELECT relkind, pg_get_partkeydef(oid) AS key FROM pg_class WHERE relname = 'templates'");
  assert.deepEqual(rows[0], { relkind: 'p', key: 'LIST (state)' });
  // Each partition holds exactly one state (on a shared server, earlier runs may have made others).
  const states = await partitionsOf(h.ctx.db, 'templates');
  for (const b of ["FOR VALUES IN ('S1')", "FOR VALUES IN ('S2')"]) assert.ok(states.some((p) => p.bound === b), `a partition ${b}`);
  assert.ok(states.every((p) => /^FOR VALUES IN \('[^']*'\)$/.test(p.bound)), 'one state per partition, no DEFAULT');
  assert.ok(states.every((p) => p.kind === 'p' && p.key === 'LIST (district)'), 'every state partition is partitioned by district');
  for (const [state, district, n] of [['S1', 'D1', 7], ['S1', 'D2', 4], ['S2', 'D1', 7]] as const) {
    const leaves = await partitionsOf(h.ctx.db, await partitionOf(state));
    assert.ok(leaves.every((p) => /^FOR VALUES IN \('[^']*'\)$/.test(p.bound) && p.kind === 'r'), `${state}: one district per partition, no DEFAULT, no deeper level`);
    const leaf = await leafOf(state, district);
    assert.ok(leaves.some((p) => p.name === leaf && p.bound === `FOR VALUES IN ('${district}')`), `${state} has a partition for ${district}`);
    const idx = await h.ctx.db.query<{ def: string }>('SELECT indexdef AS def FROM pg_indexes WHERE tablename = $1 ORDER BY 1', [leaf]);
    const defs = idx.rows.map((r) => r.def).join('\n');
    assert.match(defs, /USING hnsw \(embedding vector_cosine_ops\)/);
    assert.match(defs, /btree \(beneficiary_id, model_id\)/);
    assert.match(defs, /UNIQUE INDEX .* btree \(id, state, district\)/);
    assert.equal(idx.rows.length, 3, `${leaf}: the primary key, the 1:1 btree and the graph, nothing else`);
    assert.equal(await count(h.ctx.db, leaf), n, `${leaf} holds ${state}/${district}'s templates`);
    assert.equal(await count(h.ctx.db, leaf, 'state <> $1 OR district <> $2', [state, district]), 0, `${leaf} holds that district's templates only`);
  }
  // Asking again for a partition that exists returns it and creates nothing.
  assert.equal(await leafOf('S1', 'D1'), await leafOf('S1', 'D1'));
  assert.equal((await partitionsOf(h.ctx.db, await partitionOf('S1'))).length, (await partitionsOf(h.ctx.db, await partitionOf('S1'))).length);
  // Readable names, distinct for districts whose names make the same slug.
  const [a, b] = [await existingLeaf(h.ctx.db, 'S1', 'D1'), (await h.ctx.db.query<{ n: string }>("SELECT templates_partition_name('S1', 'd-1') AS n")).rows[0]!.n];
  assert.match(a!, /^templates_s1_d1_[0-9a-f]{8}$/);
  assert.match(b, /^templates_s1_d_1_[0-9a-f]{8}$/);
  const same = await h.ctx.db.query<{ x: string; y: string }>("SELECT templates_partition_name('S1', 'D 1') AS x, templates_partition_name('S1', 'D-1') AS y");
  assert.notEqual(same.rows[0]!.x, same.rows[0]!.y);
  const long = await h.ctx.db.query<{ n: string }>("SELECT templates_partition_name(repeat('Jammu & Kashmir ', 5), repeat('Aurangabad (Bihar) ', 5)) AS n");
  assert.ok(long.rows[0]!.n.length <= 63, 'fits in an identifier');
});

for (const forceIndex of [false, true]) {
  test(`EXPLAIN of the repository's 1:1 and district 1:N scans only the caller's district partition (${forceIndex ? 'index scans forced' : "planner's choice"})`, async () => {
    const cases = [
      { state: 'S1', district: 'D1', ids: s1, seed: 100 },
      { state: 'S1', district: 'D2', ids: s1d2, seed: 300 },
      { state: 'S2', district: 'D1', ids: s2, seed: 200 },
    ] as const;
    const leaves = await Promise.all(cases.map((c) => leafOf(c.state, c.district)));
    const statePartitions = await Promise.all(cases.map((c) => partitionOf(c.state)));
    for (const [k, { state, district, ids, seed }] of cases.entries()) {
      const own = leaves[k]!;
      const b = (await getBeneficiary(h.ctx.db, ids[0]!))!;
      assert.deepEqual([b.state, b.district], [state, district]);
      const probe = syntheticFace(seed, h.dim, 0.3, 9);
      const plans: PlanNode[][] = [];
      const { oneToOne, oneToN, enrolled, settings } = await h.ctx.db.transaction(async (tx) => {
        // With heap scans and sorts priced out, the 1:N walks the partition's HNSW graph (the plan
        // for a large district): pruning must hold there too; with a handful of rows the planner
        // would otherwise scan the heap.
        if (forceIndex) await tx.exec('SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off');
        const ex = explaining(tx, plans);
        const oneToOne = await scoreBeneficiaryTemplates(ex, b.id, b, h.modelId, probe, new Date());
        const enrolled = await templatesOf(ex, b.id, b);
        const oneToN = await nearestInDistrict(ex, b.state, b.district, h.modelId, probe, 20);
        const settings = (await tx.query<{ mode: string; ef: string }>("SELECT current_setting('hnsw.iterative_scan', true) AS mode, current_setting('hnsw.ef_search', true) AS ef")).rows[0]!;
        return { oneToOne, oneToN, enrolled, settings };
      });
      // pgvector 0.8 (PGlite's and the server's): kept for the model filter; a district of a few
      // rows is searched with the first ef_search of the policy.
      assert.deepEqual(settings, { mode: 'relaxed_order', ef: String(EF_SEARCH_BY_DISTRICT_SIZE[0].efSearch) });
      assert.equal(plans.length, 3);
      for (const [i, plan] of plans.entries()) {
        const { names, ran } = scanned(plan);
        const what = `${['1:1', 'templatesOf', 'district 1:N'][i]} in ${state}/${district}`;
        assert.deepEqual([...names], [own], `${what}: only ${own} appears in the plan (saw ${[...names].join(', ')})`);
        for (const other of leaves.filter((l) => l !== own)) assert.ok(!names.has(other), `${what} never touches ${other}`);
        assert.ok(!names.has('templates') && !statePartitions.some((p) => names.has(p)), `${what}: the parent and the state's partition are pruned to the district's`);
        assert.ok(ran.length > 0, `${what}: the own partition was actually scanned`);
        if (forceIndex) {
          const index = plan.find((n) => n['Index Name'])?.['Index Name'] ?? '';
          assert.ok(index.startsWith(own), `${what}: the index used (${index}) is the partition's own`);
        }
      }
      assert.ok(plans[2]!.some((n) => n['Index Name']?.includes('embedding')) || !forceIndex, '1:N walks the HNSW graph when index scans are forced');
      assert.equal(oneToOne.length, 1);
      assert.equal(enrolled.length, 1);
      assert.ok(oneToOne[0]!.score > h.threshold, 'the genuine probe matches her own template');
      assert.equal(oneToN[0]!.beneficiaryId, b.id, 'the nearest face in the district is the person herself');
      assert.ok(oneToN.every((c) => ids.includes(c.beneficiaryId)), `1:N in ${state}/${district} returns that district's beneficiaries only`);
      assert.equal(oneToN.length, ids.length, 'every face of the district comes back (limit 20)');
    }
  });
}

test("1:N identification never returns another district's beneficiary: not of another state's district of the same name, not of the same state's other district", async () => {
  for (const [admin, own, foreign] of [[S1_ADMIN, s1, [...s2, ...s1d2]], [S2_ADMIN, s2, [...s1, ...s1d2]]] as const) {
    const res = await h.call('POST', '/v1/identifications', await h.token(admin), { envelope: h.seal(syntheticFace(500, h.dim, 0.3, 3), admin.sub), limit: 20 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const ids: string[] = res.body.candidates.map((c: { beneficiaryId: string }) => c.beneficiaryId);
    // Only faces above the threshold come back: the shared face, enrolled in three districts, and
    // only the own district's copy of it, though the other copies match just as well.
    assert.deepEqual(ids, [own[own.length - 1]]);
    assert.ok(!ids.some((id) => foreign.includes(id)), `no beneficiary of another district (${admin.state} admin)`);
  }
});

test('1:1 verification in a state finds the template in her district partition', async () => {
  const token = await h.token(S2_WORKER);
  const id = s2[2]!;
  const res = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(syntheticFace(202, h.dim, 0.3, 5), S2_WORKER.sub) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.match, true);
});

test("a new district's first enrolment makes its partition, and a later 1:1 reads from it", async () => {
  const worker: Principal = { sub: 'worker-new', role: 'worker', awc: 'AWC-NEW-01', district: `D-new-${randomUUID().slice(0, 8)}`, state: 'S1' };
  assert.equal(await existingLeaf(h.ctx.db, 'S1', worker.district!), null, 'no partition before the first face');
  const before = await count(h.ctx.db, 'templates');
  const { id } = await enrolledBeneficiary(h, syntheticFace(700, h.dim), { worker });
  const leaf = await existingLeaf(h.ctx.db, 'S1', worker.district!);
  assert.ok(leaf, 'the first enrolment made the district its partition');
  madeHere.push(leaf);
  assert.equal(await count(h.ctx.db, leaf, 'beneficiary_id = $1', [id]), 1);
  assert.equal(await count(h.ctx.db, 'templates'), before + 1, 'one template written, in that partition');
  const res = await h.call('POST', '/v1/verifications', await h.token(worker), { beneficiaryId: id, envelope: h.seal(syntheticFace(700, h.dim, 0.3, 5), worker.sub) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.match, true);
});

test('a template for a district without a partition is refused, and nothing is written', async () => {
  const district = `D-none-${randomUUID().slice(0, 8)}`;
  const before = await count(h.ctx.db, 'templates');
  await assert.rejects(
    h.ctx.db.query(
      `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by)
       SELECT beneficiary_id, model_id, embedding, quality, liveness, $1, state, created_by FROM templates WHERE beneficiary_id = $2`,
      [district, s1[0]],
    ),
    /no partition/,
  );
  assert.equal(await count(h.ctx.db, 'templates'), before);
  assert.equal(await existingLeaf(h.ctx.db, 'S1', district), null, 'no DEFAULT partition took it, and none was made');
});

test('concurrent first enrolments in one new district all succeed, into one partition made once', async () => {
  const worker: Principal = { sub: 'worker-rush', role: 'worker', awc: 'AWC-RUSH-01', district: `D-rush-${randomUUID().slice(0, 8)}`, state: 'S2' };
  const K = 8;
  const ids: string[] = [];
  for (let i = 0; i < K; i++) ids.push((await enrolledBeneficiary(h, syntheticFace(800 + i, h.dim), { worker, enrol: false })).id);
  assert.equal(await existingLeaf(h.ctx.db, 'S2', worker.district!), null);
  const token = await h.token(worker);
  // On a server these run in parallel on the pool's connections (on PGlite, one after another).
  const results = await Promise.all(ids.map((id, i) => h.call('POST', `/v1/beneficiaries/${id}/templates`, token, { envelope: h.seal(syntheticFace(800 + i, h.dim), worker.sub) })));
  assert.deepEqual(results.map((r) => r.status), ids.map(() => 201), JSON.stringify(results.filter((r) => r.status !== 201).map((r) => r.body)));
  const leaf = await existingLeaf(h.ctx.db, 'S2', worker.district!);
  assert.ok(leaf);
  madeHere.push(leaf);
  assert.equal((await partitionsOf(h.ctx.db, await partitionOf('S2'))).filter((p) => p.bound === `FOR VALUES IN ('${worker.district}')`).length, 1);
  assert.equal(await count(h.ctx.db, leaf), K, 'every enrolment wrote its template, in the new partition');
  assert.equal(await count(h.ctx.db, 'templates', 'district = $1', [worker.district]), K);
});

test('two sessions making one new district partition at once: the one that waited finds the one made, no error', async (t) => {
  if (h.ctx.db.kind !== 'postgres') return t.skip('needs two sessions at once: a server (PGlite has one connection)');
  const district = `D-race-${randomUUID().slice(0, 8)}`;
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let signal!: () => void;
  const created = new Promise<void>((r) => (signal = r));
  // The first makes the partition and holds its transaction (and the advisory lock) open.
  const first = h.ctx.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ name: string }>('SELECT templates_ensure_partition($1, $2)::text AS name', ['S2', district]);
    signal();
    await held;
    return rows[0]!.name;
  });
  await created;
  // The second looks the name up (missing: its session's catalog cache remembers that), then waits for the lock.
  const second = h.ctx.db.query<{ name: string }>('SELECT templates_ensure_partition($1, $2)::text AS name', ['S2', district]);
  for (let i = 0; i < 200; i++) {
    const { rows } = await h.ctx.db.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
    if (Number(rows[0]!.n) > 0) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  release();
  const [a, b] = await Promise.all([first, second]);
  madeHere.push(a);
  assert.equal(b.rows[0]!.name, a, 'the second got the partition the first made');
});

test('hnsw.ef_search follows the district partition\'s size (its row estimate)', async (t) => {
  const su = (await h.ctx.db.query<{ su: string }>("SELECT current_setting('is_superuser') AS su")).rows[0]!.su;
  // The estimate is set by hand here (autovacuum would set it on a district of that size), which takes a superuser: PGlite's, not the server's test role.
  if (su !== 'on') return t.skip('pg_class.reltuples can be set only by a superuser');
  const leaf = await leafOf('S1', 'D2');
  const { rows } = await h.ctx.db.query<{ n: number }>('SELECT reltuples AS n FROM pg_class WHERE oid = $1::regclass', [leaf]);
  const original = rows[0]!.n;
  const probe = syntheticFace(300, h.dim, 0.3, 9);
  try {
    for (const [size, ef] of [[-1, 60], [25_000, 60], [25_001, 200], [100_000, 200], [100_001, 400], [2_000_000, 400]] as const) {
      await h.ctx.db.query('UPDATE pg_class SET reltuples = $2 WHERE oid = $1::regclass', [leaf, size]);
      const got = await h.ctx.db.transaction(async (tx) => {
        const found = await nearestInDistrict(tx, 'S1', 'D2', h.modelId, probe, 5);
        assert.equal(found[0]!.beneficiaryId, s1d2[0], 'the search still answers');
        return (await tx.query<{ ef: string }>("SELECT current_setting('hnsw.ef_search') AS ef")).rows[0]!.ef;
      });
      assert.equal(got, String(ef), `a district of ${size} templates is searched with ef_search ${ef}`);
    }
    // SET LOCAL: the setting ends with the transaction (40 is pgvector's default).
    assert.equal((await h.ctx.db.query<{ ef: string }>("SELECT current_setting('hnsw.ef_search') AS ef")).rows[0]!.ef, '40');
  } finally {
    await h.ctx.db.query('UPDATE pg_class SET reltuples = $2 WHERE oid = $1::regclass', [leaf, original]);
  }
});

test("if a template's district changes, the row moves to the new district's partition (and only to one that exists)", async () => {
  // No code path changes a beneficiary's district today; this is what one that did would rely on.
  const worker: Principal = { sub: 'worker-move', role: 'worker', awc: 'AWC-MOVE-01', district: `D-from-${randomUUID().slice(0, 8)}`, state: 'S1' };
  const { id } = await enrolledBeneficiary(h, syntheticFace(900, h.dim), { worker });
  const from = (await existingLeaf(h.ctx.db, 'S1', worker.district!))!;
  madeHere.push(from);
  const to = `D-to-${randomUUID().slice(0, 8)}`;
  const move = (district: string) => h.ctx.db.query('UPDATE templates SET district = $3 WHERE state = $1 AND district = $2 AND beneficiary_id = $4', ['S1', worker.district, district, id]);
  await assert.rejects(move(to), /no partition/, 'no partition for the new district yet: refused');
  assert.equal(await count(h.ctx.db, from, 'beneficiary_id = $1', [id]), 1, 'the template stayed where it was');
  const target = await leafOf('S1', to);
  madeHere.push(target);
  await move(to);
  assert.equal(await count(h.ctx.db, from, 'beneficiary_id = $1', [id]), 0);
  assert.equal(await count(h.ctx.db, target, 'beneficiary_id = $1', [id]), 1, 'moved into the new district\'s partition');
  const probe = syntheticFace(900, h.dim, 0.3, 4);
  const [atNew, atOld] = await h.ctx.db.transaction(async (tx) => [
    await scoreBeneficiaryTemplates(tx, id, { state: 'S1', district: to }, h.modelId, probe, new Date()),
    await scoreBeneficiaryTemplates(tx, id, { state: 'S1', district: worker.district! }, h.modelId, probe, new Date()),
  ]);
  assert.equal(atNew.length, 1);
  assert.ok(atNew[0]!.score > h.threshold);
  assert.equal(atOld.length, 0);
});

const MIGRATIONS = new URL('../src/db/migrations/', import.meta.url);

/** An in-memory PGlite with the migrations up to and including `last` applied, as migrate() records them. */
async function migratedUpTo(last: string): Promise<Database> {
  const db = await openPglite(undefined);
  await db.exec('CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
  for (const f of readdirSync(MIGRATIONS).filter((f) => /^\d+[a-z]?_.+\.sql$/.test(f)).sort()) {
    if (f > last) break;
    await db.exec(readFileSync(new URL(f, MIGRATIONS), 'utf8'));
    await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [f]);
  }
  return db;
}

/** A beneficiary and her template, written as a database at migration 007 held them. */
async function templateAt007(db: Database, i: number, state: string, district: string, templateDistrict = district): Promise<string> {
  const { rows: b } = await db.query<{ id: string }>(
    "INSERT INTO beneficiaries (category, name, awc, district, state, created_by) VALUES ('pregnant', 'X', 'A', $1, $2, 'w') RETURNING id",
    [district, state],
  );
  await db.query('SELECT templates_ensure_partition($1)', [state]);
  await db.query(
    `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, expires_at, captures, refresh_count, refreshed_at)
     VALUES ($1, 'm', $2, 0.9, 0.99, $3, $4, 'w', now() + interval '1 year', $5, $6, CASE WHEN $6 > 0 THEN now() END)`,
    [b[0]!.id, `[${Array.from(syntheticFace(i, 512)).join(',')}]`, templateDistrict, state, 1 + (i % 3), i % 2],
  );
  return b[0]!.id;
}

test('migration 008 keeps every row, id and column of the state-partitioned table, each in its district\'s partition', async () => {
  const db = await migratedUpTo('007_guardians_and_duplicates.sql');
  try {
    const homes = [['Maharashtra', 'Aurangabad'], ['BR', 'Aurangabad'], ['BR', 'Aurangabad'], ['BR', 'Patna'], ['Jammu & Kashmir', 'Anantnag'], ['Jammu & Kashmir', 'anantnag']] as const;
    const ids: string[] = [];
    for (const [i, [state, district]] of homes.entries()) ids.push(await templateAt007(db, i, state, district));
    const before = await db.query('SELECT * FROM templates ORDER BY id');
    const applied = await migrate(db);
    assert.deepEqual(applied.slice(0, 1), ['008_templates_subpartitioned_by_district.sql']);
    assert.deepEqual((await db.query('SELECT * FROM templates ORDER BY id')).rows, before.rows, 'every row and column survives, unchanged');
    const states = await partitionsOf(db, 'templates');
    assert.deepEqual(states.map((p) => [p.bound, p.kind, p.key]), [
      ["FOR VALUES IN ('BR')", 'p', 'LIST (district)'],
      ["FOR VALUES IN ('Jammu & Kashmir')", 'p', 'LIST (district)'],
      ["FOR VALUES IN ('Maharashtra')", 'p', 'LIST (district)'],
    ]);
    for (const [i, [state, district]] of homes.entries()) {
      const leaf = (await existingLeaf(db, state, district))!;
      assert.ok(leaf, `${state}/${district} has its partition`);
      assert.equal(await count(db, leaf, 'beneficiary_id = $1', [ids[i]]), 1, `${state}/${district}'s template is in it`);
      assert.equal(await count(db, leaf, 'state <> $1 OR district <> $2', [state, district]), 0);
      const defs = (await db.query<{ def: string }>('SELECT indexdef AS def FROM pg_indexes WHERE tablename = $1', [leaf])).rows.map((r) => r.def).join('\n');
      assert.match(defs, /USING hnsw \(embedding vector_cosine_ops\)/);
      assert.match(defs, /btree \(beneficiary_id, model_id\)/);
    }
    assert.equal((await partitionsOf(db, (await existingLeaf(db, 'BR', 'Aurangabad'))!)).length, 0, 'leaves are plain tables');
    assert.equal((await partitionsOf(db, (await db.query<{ p: string }>("SELECT templates_ensure_partition('BR')::text AS p")).rows[0]!.p)).length, 2, "BR: Aurangabad and Patna");
    const keys = await db.query<{ def: string }>("SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'templates'::regclass AND contype IN ('p', 'f') ORDER BY contype");
    assert.deepEqual(keys.rows.map((r) => r.def), ['FOREIGN KEY (beneficiary_id) REFERENCES beneficiaries(id)', 'PRIMARY KEY (id, state, district)']);
    assert.equal((await db.query("SELECT 1 FROM pg_class WHERE relname LIKE 'templates_by_state%'")).rows.length, 0, 'the old table and its partitions are gone');
    // The service's own 1:1 finds each template where it now lives.
    for (const [i, [state, district]] of homes.entries()) {
      const got = await db.transaction((tx) => scoreBeneficiaryTemplates(tx, ids[i]!, { state, district }, 'm', syntheticFace(i, 512), new Date()));
      assert.equal(got.length, 1);
      assert.ok(got[0]!.score > 0.999);
    }
    // A new state gets a state partition partitioned by district, and no row without a district partition.
    await assert.rejects(db.query("INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by) SELECT beneficiary_id, model_id, embedding, quality, liveness, 'Patna', 'KA', created_by FROM templates LIMIT 1"), /no partition/);
    await db.query("SELECT templates_ensure_partition('KA')");
    await assert.rejects(db.query("INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by) SELECT beneficiary_id, model_id, embedding, quality, liveness, 'Mysuru', 'KA', created_by FROM templates LIMIT 1"), /no partition/);
    assert.equal(await count(db, 'templates'), homes.length);
  } finally {
    await db.close();
  }
});

test("migration 008 refuses a template whose district is not its beneficiary's, and changes nothing", async () => {
  const db = await migratedUpTo('007_guardians_and_duplicates.sql');
  try {
    await templateAt007(db, 1, 'BR', 'Patna');
    await templateAt007(db, 2, 'BR', 'Patna', 'Gaya');
    await assert.rejects(migrate(db), /1 template\(s\) carry a state or district other than their beneficiary's/);
    assert.equal((await db.query("SELECT 1 FROM schema_migrations WHERE name LIKE '008%'")).rows.length, 0);
    assert.deepEqual((await partitionsOf(db, 'templates')).map((p) => [p.bound, p.kind]), [["FOR VALUES IN ('BR')", 'r']], 'still partitioned by state only');
    assert.equal(await count(db, 'templates'), 2);
  } finally {
    await db.close();
  }
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
    // 008 adds the district to the key (every partition level's key must be in it).
    assert.deepEqual(pk.rows.map((r) => r.def), ['FOREIGN KEY (beneficiary_id) REFERENCES beneficiaries(id)', 'PRIMARY KEY (id, state, district)']);
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
