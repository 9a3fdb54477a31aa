/**
 * npm run bench:shards -- [--templates 20000] [--districts 10] [--queries 200]
 *
 * What a shard costs: the service's own 1:1 (scoreBeneficiaryTemplates) and district 1:N
 * (nearestInDistrict) repository functions, unchanged, timed three ways with the same templates:
 *  - sharded: state S1 through the coordinator, whose S1 partition is a postgres_fdw foreign table
 *    on shard1 (what the service gets in the layout of scripts/shards.sh);
 *  - direct: the same query, same state, straight on shard1's database (no hop): sharded − direct
 *    is the cost of the foreign-table hop, the same plan on the same server either side of it;
 *  - local: state S3, an ordinary partition on the coordinator's server (which other work shares).
 * Needs `eval "$(bash scripts/shards.sh)"` (SHARDS_DATABASE_URL, SHARD_DATABASE_URLS); it replaces
 * S1's and S3's templates.
 *
 * Each state gets the same n templates (synthetic unit vectors, one per beneficiary): half spread
 * over --districts small districts, half in one large district, so both of the planner's 1:N
 * plans show (a small district's rows sorted exactly; a large one's HNSW graph walked). They are
 * loaded with COPY into a bare state partition (partitioned by district, as the service's),
 * indexed after loading (a graph per district), then attached. Probes are new captures of enrolled templates; the three ways take turns probe by
 * probe, so a burst of load on this shared machine hits all alike. Writes results/shards.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { openPostgres } from '../service/src/db/postgres.js';
import { nearestInDistrict, scoreBeneficiaryTemplates } from '../service/src/db/repositories/templates.js';
import { syntheticFace } from '../service/test/harness.js';
import { machineInfo } from './lib/machine.js';
import { percentile, round } from '../testkit/stats.js';

const { values } = parseArgs({
  options: {
    templates: { type: 'string', default: '20000' },
    districts: { type: 'string', default: '10' },
    queries: { type: 'string', default: '200' },
  },
});
const N = Number(values.templates);
const D = Number(values.districts);
const Q = Number(values.queries);
const MODEL = 'bench-model';
const coordUrl = process.env.SHARDS_DATABASE_URL;
const shardUrl = process.env.SHARD_DATABASE_URLS?.split(',')[0];
if (!coordUrl || !shardUrl) {
  console.error('bench:shards needs the layout of scripts/shards.sh: eval "$(bash scripts/shards.sh)" first (sets SHARDS_DATABASE_URL, SHARD_DATABASE_URLS)');
  process.exit(2);
}
const machine = machineInfo();
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

// The same population for both states: beneficiary i, district i % D, a deterministic face.
const ids = Array.from({ length: N }, (_, i) => `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`);
const vectors = Array.from({ length: N }, (_, i) => `[${Array.from(syntheticFace(i, 512)).map((x) => x.toPrecision(7)).join(',')}]`);
const districtOf = (i: number) => (i < N / 2 ? `D${i % D}` : 'DL');
function* rows(state: string): Generator<string> {
  for (let i = 0; i < N; i++) yield `${ids[i]}\t${MODEL}\t${vectors[i]}\t0.9\t0.99\t${districtOf(i)}\t${state}\tbench\n`;
}

/**
 * Replaces a state's partition of `templates` on `url` by a bulk-loaded, then indexed, one: as the
 * service's (migration 008), partitioned by district, one partition per district with the
 * service's names, each with its own graph.
 */
async function loadState(url: string, state: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const t0 = performance.now();
    const partition = (await c.query<{ p: string }>('SELECT templates_partition_name($1) AS p', [state])).rows[0]!.p;
    await c.query(`DROP TABLE IF EXISTS ${partition}`);
    await c.query(`CREATE TABLE ${partition} (LIKE templates INCLUDING DEFAULTS) PARTITION BY LIST (district)`);
    for (const district of new Set(ids.map((_, i) => districtOf(i)))) {
      const leaf = (await c.query<{ p: string }>('SELECT templates_partition_name($1, $2) AS p', [state, district])).rows[0]!.p;
      await c.query(`CREATE TABLE ${leaf} PARTITION OF ${partition} FOR VALUES IN ('${district}')`);
    }
    await pipeline(Readable.from(rows(state)), c.query(copyStreams.from(`COPY ${partition} (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by) FROM STDIN`)));
    // The same index definitions as the partitioned parent's, so ATTACH adopts them (a graph per district).
    await c.query(`SET maintenance_work_mem = '512MB'`);
    await c.query(`CREATE INDEX ON ${partition} (beneficiary_id, model_id); CREATE INDEX ON ${partition} USING hnsw (embedding vector_cosine_ops)`);
    await c.query(`ALTER TABLE templates ATTACH PARTITION ${partition} FOR VALUES IN ('${state}'); ANALYZE ${partition}`);
    return (performance.now() - t0) / 1000;
  } finally {
    await c.end();
  }
}

const coord = await openPostgres(coordUrl, 2);
const direct = await openPostgres(shardUrl, 2);
const part = async (state: string) => (await coord.query<{ p: string }>('SELECT templates_ensure_partition($1)::text AS p', [state])).rows[0]!.p;
const remotePart = await part('S1');
const kind = (await coord.query<{ k: string }>(`SELECT relkind AS k FROM pg_class WHERE relname = $1`, [remotePart])).rows[0]!.k;
if (kind !== 'f') throw new Error(`${remotePart} is not a foreign table: run scripts/shards.sh`);
log(`loading ${N} templates into S1 on the shard and S3 on the coordinator (load average ${loadavg()[0]!.toFixed(2)})`);
const loadSeconds = { sharded: round(await loadState(shardUrl, 'S1'), 1), local: round(await loadState(coordUrl, 'S3'), 1) };
await coord.exec(`ANALYZE ${remotePart}`);

// Probes: new captures of Q enrolled people (the same people in both states).
const picks = Array.from({ length: Q }, (_, q) => (q * 7919) % N);
const probes = picks.map((i, q) => syntheticFace(i, 512, 0.3, q + 1));
const now = new Date();
const WAYS = { sharded: { db: coord, state: 'S1' }, direct: { db: direct, state: 'S1' }, local: { db: coord, state: 'S3' } } as const;
type Way = keyof typeof WAYS;
type Timing = { ms: number[]; right: number };
const timing = (): Record<Way, Timing> => ({ sharded: { ms: [], right: 0 }, direct: { ms: [], right: 0 }, local: { ms: [], right: 0 } });
const timings = { oneToOne: timing(), oneToNSmallDistrict: timing(), oneToNLargeDistrict: timing() };

async function once(way: Way, q: number) {
  const { db, state } = WAYS[way];
  const i = picks[q]!;
  let t = performance.now();
  const one = await db.transaction((tx) => scoreBeneficiaryTemplates(tx, ids[i]!, { state, district: districtOf(i) }, MODEL, probes[q]!, now));
  timings.oneToOne[way].ms.push(performance.now() - t);
  if (one[0] && one[0].score > 0.5) timings.oneToOne[way].right++;
  const t1n = timings[i < N / 2 ? 'oneToNSmallDistrict' : 'oneToNLargeDistrict'][way];
  t = performance.now();
  const many = await db.transaction((tx) => nearestInDistrict(tx, state, districtOf(i), MODEL, probes[q]!, 5));
  t1n.ms.push(performance.now() - t);
  if (many[0]?.beneficiaryId === ids[i]) t1n.right++;
}

// Plans of the 1:N as the service sends it (the vector elided); for `sharded` the shard's own plan
// of the remote SQL is not visible from here: `direct` shows the plan the shard makes for it.
const plans: Record<string, string> = {};
for (const way of Object.keys(WAYS) as Way[]) {
  for (const district of ['D0', 'DL']) {
    const { db, state } = WAYS[way];
    plans[`${way} ${district === 'DL' ? 'large' : 'small'} district`] = await db.transaction(async (tx) => {
      const captured: string[] = [];
      const ex = {
        query: async <T>(sql: string, params?: unknown[]) => {
          if (/FROM templates/.test(sql)) captured.push(...(await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (VERBOSE, COSTS OFF) ${sql}`, params)).rows.map((r) => r['QUERY PLAN']));
          return tx.query<T>(sql, params);
        },
        exec: (sql: string) => tx.exec(sql),
        vector: (e: Float32Array) => tx.vector(e),
      };
      await nearestInDistrict(ex, state, district, MODEL, probes[0]!, 5);
      return captured.filter((l) => !/^\s*Output:/.test(l)).map((l) => l.replace(/'\[[^\]]*\]'/g, "'[…]'")).join('\n');
    });
  }
}

log(`timing ${Q} probes, sharded / direct on the shard / local in turn`);
const order: Way[][] = [['sharded', 'direct', 'local'], ['direct', 'local', 'sharded'], ['local', 'sharded', 'direct']];
for (let q = 0; q < Math.min(10, Q); q++) for (const w of order[0]!) await once(w, q); // warm-up: caches, the connection to the shard
for (const t of Object.values(timings)) for (const w of Object.values(t)) (w.ms.length = 0), (w.right = 0);
for (let q = 0; q < Q; q++) for (const w of order[q % 3]!) await once(w, q);
await coord.close();
await direct.close();

const summary = (t: Timing) => ({ p50Ms: round(percentile(t.ms, 50), 3), p90Ms: round(percentile(t.ms, 90), 3), p99Ms: round(percentile(t.ms, 99), 3), rightPerson: round(t.right / t.ms.length, 3) });
const side = (k: keyof typeof timings) => {
  const [sharded, direct, local] = (['sharded', 'direct', 'local'] as const).map((w) => summary(timings[k][w]));
  return { queries: timings[k].sharded.ms.length, sharded: sharded!, direct: direct!, local: local!, hopP50Ms: round(sharded!.p50Ms - direct!.p50Ms, 3), hopRatioP50: round(sharded!.p50Ms / direct!.p50Ms, 2) };
};
const result = {
  benchmark: 'shards',
  description: "The service's 1:1 and district 1:N, unchanged, on a state sharded to another PostgreSQL server through postgres_fdw versus a state in a local partition",
  machine,
  loadAverageAtEnd: loadavg().map((x) => round(x, 2)),
  settings: { templatesPerState: N, smallDistricts: D, perSmallDistrict: Math.round(N / 2 / D), largeDistrict: N / 2, queries: Q, limit: 5, fetchSize: 'scripts/shards.sh (CHEHRA_SHARD_FETCH_SIZE, default 10)', transport: 'TCP over loopback on one machine: no network latency in these figures' },
  loadSeconds,
  oneToOne: side('oneToOne'),
  oneToNSmallDistrict: side('oneToNSmallDistrict'),
  oneToNLargeDistrict: side('oneToNLargeDistrict'),
  plans,
};
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/shards.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
for (const k of Object.keys(timings) as Array<keyof typeof timings>) {
  const r = result[k];
  log(`${k}: p50 sharded ${r.sharded.p50Ms} ms, direct on the shard ${r.direct.p50Ms} ms (hop +${r.hopP50Ms} ms, ×${r.hopRatioP50}), local ${r.local.p50Ms} ms`);
}
log(`wrote benchmarks/results/shards.json (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
