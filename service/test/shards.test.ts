import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { Principal } from '../src/auth/principal.js';
import { getBeneficiary } from '../src/db/repositories/beneficiaries.js';
import { deleteTemplatesOf, nearestInDistrict, refreshTemplate, replaceTemplate, scoreBeneficiaryTemplates } from '../src/db/repositories/templates.js';
import type { Queryable } from '../src/db/types.js';
import { createHarness, enrolledBeneficiary, syntheticFace, type Harness } from './harness.js';

// Templates sharded by state with PostgreSQL's own means (scripts/shards.sh): on the coordinator,
// the partitions of `templates` for S1 and S2 are postgres_fdw foreign tables on two other
// servers, whose templates are partitioned by state and district as the coordinator's own are
// (migration 008); S3 gets ordinary local partitions. The service is unchanged: these tests call
// the repository's own functions and routes, and look at what the coordinator sends where, and
// at what the shard does with it.
const SKIP =
  process.env.TEST_SHARDS === '1'
    ? false
    : 'no shard servers configured: `eval "$(bash scripts/shards.sh)"` starts them and sets TEST_SHARDS=1, SHARDS_DATABASE_URL and SHARD_DATABASE_URLS';

const STATES = [
  { state: 'S1', server: 'shard1' },
  { state: 'S2', server: 'shard2' },
  { state: 'S3', server: null },
] as const;
const worker = (state: string): Principal => ({ sub: `worker-${state}`, role: 'worker', awc: `AWC-${state}`, district: 'D1', state });
const admin = (state: string): Principal => ({ sub: `admin-${state}`, role: 'district_admin', district: 'D1', state });
/** Other people's templates on each shard, so the planner sees a state's size, not a test's handful. */
const BACKGROUND = 2000;
const ENROLLED = 4;

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Remote SQL'?: string;
  'Actual Rows'?: number;
  Operation?: string;
  Plans?: PlanNode[];
}
const walk = (n: PlanNode, parent?: PlanNode): Array<PlanNode & { parent?: PlanNode }> => [{ ...n, parent }, ...(n.Plans ?? []).flatMap((c) => walk(c, n))];

/**
 * Runs EXPLAIN (VERBOSE) of every statement on templates the repository sends (ANALYZE for
 * reads; a write is explained, not run twice), then the statement itself.
 */
function explaining(db: Queryable, plans: Array<ReturnType<typeof walk>>, which: RegExp = /FROM templates/): Queryable {
  return {
    async query<T>(sql: string, params?: unknown[]) {
      if (which.test(sql)) {
        const analyze = /^\s*(SELECT|WITH)/.test(sql) ? 'ANALYZE, ' : '';
        const { rows } = await db.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (${analyze}VERBOSE, FORMAT JSON) ${sql}`, params);
        plans.push(walk(rows[0]!['QUERY PLAN'][0]!.Plan));
      }
      return db.query<T>(sql, params);
    },
    exec: (sql) => db.exec(sql),
    vector: (e) => db.vector(e),
  };
}

describe('templates sharded by state over postgres_fdw', { skip: SKIP }, () => {
  let h: Harness;
  const shards: pg.Client[] = [];
  const enrolled = new Map<string, string[]>();
  const face = (state: string, i: number) => syntheticFace(STATES.findIndex((s) => s.state === state) * 100 + i, 512);

  before(async () => {
    // The harness truncates every table of the database it is given, the foreign partitions too.
    process.env.TEST_DATABASE_URL = process.env.SHARDS_DATABASE_URL;
    h = await createHarness();
    for (const url of (process.env.SHARD_DATABASE_URLS ?? '').split(',')) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      shards.push(c);
    }
    assert.equal(shards.length, 2, 'SHARD_DATABASE_URLS names two shards');
    for (const [i, shard] of shards.entries()) {
      // Bulk-load, then build the graphs (faster than growing them row by row), then let the
      // coordinator sample the foreign partition: its plan depends on the row count.
      await shard.query("SELECT templates_ensure_partition($1, 'D' || d) FROM generate_series(1, 4) AS d", [STATES[i]!.state]);
      await shard.query('DROP INDEX templates_embedding');
      await shard.query(
        `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by)
         SELECT gen_random_uuid(), $1, e.v, 0.9, 0.99, 'D' || (g % 4 + 1), $2, 'background'
         FROM generate_series(1, $3::int) AS g, LATERAL (SELECT array_agg(random() - 0.5)::vector(512) AS v FROM generate_series(1, 512) WHERE g > 0) AS e`,
        [h.modelId, STATES[i]!.state, BACKGROUND],
      );
      await shard.query('CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops); ANALYZE templates');
    }
    for (const { state } of STATES) {
      const ids: string[] = [];
      for (let i = 0; i < ENROLLED; i++) ids.push((await enrolledBeneficiary(h, face(state, i), { worker: worker(state) })).id);
      enrolled.set(state, ids);
      await h.ctx.db.exec(`ANALYZE ${await partitionOf(state)}`);
    }
  });
  after(async () => {
    for (const c of shards) await c.end();
    await h?.close();
  });

  /** A state's partition on the coordinator: a foreign table for S1 and S2, a local partitioned table for S3. */
  async function partitionOf(state: string): Promise<string> {
    return (await h.ctx.db.query<{ name: string }>('SELECT templates_ensure_partition($1)::text AS name', [state])).rows[0]!.name;
  }

  /** A district's partition (leaf) on a shard, or on the coordinator; null when it does not exist. */
  async function leafOn(db: { query: Queryable['query'] }, state: string, district: string): Promise<string | null> {
    return (await db.query<{ name: string | null }>('SELECT to_regclass(templates_partition_name($1, $2))::text AS name', [state, district])).rows[0]!.name;
  }

  /** The relations of templates the shard's plan of a remote statement reads. */
  async function shardReads(shard: pg.Client, remoteSql: string): Promise<string[]> {
    const { rows } = await shard.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${remoteSql}`);
    return [...new Set(walk(rows[0]!['QUERY PLAN'][0]!.Plan).flatMap((n) => (n['Relation Name']?.startsWith('templates') ? [n['Relation Name']] : [])))];
  }

  test("each sharded state's partition is a foreign table on its shard, and the templates enrolled through the service are there", async () => {
    const { rows } = await h.ctx.db.query<{ name: string; server: string | null }>(
      `SELECT c.relname AS name, s.srvname AS server FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       LEFT JOIN pg_foreign_table f ON f.ftrelid = c.oid LEFT JOIN pg_foreign_server s ON s.oid = f.ftserver
       WHERE i.inhparent = 'templates'::regclass`,
    );
    for (const { state, server } of STATES) {
      const part = await partitionOf(state);
      assert.equal(rows.find((r) => r.name === part)?.server ?? null, server, `${state}: ${server ?? 'local'}`);
    }
    for (const [i, shard] of shards.entries()) {
      const own = STATES[i]!.state;
      const { rows: held } = await shard.query<{ state: string; n: string }>("SELECT state, count(*) AS n FROM templates WHERE created_by <> 'background' GROUP BY state");
      assert.deepEqual(held.map((r) => [r.state, Number(r.n)]), [[own, ENROLLED]], `shard${i + 1} holds ${own}'s enrolments and no other state's`);
    }
    const local = await h.ctx.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${await leafOn(h.ctx.db, 'S3', 'D1')}`);
    assert.equal(Number(local.rows[0]!.n), ENROLLED, "S3's district D1 has its local partition, with S3's enrolments");
    for (const [i, shard] of shards.entries()) {
      const state = STATES[i]!.state;
      assert.equal(await leafOn(h.ctx.db, state, 'D1'), null, `no local district partition for ${state}: its districts are the shard's`);
      const leaf = (await leafOn(shard, state, 'D1'))!;
      const { rows: own } = await shard.query<{ n: string }>(`SELECT count(*) AS n FROM ${leaf} WHERE created_by <> 'background'`);
      assert.equal(Number(own[0]!.n), ENROLLED, `shard${i + 1}: the enrolments are in ${state}/D1's own partition`);
    }
  });

  for (const { state, server } of STATES) {
    test(`the service's own 1:1 and district 1:N in ${state} go to ${server ?? 'no shard (a local partition)'}${server ? ', ORDER BY embedding <=> probe evaluated there, on the district\'s partition only' : ''}`, async () => {
      const ids = enrolled.get(state)!;
      const b = (await getBeneficiary(h.ctx.db, ids[1]!))!;
      const probe = syntheticFace(STATES.findIndex((s) => s.state === state) * 100 + 1, 512, 0.3, 7);
      const plans: Array<ReturnType<typeof walk>> = [];
      const { oneToOne, oneToN, contacted } = await h.ctx.db.transaction(async (tx) => {
        // This connection's links to foreign servers, closed first: afterwards they say which servers were asked.
        await tx.query('SELECT postgres_fdw_disconnect_all()');
        const ex = explaining(tx, plans);
        const oneToOne = await scoreBeneficiaryTemplates(ex, b.id, b, h.modelId, probe, new Date());
        const oneToN = await nearestInDistrict(ex, b.state, b.district, h.modelId, probe, 5);
        const { rows } = await tx.query<{ server_name: string }>('SELECT server_name FROM postgres_fdw_get_connections() ORDER BY 1');
        return { oneToOne, oneToN, contacted: rows.map((r) => r.server_name) };
      });
      assert.deepEqual(contacted, server ? [server] : [], `the only server asked is ${server ?? 'none'}`);
      assert.equal(plans.length, 2);
      // On the coordinator: the foreign state partition (the shard prunes further), or S3's own district partition.
      const own = server ? await partitionOf(state) : (await leafOn(h.ctx.db, state, b.district))!;
      const shard = server ? shards[STATES.findIndex((s) => s.state === state)]! : null;
      for (const [i, plan] of plans.entries()) {
        const what = `${i === 0 ? '1:1' : '1:N'} in ${state}`;
        const scans = plan.filter((n) => n['Relation Name']?.startsWith('templates'));
        assert.deepEqual([...new Set(scans.map((n) => n['Relation Name']))], [own], `${what}: only ${own} in the plan`);
        const foreign = plan.filter((n) => n['Node Type'] === 'Foreign Scan');
        if (!server) {
          assert.equal(foreign.length, 0, `${what}: no foreign scan for a local state`);
          continue;
        }
        assert.equal(foreign.length, 1, `${what}: one foreign scan`);
        const remote = foreign[0]!['Remote SQL']!;
        assert.match(remote, new RegExp(`\\(state = '${state}'\\)`), `${what}: the state filter is sent to the shard`);
        assert.match(remote, /\(district = 'D1'\)/, `${what}: the district filter is sent`);
        // The shard prunes what it is sent to the district's own partition (and graph).
        const leaf = (await leafOn(shard!, state, 'D1'))!;
        assert.deepEqual(await shardReads(shard!, remote), [leaf], `${what}: on the shard, only ${leaf} is read`);
        if (i === 0) {
          assert.match(remote, /\(beneficiary_id = '[0-9a-f-]{36}'(::uuid)?\)/, '1:1: the beneficiary filter is sent');
        } else {
          assert.match(remote, /\(model_id = '[^']+'\)/, '1:N: the model filter is sent');
          // (assert.ok, not match: a failure message must not print the probe's embedding)
          assert.ok(/ORDER BY \(embedding OPERATOR\(public\.<=>\) '\[[^\]]+\]'\) ASC NULLS LAST$/.test(remote), `1:N: the vector ordering is sent (${remote.replace(/\[[^\]]+\]/g, '[…]')})`);
          // No LIMIT in the remote SQL (PostgreSQL 15 does not push one through a partitioned
          // table): the Limit right above the scan stops reading after `limit` rows, and the
          // shard's scan stops with the cursor's first FETCH (fetch_size, set by scripts/shards.sh).
          assert.equal(foreign[0]!.parent?.['Node Type'], 'Limit', '1:N: the LIMIT is applied directly on the ordered remote rows');
          assert.equal(foreign[0]!['Actual Rows'], 5, '1:N: only the limit is read from the shard');
          assert.ok(!plan.some((n) => n['Node Type'] === 'Sort' && n.parent?.['Node Type'] === 'Limit'), '1:N: no sort of the district on the coordinator');
        }
      }
      assert.ok(oneToOne[0]!.score > h.threshold, '1:1: the genuine probe matches her own template');
      assert.equal(oneToN[0]!.beneficiaryId, b.id, '1:N: the nearest face in the district is hers');
      assert.ok(oneToN[0]!.score > h.threshold && oneToN.slice(1).every((c) => c.score < h.threshold), '1:N: only she matches');
    });
  }

  test("a first enrolment in a new district of a sharded state has the shard make that district's partition, and none is made here", async () => {
    const w: Principal = { sub: 'worker-S1-new', role: 'worker', awc: 'AWC-S1-NEW', district: `D-new-${randomUUID().slice(0, 8)}`, state: 'S1' };
    const shard = shards[0]!;
    assert.equal(await leafOn(shard, 'S1', w.district!), null);
    const { id } = await enrolledBeneficiary(h, face('S1', 50), { worker: w });
    const leaf = await leafOn(shard, 'S1', w.district!);
    assert.ok(leaf, 'the shard made the district its partition');
    assert.deepEqual((await shard.query(`SELECT beneficiary_id AS id FROM ${leaf}`)).rows, [{ id }], 'her template is in it, alone');
    assert.equal(await leafOn(h.ctx.db, 'S1', w.district!), null, 'nothing local for a sharded state');
    const v = await h.call('POST', '/v1/verifications', await h.token(w), { beneficiaryId: id, envelope: h.seal(syntheticFace(50, 512, 0.3, 5), w.sub) });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.match, true);
  });

  test("statements that change a sharded state's templates are sent to the shard whole, never row by row by ctid", async () => {
    // Row by row, postgres_fdw would fetch rows and then update `WHERE ctid = $1` on the shard's
    // templates, which is partitioned: that ctid names a row in every district's partition
    // (scripts/shards/shard.sql).
    const b = (await getBeneficiary(h.ctx.db, enrolled.get('S1')![2]!))!;
    const shard = shards[0]!;
    const before = (await shard.query('SELECT id, embedding::text AS e, refresh_count AS n FROM templates WHERE beneficiary_id = $1', [b.id])).rows;
    assert.equal(before.length, 1);
    const plans: Array<ReturnType<typeof walk>> = [];
    const later = new Date(Date.now() + 40 * 86_400_000);
    await assert.rejects(
      h.ctx.db.transaction(async (tx) => {
        const ex = explaining(tx, plans, /^\s*(UPDATE|DELETE)\b/);
        const refreshed = await refreshTemplate(ex, { beneficiaryId: b.id, home: b, modelId: h.modelId, probe: face('S1', 2), weight: 0.2, quality: 1, now: later, minDays: 30, maxRefreshes: 24 });
        assert.ok(refreshed, 'the refresh updated her template (on the shard)');
        const replaced = await replaceTemplate(ex, { beneficiaryId: b.id, modelId: h.modelId, embedding: face('S1', 2), quality: 0.9, liveness: 0.99, district: b.district, state: b.state, createdBy: 'test', expiresAt: later });
        assert.equal(replaced.replaced, 1);
        assert.equal(await deleteTemplatesOf(ex, b.id), 1, 'withdrawal deletes the one template, wherever it is');
        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.equal(plans.length, 3, 'the refresh, the re-enrolment delete, the withdrawal delete');
    for (const [i, plan] of plans.entries()) {
      const what = ['refresh', 're-enrolment delete', 'withdrawal delete'][i];
      const remote = plan.flatMap((n) => (n['Remote SQL'] ? [n['Remote SQL']] : []));
      assert.ok(remote.some((r) => /^(UPDATE|DELETE FROM) public\.templates /.test(r) && !/ctid/.test(r)), `${what}: one statement sent to the shard (${remote.map((r) => r.replace(/'\[[^\]]*\]'/g, "'[…]'").slice(0, 160)).join(' | ')})`);
      assert.ok(!remote.some((r) => /FOR UPDATE|ctid/.test(r)), `${what}: no rows fetched to be changed by ctid`);
    }
    assert.deepEqual((await shard.query('SELECT id, embedding::text AS e, refresh_count AS n FROM templates WHERE beneficiary_id = $1', [b.id])).rows, before, 'rolled back on the shard too');
  });

  test('through the routes: verification and identification in a sharded state answer from the shard', async () => {
    const [id] = enrolled.get('S2')!;
    const token = await h.token(worker('S2'));
    const v = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(syntheticFace(100, 512, 0.3, 5), worker('S2').sub) });
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.match, true);
    const res = await h.call('POST', '/v1/identifications', await h.token(admin('S2')), { envelope: h.seal(syntheticFace(100, 512, 0.3, 6), admin('S2').sub), limit: 5 });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // 1:N answers only the faces above the threshold (issue 10): hers, none of the other four.
    assert.deepEqual(res.body.candidates, [{ beneficiaryId: id }]);
    // Another state's worker cannot verify her.
    const other = await h.call('POST', '/v1/verifications', await h.token(worker('S1')), { beneficiaryId: id, envelope: h.seal(syntheticFace(100, 512, 0.3, 8), worker('S1').sub) });
    assert.notEqual(other.status, 200);
  });
});
