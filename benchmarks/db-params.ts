/**
 * What one statement of the verification path costs, and what the probe vector's encoding and
 * prepared statements change — on embedded PGlite and on the PostgreSQL server (DATABASE_URL):
 *
 *   npm run bench:db-params [-- --n 2000 --reps 3]
 *
 * Per variant, `n` statements one after another on one connection, repeated `reps` times
 * interleaved (so drift in the shared machine's load hits every variant alike); the median rep:
 *  - `SELECT 1`: the floor of one statement (a round trip, parse, plan, execute);
 *  - the 1:1 score `1 - (embedding <=> $1::vector)` against one stored 512-d row, the probe sent as
 *    pgvector text with 17 significant digits (pgvector.toSql, what the service sent), as text with
 *    9 (enough to give back the same float32), or binary (pgvector's recv format; the pg driver
 *    sends a Buffer parameter as binary, and so does PGlite when the type's serializer returns bytes);
 *  - each of those unnamed (parsed and planned every time) or named (prepared once per connection).
 * CPU: for the server the backend's (/proc/<pid>/stat), for PGlite this process's (it runs inside).
 * Writes benchmarks/results/db-params.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import pgvector from 'pgvector';
import { syntheticFace } from '../service/test/harness.js';
import { encodeVectorBinary, encodeVectorText } from '../service/src/db/vector-param.js';
import { machineInfo } from './lib/machine.js';
import { log, processCpuMs, REPO } from './lib/service-process.js';
import { median, round } from '../testkit/stats.js';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '2000' }, reps: { type: 'string', default: '3' } } });
const N = Number(args.n);
const REPS = Number(args.reps);
const DIM = 512;
const probe = syntheticFace(7, DIM);
const SCORE = 'SELECT 1 - (embedding <=> $1::vector) AS score FROM bench_vec WHERE id = 1';

const encoders = {
  text17: (e: Float32Array) => pgvector.toSql(Array.from(e)) as string,
  text9: encodeVectorText,
  binary: encodeVectorBinary,
};
type Encoding = keyof typeof encoders;

interface Conn {
  query(sql: string, params: unknown[], name?: string): Promise<unknown>;
  cpuMs(): number | null;
}

/** JS-side cost of encoding one probe (µs), per encoder. */
function encodeCost(): Record<Encoding, number> {
  const out = {} as Record<Encoding, number>;
  for (const [k, f] of Object.entries(encoders) as [Encoding, (e: Float32Array) => unknown][]) {
    for (let i = 0; i < 200; i++) f(probe);
    const t = performance.now();
    for (let i = 0; i < N; i++) f(probe);
    out[k] = round(((performance.now() - t) / N) * 1000, 1);
  }
  return out;
}

async function measure(conn: Conn, variants: { label: string; sql: string; param?: () => unknown; name?: string }[]) {
  const runs = new Map<string, { wallUs: number[]; cpuUs: number[] }>(variants.map((v) => [v.label, { wallUs: [], cpuUs: [] }]));
  for (let rep = 0; rep < REPS; rep++) {
    for (const v of variants) {
      for (let i = 0; i < 50; i++) await conn.query(v.sql, v.param ? [v.param()] : [], v.name);
      const c0 = conn.cpuMs();
      const t0 = performance.now();
      for (let i = 0; i < N; i++) await conn.query(v.sql, v.param ? [v.param()] : [], v.name);
      const wall = performance.now() - t0;
      const c1 = conn.cpuMs();
      runs.get(v.label)!.wallUs.push((wall / N) * 1000);
      if (c0 !== null && c1 !== null) runs.get(v.label)!.cpuUs.push(((c1 - c0) / N) * 1000);
    }
  }
  return Object.fromEntries([...runs].map(([label, r]) => [label, { wallUsPerStatement: round(median(r.wallUs), 1), dbCpuUsPerStatement: r.cpuUs.length ? round(median(r.cpuUs), 1) : null, reps: r.wallUs.map((x) => round(x, 1)) }]));
}

const scoreVariants = (encodings: Encoding[], named: boolean) => [
  { label: 'SELECT 1', sql: 'SELECT 1' },
  ...encodings.flatMap((enc) => [
    { label: `score, ${enc}, unnamed`, sql: SCORE, param: () => encoders[enc](probe) },
    ...(named ? [{ label: `score, ${enc}, prepared`, sql: SCORE, param: () => encoders[enc](probe), name: `score_${enc}` }] : []),
  ]),
];
const setup = ['CREATE EXTENSION IF NOT EXISTS vector', `CREATE TABLE IF NOT EXISTS bench_vec (id int PRIMARY KEY, embedding vector(${DIM}))`];

async function onPglite() {
  const db = await PGlite.create('memory://', { extensions: { vector } });
  for (const s of setup) await db.exec(s);
  await db.query('INSERT INTO bench_vec VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [encoders.text17(probe)]);
  const cpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  // PGlite has no named statements in its API. It sends a parameter as binary when the serializer
  // for its type returns bytes (db/pglite.ts does this for vector).
  const vectorOid = (await db.query<{ oid: number }>("SELECT 'vector'::regtype::oid AS oid")).rows[0]!.oid;
  const options = { serializers: { [vectorOid]: (x: unknown) => x as string } };
  const r = await measure({ query: (sql, params) => db.query(sql, params, options), cpuMs: cpu }, scoreVariants(['text17', 'text9', 'binary'], false));
  await db.close();
  return r;
}

async function onServer(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  for (const s of setup) await client.query(s);
  await client.query('INSERT INTO bench_vec VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [encoders.text17(probe)]);
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const conn: Conn = { query: (text, values, name) => client.query(name ? { text, values, name } : { text, values }), cpuMs: () => processCpuMs(pid) };
  const r = await measure(conn, scoreVariants(['text17', 'text9', 'binary'], true));
  await client.end();
  return r;
}

const machine = machineInfo();
log(`encoding ${N}× per encoder`);
const encodeUs = encodeCost();
log(`pglite: ${N} statements × ${REPS} reps per variant`);
const pglite = await onPglite();
const url = process.env.DATABASE_URL;
let server = null;
if (url) {
  log(`server: ${N} statements × ${REPS} reps per variant`);
  server = await onServer(url);
}
const out = { benchmark: 'db-params', n: N, reps: REPS, dim: DIM, encodeUsPerProbe: encodeUs, pglite, server, machine: { ...machine, loadAverage1mAtEnd: round((await import('node:os')).loadavg()[0] ?? 0, 2) } };
writeFileSync(join(REPO, 'benchmarks/results/db-params.json'), JSON.stringify(out, null, 2) + '\n');
console.log(JSON.stringify({ encodeUs, pglite, server }, null, 2));
