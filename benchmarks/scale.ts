/**
 * npm run bench:scale -- [--sizes 10000,100000] [--queries 200] [--configs 16:64,8:32,32:128]
 *                         [--ef 20,40,100,200] [--grid-max 10000] [--halfvec-max N] [--districts 40] [--force]
 *                         [--layout district|state] [--state-wide-ef 20,40]
 *                         [--plot-only]   (redraw results/scale-recall-by-setting.svg from results/scale.json)
 *                         [--out scale]   (results/<out>.json and <out>-recall-by-setting.svg)
 *
 * 1:N identification on pgvector at growing template counts (512-d): HNSW build time, index
 * size, bytes per template, p50/p99 query latency and recall@1 against exact search, for several
 * m / ef_construction / ef_search settings, `vector` (float32) against `halfvec` (float16)
 * storage; plus a district-filtered 1:N (the service's real query shape) with pgvector's
 * iterative index scans off / relaxed_order / strict_order.
 *
 * The table is laid out as the service's templates (--layout district, the default: migration
 * 008): partitioned by state, state S1's partition by district, one partition per district
 * (--districts of them) with its own HNSW graph; all n templates are in S1 (one state's
 * gallery), S2 is empty. The district 1:N names state and district, so it is pruned to one
 * district's graph; the state-wide 1:N (`state = $2` only) reads every district's graph and
 * merges them (a query costs about one district search per district: --state-wide-ef limits the
 * ef_search values it is measured at; default all of --ef). --layout state is the layout before
 * migration 008 (one graph for the state, a btree on district), for comparison.
 *
 * Embedded PGlite (single-threaded WASM) by default; a PostgreSQL server with pgvector when
 * DATABASE_URL is set (it creates and drops tables named scale_*; nothing else is touched).
 *
 * The embeddings. Real ones first: the SDK pipeline runs on the LFW images in
 * $CHEHRA_DATASETS/lfw-dev (default ../shared/datasets), once per run, in memory; they are never
 * written anywhere. Their genuine and impostor cosine distributions are measured. Then a synthetic
 * population is drawn from them (see benchmarks/scale/synthetic.ts for the exact recipe): each
 * synthetic identity is the real embeddings' mean plus a random Gaussian mixture of 4 real
 * identities' residuals plus an isotropic share; each capture adds a random mixture of 8 real
 * within-person deviations; the scales are fitted so the synthetic genuine and impostor means
 * equal the real ones and the spreads come closest. Both distributions are in the results.
 * The enrolled template is one capture; each query is a genuine probe, a NEW capture of an
 * enrolled identity, so "recall@1 (right person)" means the search found the right person, and
 * "recall@1 vs exact" means the index returned the same top-1 as an exact scan would have.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { datasetsRoot } from '../testkit/datasets.js';
import { machineInfo } from './lib/machine.js';
import { percentile } from '../testkit/stats.js';
import { availableBytes, binaryCopyRows, openBenchDb, vectorText, watchMemory, type BenchDb } from './scale/db.js';
import { recallLatencySvg, type Series } from './scale/plot.js';
import { embedRealFaces } from './scale/real.js';
import { mulberry32 } from '../testkit/prng.js';
import { calibrate, describe, dot, realDistributions } from './scale/synthetic.js';

const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));
const DIM = 512;
/** PGlite is 32-bit WASM and single-threaded: beyond this the build and the heap do not fit in a sane run. */
const PGLITE_MAX = 200_000;

const { values } = parseArgs({
  options: {
    sizes: { type: 'string' },
    queries: { type: 'string', default: '200' },
    configs: { type: 'string', default: '16:64,8:32,32:128' },
    ef: { type: 'string', default: '20,40,100,200' },
    'grid-max': { type: 'string', default: '10000' },
    'halfvec-max': { type: 'string' },
    districts: { type: 'string', default: '40' },
    layout: { type: 'string', default: 'district' },
    'state-wide-ef': { type: 'string' },
    force: { type: 'boolean', default: false },
    seed: { type: 'string', default: '7' },
    'plot-only': { type: 'boolean', default: false },
    out: { type: 'string', default: 'scale' },
    /** Server only. Default: sized from the largest graph and the memory available now (see below). */
    'maintenance-work-mem': { type: 'string' },
    /** Server only: parallel workers besides the leader (which builds too). 1 on a 2-core machine. */
    workers: { type: 'string', default: '1' },
  },
});
const OUT = values.out!;
const PLOT = `${OUT}-recall-by-setting.svg`;
if (values['plot-only']) {
  // Redraws the plot from the last results/scale.json, without measuring anything.
  const last = JSON.parse(await readFile(join(RESULTS, `${OUT}.json`), 'utf8'));
  await writeFile(join(RESULTS, PLOT), plot(last.results, `1:N recall@1 vs p50 latency (${last.database.kind}, ${last.machine.cores} cores)`));
  console.log(`wrote benchmarks/results/${PLOT}`);
  process.exit(0);
}
const databaseUrl = process.env.DATABASE_URL || undefined;
const sizes = (values.sizes ?? (databaseUrl ? '10000,100000,1000000' : '10000,100000')).split(',').map(Number);
const Q = Number(values.queries);
const configs = values.configs!.split(',').map((c) => {
  const [m, efc] = c.split(':').map(Number);
  return { m: m!, efConstruction: efc! };
});
const efs = values.ef!.split(',').map(Number);
/** ef_search values for the state-wide 1:N (`state = $2` only); the district 1:N is measured at every one of efs. */
const stateWideEfs = values['state-wide-ef'] ? values['state-wide-ef'].split(',').map(Number) : efs;
const gridMax = Number(values['grid-max']);
// halfvec HNSW builds are ~6× slower than vector ones in PGlite's WASM (no hardware float16), so
// by default PGlite compares the two at the smallest size only.
const halfvecMax = Number(values['halfvec-max'] ?? (databaseUrl ? Infinity : 10_000));
const districts = Number(values.districts);
if (values.layout !== 'district' && values.layout !== 'state') throw new Error(`--layout district|state, not ${values.layout}`);
/** Sub-partitioned by district, as the service's templates (migration 008); else one graph for the state. */
const byDistrict = values.layout === 'district';
const seed = Number(values.seed);
const started = performance.now();
const machine = machineInfo();

// ---- real embeddings, their distributions, and the calibrated synthetic population --------------
const real = await embedRealFaces(join(datasetsRoot(), 'lfw-dev'));
const realDist = realDistributions(real.faces);
console.log(`calibrating the synthetic population on ${real.faces.size} real identities…`);
const { population, calibration } = calibrate(real.faces, realDist, seed);
const synth = population.sample(20_000, 5);
const distributions = {
  real: { source: `lfw-dev, ${real.images - real.failed} embedded images of ${real.faces.size} people, every pair`, genuine: describe(realDist.genuine), impostor: describe(realDist.impostor) },
  synthetic: { source: '20000 fresh genuine and impostor pairs of the calibrated population', genuine: describe(synth.genuine), impostor: describe(synth.impostor) },
};
console.log(`real     genuine ${fmtDist(distributions.real.genuine)} | impostor ${fmtDist(distributions.real.impostor)}`);
console.log(`synthetic genuine ${fmtDist(distributions.synthetic.genuine)} | impostor ${fmtDist(distributions.synthetic.impostor)}`);

// ---- the database ----------------------------------------------------------------------------------
const db = await openBenchDb(databaseUrl);
const server = (await db.query<{ v: string; ext: string }>("SELECT version() AS v, (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS ext"))[0]!;
const iterative = await supportsIterativeScan(db);
// maintenance_work_mem: enough for the largest HNSW graph to be built in memory (pgvector falls back
// to a far slower on-disk build, with a NOTICE, when it no longer fits), never more than 40% of the
// memory available now (other work shares the machine). ~3 KiB a 512-d float32 element at m = 16.
// A graph is a district's (byDistrict) or the state's.
const availableAtStart = availableBytes();
const largestGraph = byDistrict ? Math.ceil(Math.max(...sizes) / districts) : Math.max(...sizes);
const maintenanceMb = values['maintenance-work-mem']
  ? Number(values['maintenance-work-mem'])
  : Math.max(512, Math.min(Math.floor((0.4 * availableAtStart) / 2 ** 20), Math.ceil((largestGraph * 3 * 1024 * 1.5) / 2 ** 20)));
if (db.kind === 'pglite') await db.exec("SET maintenance_work_mem = '512MB'");
else await db.exec(`SET maintenance_work_mem = '${maintenanceMb}MB'; SET max_parallel_maintenance_workers = ${Number(values.workers)}`);
const settings = (await db.query<{ name: string; setting: string; unit: string | null }>(
  "SELECT name, setting, unit FROM pg_settings WHERE name IN ('maintenance_work_mem', 'max_parallel_maintenance_workers', 'shared_buffers', 'work_mem') ORDER BY name",
)).map((r) => `${r.name}=${r.setting}${r.unit ?? ''}`);

const bars = new cliProgress.MultiBar({ format: '{phase} {bar} {value}/{total} | {info}', clearOnComplete: false, hideCursor: true }, cliProgress.Presets.shades_classic);
const results: unknown[] = [];
/** The size being measured, index by index, so a long run that is stopped keeps what it measured. */
let inProgress: unknown = null;
try {
  for (const n of sizes) {
    if (db.kind === 'pglite' && n > PGLITE_MAX && !values.force) {
      const reason = `not run: ${n} templates on embedded PGlite (single-threaded 32-bit WASM; a ${fmtBytes(n * 2.6e3)} float32 HNSW graph must fit in its heap and would take hours to build on one core). Run with DATABASE_URL set to a PostgreSQL server with pgvector, or --force.`;
      console.log(reason);
      results.push({ templates: n, skipped: reason });
      continue;
    }
    results.push(await runSize(n));
    inProgress = null;
    await writeReport(false); // a long run keeps what it measured so far
  }
} finally {
  bars.stop();
  await db.close();
}
await writeReport(true);

async function writeReport(complete: boolean) {
const report = {
  benchmark: 'scale',
  description: '1:N identification on pgvector: HNSW build, size, latency and recall at growing template counts',
  machine,
  complete,
  loadAverageAtEnd: loadavg().map((x) => +x.toFixed(2)),
  memoryAvailableAtStartGiB: +(availableAtStart / 2 ** 30).toFixed(1),
  database: { kind: db.kind, version: server.v, pgvector: server.ext, iterativeScanSupported: iterative, settings, notices: db.notices.slice(0, 20) },
  settings: { sizes, queriesPerSetting: Q, configs, efSearch: efs, stateWideEfSearch: stateWideEfs, fullGridUpTo: gridMax, districts, layout: values.layout, seed, limit: 5, dim: DIM },
  embeddings: {
    how:
      'real embeddings from the SDK pipeline on lfw-dev (in memory only, never stored); synthetic identity = real mean + λ·(Gaussian mixture of 4 real identity residuals, with isotropic share βid); capture = normalise(identity + γ·(Gaussian mixture of kCapture real within-person deviations, isotropic share βcapture)); λ, γ fitted to the real impostor and genuine means, βid, βcapture, kCapture to their spreads. Template = capture 1; probe = a new capture of an enrolled identity.',
    model: real.modelId,
    realImages: real.images,
    realFailed: real.failed,
    embedSeconds: +real.seconds.toFixed(1),
    sources: population.sources,
    calibration,
    distributions,
  },
  results,
  ...(inProgress ? { inProgress } : {}),
  durationSeconds: Math.round((performance.now() - started) / 1000),
};
await mkdir(RESULTS, { recursive: true });
await writeFile(join(RESULTS, `${OUT}.json`), JSON.stringify(report, null, 2) + '\n');
await writeFile(join(RESULTS, PLOT), plot(results, `1:N recall@1 vs p50 latency (${db.kind}, ${machine.cores} cores)`));
console.log(`wrote benchmarks/results/${OUT}.json and ${PLOT} in ${report.durationSeconds} s (load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
}

/** One line per (size, storage, m, ef_construction), one point per ef_search. */
function plot(rs: unknown[], title: string): string {
  type Ix = { storage: string; m: number; efConstruction: number; search: Array<{ efSearch: number; p50Ms: number; recallAt1VsExact: number }> };
  const series: Series[] = [];
  for (const r of rs as Array<{ templates: number; indexes?: Ix[] }>) {
    for (const ix of r.indexes ?? []) {
      series.push({ label: `${fmt(r.templates)} ${ix.storage} m=${ix.m} efc=${ix.efConstruction}`, points: ix.search.map((x) => ({ ef: x.efSearch, latencyMs: x.p50Ms, recall: x.recallAt1VsExact })) });
    }
  }
  return recallLatencySvg(series, title);
}

// ------------------------------------------------------------------------------------------------------

async function runSize(n: number) {
  const t0 = performance.now();
  // Templates: identity i, capture 1. Probes: capture 2 of Q identities drawn at random.
  const templates = new Float32Array(n * DIM);
  const centre = new Float32Array(DIM);
  const gen = bars.create(n, 0, { phase: `${fmt(n)}: generating`, info: 'synthetic templates' });
  for (let i = 0; i < n; i++) {
    population.identity(i, centre);
    population.capture(centre, i, 1, templates.subarray(i * DIM, (i + 1) * DIM));
    if (i % 2000 === 0) gen.update(i);
  }
  gen.update(n);
  const pick = mulberry32(seed * 31 + n);
  const queryIds = Array.from({ length: Q }, () => Math.floor(pick() * n));
  const probes = queryIds.map((id) => population.capture(population.identity(id), id, 2));
  const probeText = probes.map((p) => vectorText(p));
  const districtOf = (id: number) => id % districts;

  // Exact answers in float32, for every probe: over all templates, and within the probe's district.
  const exact = bars.create(Q, 0, { phase: `${fmt(n)}: exact search`, info: 'float32 brute force in JS' });
  const truth = probes.map((p, qi) => {
    let best = -1;
    let bestS = -2;
    let bestD = -1;
    let bestDS = -2;
    const d = districtOf(queryIds[qi]!);
    for (let i = 0; i < n; i++) {
      const s = dot(p, templates, i * DIM);
      if (s > bestS) (bestS = s), (best = i);
      if (i % districts === d && s > bestDS) (bestDS = s), (bestD = i);
    }
    exact.increment();
    return { top: best, topInDistrict: bestD };
  });
  const exactRightPerson = truth.filter((t, qi) => t.top === queryIds[qi]).length / Q;
  const exactRightPersonInDistrict = truth.filter((t, qi) => t.topInDistrict === queryIds[qi]).length / Q;

  // Load: a vector(512) table laid out as the service's templates (see the top of this file), all
  // n templates in state S1 (one state's gallery), S2 empty; then a halfvec(512) copy. Indexes are
  // built on S1's partition (so on each district's, byDistrict); queries go through the parent.
  await db.exec('DROP TABLE IF EXISTS scale_vector; DROP TABLE IF EXISTS scale_halfvec');
  await createLayout('scale_vector', `vector(${DIM})`);
  const load = bars.create(n, 0, { phase: `${fmt(n)}: loading`, info: db.copyBinary ? 'COPY binary' : 'INSERT … unnest' });
  const loadStart = performance.now();
  if (db.copyBinary) {
    await db.copyBinary('COPY scale_vector_s1 (id, district, state, embedding) FROM STDIN (FORMAT binary)', binaryCopyRows(templates, DIM, n, districtOf, 'S1', 2000, (done) => load.update(done)));
  } else {
    const batch = 1000;
    for (let s = 0; s < n; s += batch) {
      const ids: number[] = [];
      const ds: number[] = [];
      const vs: string[] = [];
      for (let i = s; i < Math.min(n, s + batch); i++) (ids.push(i), ds.push(districtOf(i)), vs.push(vectorText(templates, i * DIM, DIM)));
      // Array literals built here: the same text on PGlite and pg (PGlite does not quote array elements).
      await db.query(`INSERT INTO scale_vector_s1 (id, district, state, embedding) SELECT i, d, 'S1', e FROM unnest($1::int[], $2::int[], $3::vector[]) AS u (i, d, e)`, [`{${ids}}`, `{${ds}}`, `{${vs.map((v) => `"${v}"`).join(',')}}`]);
      load.update(Math.min(n, s + batch));
    }
  }
  const loadSeconds = (performance.now() - loadStart) / 1000;
  await createLayout('scale_halfvec', `halfvec(${DIM})`);
  await db.exec(`INSERT INTO scale_halfvec_s1 SELECT id, district, state, embedding::halfvec(${DIM}) FROM scale_vector_s1`);
  // A btree on district: how a state-wide table finds a small district's rows (before migration 008).
  if (!byDistrict) await db.exec('CREATE INDEX scale_vector_district ON scale_vector_s1 (district); CREATE INDEX scale_halfvec_district ON scale_halfvec_s1 (district)');
  await db.exec('ANALYZE scale_vector; ANALYZE scale_halfvec');
  const tableBytes = { vector: await treeBytes('scale_vector_s1', 'pg_table_size'), halfvec: await treeBytes('scale_halfvec_s1', 'pg_table_size') };

  // Exact search in the database (no index): the latency the index saves.
  const exactQ = Math.min(Q, n >= 100_000 ? 10 : 30);
  const exactDb = await timeQueries(`SELECT id FROM scale_vector WHERE state = $2 ORDER BY embedding <=> $1 LIMIT 5`, probeText.slice(0, exactQ), `${fmt(n)}: exact scan in DB`, () => ['S1']);

  const indexes: unknown[] = [];
  const grid = n <= gridMax ? configs : configs.slice(0, 1);
  for (const storage of n <= halfvecMax ? (['vector', 'halfvec'] as const) : (['vector'] as const)) {
    for (const c of storage === 'vector' ? grid : grid.slice(0, 1)) {
      const table = `scale_${storage}`;
      const ops = `${storage}_cosine_ops`;
      const built = bars.create(1, 0, { phase: `${fmt(n)}: HNSW ${storage} m=${c.m} efc=${c.efConstruction}`, info: 'building…' });
      const b0 = performance.now();
      const noticesBefore = db.notices.length;
      // A district's table is small enough that PostgreSQL would build its graph with no parallel
      // worker (min_parallel_table_scan_size counts the main heap, and the vectors are in TOAST):
      // allow one per graph, as the state-wide build has.
      if (byDistrict && db.kind === 'postgres') await db.exec('SET min_parallel_table_scan_size = 0');
      const { memory } = await watchMemory(db, () => db.exec(`CREATE INDEX scale_hnsw ON ${table}_s1 USING hnsw (embedding ${ops}) WITH (m = ${c.m}, ef_construction = ${c.efConstruction})`));
      const buildSeconds = (performance.now() - b0) / 1000;
      if (byDistrict && db.kind === 'postgres') await db.exec('RESET min_parallel_table_scan_size');
      const buildNotices = db.notices.slice(noticesBefore);
      const buildLoad = loadavg().map((x) => +x.toFixed(2));
      built.update(1, { info: `built in ${buildSeconds.toFixed(1)} s` });
      const indexBytes = await treeBytes('scale_hnsw', 'pg_relation_size');
      const cast = storage === 'halfvec' ? `::halfvec(${DIM})` : '';
      const sql = `SELECT id, embedding <=> $1${cast} AS d FROM ${table} WHERE state = $2 ORDER BY embedding <=> $1${cast} LIMIT 5`;
      const plan = JSON.stringify(await db.query(`EXPLAIN (FORMAT JSON) ${sql}`, [probeText[0], 'S1']));
      const perEf: unknown[] = [];
      for (const ef of stateWideEfs) {
        await db.exec(`SET hnsw.ef_search = ${ef}`);
        const r = await timeQueries(sql, probeText, `${fmt(n)}: ${storage} m=${c.m} efc=${c.efConstruction} ef_search=${ef}`, () => ['S1']);
        const recallVsExact = r.top1.filter((id, qi) => id === truth[qi]!.top).length / Q;
        const rightPerson = r.top1.filter((id, qi) => id === queryIds[qi]).length / Q;
        perEf.push({ efSearch: ef, p50Ms: r.p50, p99Ms: r.p99, meanMs: r.mean, recallAt1VsExact: recallVsExact, recallAt1RightPerson: rightPerson });
      }
      await db.exec('RESET hnsw.ef_search');

      // The service's query shape: nearest within one district (1/districts of the partition).
      let filtered: unknown;
      if (c === grid[0]) filtered = await districtFiltered(table, storage, probeText, queryIds, truth, districtOf);

      indexes.push({
        storage,
        m: c.m,
        efConstruction: c.efConstruction,
        buildSeconds: +buildSeconds.toFixed(2),
        buildLoadAverage: buildLoad,
        buildMemory: memory,
        buildNotices,
        indexBytes,
        indexBytesPerTemplate: Math.round(indexBytes / n),
        bytesPerTemplate: Math.round((indexBytes + tableBytes[storage]) / n),
        indexUsed: usesHnsw(plan),
        search: perEf,
        ...(filtered ? { districtFiltered: filtered } : {}),
      });
      await db.exec('DROP INDEX scale_hnsw');
      inProgress = { templates: n, layout: values.layout, loadSeconds: +loadSeconds.toFixed(1), tableBytes, exact: { recallAt1RightPerson: exactRightPerson, withinDistrictRightPerson: exactRightPersonInDistrict }, exactScanInDatabase: { queries: exactQ, p50Ms: exactDb.p50, p99Ms: exactDb.p99 }, indexes };
      await writeReport(false);
    }
  }
  await db.exec('DROP TABLE scale_vector; DROP TABLE scale_halfvec');
  return {
    templates: n,
    layout: { kind: values.layout, graphs: byDistrict ? districts : 1, templatesPerGraph: byDistrict ? Math.ceil(n / districts) : n },
    queries: Q,
    loadSeconds: +loadSeconds.toFixed(1),
    tableBytes,
    tableBytesPerTemplate: { vector: Math.round(tableBytes.vector / n), halfvec: Math.round(tableBytes.halfvec / n) },
    exact: { note: 'float32 brute force: the ceiling the embeddings set, whatever the index', recallAt1RightPerson: exactRightPerson, withinDistrictRightPerson: exactRightPersonInDistrict },
    exactScanInDatabase: { queries: exactQ, p50Ms: exactDb.p50, p99Ms: exactDb.p99 },
    indexes,
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}

/**
 * District-filtered 1:N (the service's nearestInDistrict shape: pruned to the district's own
 * partition and graph byDistrict, to the state's partition otherwise): iterative index scans
 * off, relaxed and strict at ef_search 40, then relaxed_order (what the service sets) across
 * every ef_search; once as the planner chooses (it may sort a small district's rows exactly),
 * once with the HNSW graph forced. In a district's own graph the district filter drops nothing,
 * so the iterative scan modes should agree there (the figures show whether they do).
 */
async function districtFiltered(table: string, storage: 'vector' | 'halfvec', probeText: string[], queryIds: number[], truth: Array<{ topInDistrict: number }>, districtOf: (id: number) => number) {
  const cast = storage === 'halfvec' ? `::halfvec(${DIM})` : '';
  const sql = `SELECT id, embedding <=> $1${cast} AS d FROM ${table} WHERE state = $2 AND district = $3 ORDER BY embedding <=> $1${cast} LIMIT 5`;
  const args = (qi: number) => ['S1', districtOf(queryIds[qi]!)];
  const runs = [
    ...(iterative ? ['off', 'relaxed_order', 'strict_order'] : ['off']).map((mode) => ({ mode, ef: 40 })),
    ...(iterative ? efs.filter((ef) => ef !== 40).map((ef) => ({ mode: 'relaxed_order', ef })) : []),
  ];
  const measure = async (label: string, withPlan: boolean) => {
    const out: unknown[] = [];
    for (const { mode, ef } of runs) {
      if (iterative) await db.exec(`SET hnsw.iterative_scan = ${mode}`);
      await db.exec(`SET hnsw.ef_search = ${ef}`);
      const plan = withPlan ? JSON.stringify(await db.query(`EXPLAIN (FORMAT JSON) ${sql}`, [probeText[0], ...args(0)])) : '';
      const r = await timeQueries(sql, probeText, `  ${storage} district ${label}, iterative_scan=${mode} ef_search=${ef}`, args);
      out.push({
        iterativeScan: mode,
        efSearch: ef,
        ...(withPlan ? { plan: planKind(plan, table), reads: relationsRead(plan) } : {}),
        p50Ms: r.p50,
        p99Ms: r.p99,
        meanRowsReturned: +(r.rows.reduce((a, b) => a + b, 0) / r.rows.length).toFixed(2),
        queriesWithNoRow: r.rows.filter((x) => x === 0).length,
        recallAt1VsExactInDistrict: r.top1.filter((id, qi) => id === truth[qi]!.topInDistrict).length / r.top1.length,
        recallAt1RightPerson: r.top1.filter((id, qi) => id === queryIds[qi]).length / r.top1.length,
      });
    }
    return out;
  };
  const plannersChoice = await measure("(planner's choice)", true);
  // What the HNSW graph does with the filter when the planner does walk it (as it will for a large
  // district in a large state partition): without the btree and with heap scans priced out.
  if (!byDistrict) await db.exec(`DROP INDEX ${table}_district`);
  await db.exec('SET enable_seqscan = off; SET enable_bitmapscan = off');
  const hnswForced = await measure('(HNSW forced)', false);
  await db.exec('RESET enable_seqscan; RESET enable_bitmapscan; RESET hnsw.ef_search');
  if (!byDistrict) await db.exec(`CREATE INDEX ${table}_district ON ${table}_s1 (district)`);
  if (iterative) await db.exec('RESET hnsw.iterative_scan');
  return {
    districts,
    selectivity: 1 / districts,
    note: 'top-1 taken as the smallest distance among the rows returned (relaxed_order may return them out of order)',
    plannersChoice,
    hnswForced,
  };
}

async function timeQueries(sql: string, probes: string[], phase: string, extra: (qi: number) => unknown[] = () => []) {
  const bar = bars.create(probes.length, 0, { phase, info: '' });
  // Warm-up: the first queries pay for loading the index into memory.
  for (let i = 0; i < Math.min(5, probes.length); i++) await db.query(sql, [probes[i], ...extra(i)]);
  const ms: number[] = [];
  const top1: number[] = [];
  const rows: number[] = [];
  for (let qi = 0; qi < probes.length; qi++) {
    const t = performance.now();
    const r = await db.query<{ id: number; d: number }>(sql, [probes[qi], ...extra(qi)]);
    ms.push(performance.now() - t);
    rows.push(r.length);
    top1.push(r.length ? r.reduce((a, b) => (Number(b.d) < Number(a.d) ? b : a)).id : -1);
    bar.increment(1, { info: `p50 ${percentile(ms, 50).toFixed(2)} ms` });
  }
  const r3 = (x: number) => +x.toFixed(3);
  return { p50: r3(percentile(ms, 50)), p99: r3(percentile(ms, 99)), mean: r3(ms.reduce((a, b) => a + b, 0) / ms.length), top1, rows };
}

/**
 * The benchmark's table as the service lays out templates: partitioned by state; byDistrict, S1's
 * partition by district, one partition per district (each gets its own graph when the index is
 * made on S1's partition).
 */
async function createLayout(table: string, type: string) {
  const sub = byDistrict ? ' PARTITION BY LIST (district)' : '';
  await db.exec(`CREATE TABLE ${table} (id int NOT NULL, district int NOT NULL, state text NOT NULL, embedding ${type} NOT NULL) PARTITION BY LIST (state);
    CREATE TABLE ${table}_s1 PARTITION OF ${table} FOR VALUES IN ('S1')${sub};
    CREATE TABLE ${table}_s2 PARTITION OF ${table} FOR VALUES IN ('S2')${sub}`);
  if (byDistrict) await db.exec(Array.from({ length: districts }, (_, d) => `CREATE TABLE ${table}_s1_d${d} PARTITION OF ${table}_s1 FOR VALUES IN (${d})`).join(';\n'));
}

/** Bytes of a relation and, when it is partitioned (a table or an index), of all its partitions. */
async function treeBytes(relation: string, fn: 'pg_table_size' | 'pg_relation_size'): Promise<number> {
  // pg_partition_tree has no rows for a relation outside any partition tree (the state layout's index).
  return Number((await db.query<{ b: string }>(`SELECT coalesce((SELECT sum(${fn}(relid)) FROM pg_partition_tree('${relation}') WHERE isleaf), ${fn}('${relation}')) AS b`))[0]!.b);
}

/** Does an EXPLAIN (FORMAT JSON) plan walk an HNSW graph (the state's scale_hnsw, or a district's copy of it)? */
function usesHnsw(plan: string): boolean {
  return /"Index Name":\s*"(scale_hnsw|[^"]*_embedding_idx)"/.test(plan);
}

/** The tables an EXPLAIN (FORMAT JSON) plan reads. */
function relationsRead(plan: string): string[] {
  return [...new Set([...plan.matchAll(/"Relation Name":\s*"([^"]+)"/g)].map((m) => m[1]!))].sort();
}

function planKind(plan: string, table: string): string {
  if (usesHnsw(plan)) return byDistrict ? "hnsw index scan of the district's graph" : 'hnsw index scan + filter';
  if (!byDistrict && plan.includes(`${table}_district`)) return 'btree on district + exact sort';
  if (byDistrict && plan.includes('Seq Scan')) return "exact sort of the district's rows";
  return 'other';
}

/** hnsw.iterative_scan arrived in pgvector 0.8.0. */
async function supportsIterativeScan(d: BenchDb): Promise<boolean> {
  const [v] = await d.query<{ ext: string }>("SELECT extversion AS ext FROM pg_extension WHERE extname = 'vector'");
  const [maj = 0, min = 0] = (v?.ext ?? '0.0').split('.').map(Number);
  return maj > 0 || min >= 8;
}

function fmt(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n);
}

function fmtBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(1)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

function fmtDist(d: ReturnType<typeof describe>): string {
  return `mean ${d.mean} std ${d.std} p5 ${d.percentiles.p5} p50 ${d.percentiles.p50} p99 ${d.percentiles.p99}`;
}

