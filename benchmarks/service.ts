/**
 * Throughput and latency of the FULL 1:1 verification path, over HTTP, against the service
 * started as its own process (`service/src/main.ts`, exactly what `npm start` runs) on the
 * embedded database (PGlite + pgvector) in a temporary DATA_DIR, listening on 127.0.0.1.
 *
 * Each measured request is POST /v1/verifications with a real JWT and a real sealed envelope:
 * JWT verify → scope → envelope open (libsodium) → probe checks → in one transaction: nonce claim
 * (replay check), "already distributed?" check, consent check, pgvector cosine 1:1 match,
 * verification row, distribution row, hash-chained audit entry.
 *
 * An envelope is single-use and a beneficiary gets one ration a month (a second verification is
 * refused early with 409 already_distributed, which is not the full path). So the benchmark first
 * registers, consents and enrols N beneficiaries through the API (timed: that is the enrolment
 * throughput), seals one genuine probe per beneficiary (a new noisy capture of the same synthetic
 * face), and gives every request its own beneficiary and envelope. A response counts as good only
 * if it is 200 with match: true; anything else is an error. After the run the server is stopped,
 * its database opened, and the rows counted: one verification, one distribution and one audit
 * entry per good response.
 *
 *   npm run bench:service [-- --beneficiaries 1500 --connections 8 --warmup 100 --rounds 3 --unloaded 100 --log-level info]
 * Writes benchmarks/results/service.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fromBase64, newRequestNonce, sealEnvelope, type RecipientKey } from '@chehra/sdk/envelope';
import type { Principal } from '../service/src/auth/principal.js';
import { loadOrCreateSigningKey } from '../service/src/auth/signing-key.js';
import { mintToken } from '../service/src/auth/tokens.js';
import { openPglite } from '../service/src/db/pglite.js';
import { loadModelPolicy } from '../service/src/domain/models.js';
import { AUDITOR, syntheticFace, WORKER } from '../service/test/harness.js';
import { machineInfo } from './lib/machine.js';
import { median, percentile, round } from '../testkit/stats.js';
import { api, beneficiaryBody, consentBody, log, msSince as ms, pool, processCpuMs, REPO, startService, stopChild, type ServiceProcess } from './lib/service-process.js';


const { values: args } = parseArgs({
  options: {
    beneficiaries: { type: 'string', default: '1500' },
    connections: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    /** Requests sent one at a time after the rounds: latency without queueing. */
    unloaded: { type: 'string', default: '100' },
    'setup-concurrency': { type: 'string', default: '8' },
    noise: { type: 'string', default: '0.8' },
    'log-level': { type: 'string', default: 'info' },
    'keep-data': { type: 'boolean', default: false },
  },
});
const N = Number(args.beneficiaries);
const CONNECTIONS = Number(args.connections);
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const UNLOADED = Number(args.unloaded);
const PER_ROUND = Math.floor((N - WARMUP - UNLOADED) / ROUNDS);
const SETUP_CONCURRENCY = Number(args['setup-concurrency']);
const NOISE = Number(args.noise);
const LOG_LEVEL = args['log-level']!;
if (!(PER_ROUND >= CONNECTIONS)) throw new Error(`--beneficiaries must leave at least --connections requests per round after --warmup and --unloaded`);


// ---------------------------------------------------------------- the server, as its own process
// Start/stop, CPU time and set-up helpers live in lib/service-process.ts (shared with bench:load).

type Server = ServiceProcess;
const startServer = (dataDir: string) => startService({ dataDir, logLevel: LOG_LEVEL });
const stopServer = (s: Server) => stopChild(s);
const serverCpuMs = (s: Server) => processCpuMs(s.child.pid);

// ---------------------------------------------------------------- one autocannon run

interface RunResult {
  label: string;
  requests: number;
  seconds: number;
  verificationsPerSecond: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  matched: number;
  errors: number;
  /** Server process CPU (user + system) per response: less sensitive to a busy machine than wall time. */
  serverCpuMsPerRequest: number | null;
  /** Benchmark process CPU per response (autocannon and response checks). */
  clientCpuMsPerRequest: number;
  statusCodes: Record<string, number>;
  errorCodes: Record<string, number>;
  autocannon: { p50Ms: number; p99Ms: number; errors: number; timeouts: number; non2xx: number };
}

async function cannon(server: Server, label: string, bodies: string[], token: string, connections = CONNECTIONS): Promise<RunResult> {
  let next = 0;
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  const errorCodes: Record<string, number> = {};
  let matched = 0;
  const cpu0 = serverCpuMs(server);
  const clientCpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let finished!: (err: unknown, result: autocannon.Result) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = (err, result) => (err ? reject(err) : resolve(result));
  });
  const instance = autocannon({
    url: server.base,
    connections,
    pipelining: 1,
    amount: bodies.length,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    requests: [
      {
        method: 'POST',
        path: '/v1/verifications',
        // One fresh beneficiary and one fresh envelope per request. If autocannon ever asked for more
        // than we prepared, the reused body is refused (409) and shows up as an error: never hidden.
        setupRequest: (req) => ({ ...req, body: bodies[Math.min(next++, bodies.length - 1)]! }),
        onResponse: (status, body) => {
          statusCodes[status] = (statusCodes[status] ?? 0) + 1;
          let parsed: { match?: unknown; code?: unknown } | undefined;
          try {
            parsed = JSON.parse(body);
          } catch {
            parsed = undefined;
          }
          if (status === 200 && parsed?.match === true) matched++;
          else {
            const code = `${status} ${typeof parsed?.code === 'string' ? parsed.code : parsed?.match === false ? 'no_match' : 'unparsed'}`;
            errorCodes[code] = (errorCodes[code] ?? 0) + 1;
          }
        },
      },
    ],
  }, (err, result) => finished(err, result));
  // autocannon's own histogram keeps whole milliseconds and only 2xx; keep every exact time as well.
  instance.on('response', (_client, _status, _bytes, responseTime) => latencies.push(responseTime));
  const result = await done;
  const seconds = ms(t0) / 1000;
  const cpu1 = serverCpuMs(server);
  const clientCpu = process.cpuUsage(clientCpu0);
  const completed = latencies.length;
  const errors = completed - matched + result.errors;
  return {
    label,
    requests: completed,
    seconds: round(seconds, 3),
    verificationsPerSecond: round(matched / seconds, 1),
    p50Ms: round(median(latencies), 2),
    p90Ms: round(percentile(latencies, 90), 2),
    p99Ms: round(percentile(latencies, 99), 2),
    maxMs: round(Math.max(...latencies), 2),
    matched,
    errors,
    serverCpuMsPerRequest: cpu0 === null || cpu1 === null ? null : round((cpu1 - cpu0) / completed, 2),
    clientCpuMsPerRequest: round((clientCpu.user + clientCpu.system) / 1000 / completed, 2),
    statusCodes,
    errorCodes,
    autocannon: { p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx },
  };
}

// ---------------------------------------------------------------- main

const machine = machineInfo();
const dataDir = mkdtempSync(join(tmpdir(), 'chehra-bench-'));
let server: Server | undefined;
// Interrupted runs (Ctrl-C) skip `finally`: stop the server and drop its data here too.
process.once('exit', () => {
  if (server?.child.exitCode === null) server.child.kill('SIGKILL');
  if (!args['keep-data']) rmSync(dataDir, { recursive: true, force: true });
});
try {
  log(`starting the service (node --import tsx service/src/main.ts) on embedded PGlite in ${dataDir}, LOG_LEVEL=${LOG_LEVEL}`);
  const tStart = process.hrtime.bigint();
  server = await startServer(dataDir);
  log(`listening at ${server.base} after ${round(ms(tStart) / 1000, 1)} s`);

  // The service made its keys on first start; a benchmark client mints tokens with the signing key
  // (as `npm run token` does) and fetches the envelope key from GET /v1/keys (as the SDK does).
  const { key: signingKey } = await loadOrCreateSigningKey(join(dataDir, 'keys'));
  const token = (p: Principal) => mintToken(signingKey, p, 3600);
  const workerToken = await token(WORKER);
  const keys = (await (await fetch(`${server.base}/v1/keys`)).json()) as { current: string; keys: { kid: string; publicKey: string }[] };
  const current = keys.keys.find((k) => k.kid === keys.current)!;
  const recipient: RecipientKey = { kid: current.kid, publicKey: fromBase64(current.publicKey)! };
  const [model] = [...loadModelPolicy(join(REPO, 'models/manifest.json')).embedders.values()];
  if (!model) throw new Error('no embedder in models/manifest.json');
  const seal = (embedding: Float32Array) =>
    sealEnvelope({ embedding, modelId: model.id, quality: 0.9, liveness: 0.99, capturedAt: Date.now(), requestNonce: newRequestNonce(), worker: WORKER.sub }, recipient);

  // ---- enrolment through the API: register, consent, enrol; each phase timed on its own
  const ids: string[] = new Array(N);
  const fail = (what: string, i: number, r: { status: number; body: any }) => new Error(`${what} ${i}: ${r.status} ${JSON.stringify(r.body)}`);
  log(`registering ${N} beneficiaries (concurrency ${SETUP_CONCURRENCY})`);
  const registerMs = await pool(N, SETUP_CONCURRENCY, async (i) => {
    const r = await api(server!.base, 'POST', '/v1/beneficiaries', workerToken, beneficiaryBody(i));
    if (r.status !== 201) throw fail('register', i, r);
    ids[i] = r.body.id;
  });
  log(`recording ${N} consents`);
  const consentMs = await pool(N, SETUP_CONCURRENCY, async (i) => {
    const r = await api(server!.base, 'POST', `/v1/beneficiaries/${ids[i]}/consents`, workerToken, consentBody(beneficiaryBody(i).category));
    if (r.status !== 201) throw fail('consent', i, r);
  });
  // Person i is a seed; enrolment capture and verification probe are two noisy captures of her.
  const face = (i: number, capture: number) => syntheticFace(i + 1, model.dim, NOISE, capture);
  let t0 = process.hrtime.bigint();
  const enrolBodies = Array.from({ length: N }, (_, i) => ({ envelope: seal(face(i, 1)) }));
  const sealEnrolMs = ms(t0);
  log(`enrolling ${N} templates (each: envelope open, 1:N duplicate search in the district over HNSW, insert)`);
  const enrolMs = await pool(N, SETUP_CONCURRENCY, async (i) => {
    const r = await api(server!.base, 'POST', `/v1/beneficiaries/${ids[i]}/templates`, workerToken, enrolBodies[i]);
    if (r.status !== 201) throw fail('enrol', i, r);
  });
  const enrolment = {
    through: 'HTTP API, same server process',
    concurrency: SETUP_CONCURRENCY,
    beneficiaries: N,
    registrationsPerSecond: round(N / (registerMs / 1000), 1),
    consentsPerSecond: round(N / (consentMs / 1000), 1),
    enrolmentsPerSecond: round(N / (enrolMs / 1000), 1),
    enrolSeconds: round(enrolMs / 1000, 2),
    meanEnrolMsAtConcurrency: round(enrolMs / N * SETUP_CONCURRENCY, 2),
    clientSealsPerSecond: round(N / (sealEnrolMs / 1000), 1),
  };
  log(`enrolment: ${enrolment.registrationsPerSecond} registrations/s, ${enrolment.consentsPerSecond} consents/s, ${enrolment.enrolmentsPerSecond} enrolments/s`);

  // ---- one genuine probe per beneficiary, sealed now (the capture window is 5 minutes)
  t0 = process.hrtime.bigint();
  const bodies = ids.map((id, i) => JSON.stringify({ beneficiaryId: id, envelope: seal(face(i, 2)) }));
  log(`sealed ${N} probes in ${round(ms(t0) / 1000, 1)} s (client side, tweetnacl, not measured)`);

  // ---- warm-up, then measured rounds; every request its own beneficiary
  const runs: RunResult[] = [];
  let offset = 0;
  const take = (n: number) => bodies.slice(offset, (offset += n));
  if (WARMUP > 0) {
    const w = await cannon(server, 'warm-up', take(WARMUP), workerToken);
    log(`warm-up: ${w.requests} requests, ${w.verificationsPerSecond}/s, ${w.errors} errors`);
    runs.push(w);
  }
  for (let r = 1; r <= ROUNDS; r++) {
    const res = await cannon(server, `round ${r}`, take(PER_ROUND), workerToken);
    log(`round ${r}: ${res.requests} requests in ${res.seconds} s → ${res.verificationsPerSecond} verifications/s, p50 ${res.p50Ms} ms, p99 ${res.p99Ms} ms, errors ${res.errors}`);
    runs.push(res);
  }
  const measured = runs.filter((r) => r.label.startsWith('round'));
  let unloaded: RunResult | undefined;
  if (UNLOADED > 0) {
    unloaded = await cannon(server, 'unloaded (1 conn)', take(UNLOADED), workerToken, 1);
    log(`unloaded, one request at a time: p50 ${unloaded.p50Ms} ms, p99 ${unloaded.p99Ms} ms, errors ${unloaded.errors}`);
    runs.push(unloaded);
  }

  // ---- the audit chain must still hold after concurrent appends
  const chain = await api(server.base, 'GET', '/v1/audit/verify', await token(AUDITOR));
  log(`audit chain: ${JSON.stringify(chain.body)}`);

  await stopServer(server);
  server = undefined;

  // ---- count what was written: one verification + one distribution + one audit entry per match
  const db = await openPglite(join(dataDir, 'pglite'));
  const count = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
  const written = {
    templates: await count('SELECT count(*) AS n FROM templates'),
    verificationsMatched: await count("SELECT count(*) AS n FROM verifications WHERE outcome = 'match'"),
    verificationsOther: await count("SELECT count(*) AS n FROM verifications WHERE outcome <> 'match'"),
    distributions: await count('SELECT count(*) AS n FROM distributions'),
    auditVerificationEntries: await count("SELECT count(*) AS n FROM audit_log WHERE action = 'verification.attempted'"),
    auditEntries: await count('SELECT count(*) AS n FROM audit_log'),
  };
  const scores = (await db.query<{ p5: number; p50: number }>("SELECT percentile_cont(0.05) WITHIN GROUP (ORDER BY score) AS p5, percentile_cont(0.5) WITHIN GROUP (ORDER BY score) AS p50 FROM verifications WHERE outcome = 'match'")).rows[0]!;
  await db.close();
  const totalMatched = runs.reduce((s, r) => s + r.matched, 0);
  const consistent = written.verificationsMatched === totalMatched && written.distributions === totalMatched && written.auditVerificationEntries === totalMatched + written.verificationsOther;

  const pick = (f: (r: RunResult) => number) => round(median(measured.map(f)), 2);
  const errors = measured.reduce((s, r) => s + r.errors, 0) + (unloaded?.errors ?? 0);
  const result = {
    benchmark: 'service',
    path: 'POST /v1/verifications, full 1:1: JWT, envelope open, replay check, consent, pgvector cosine match, verification + distribution + audit in one transaction',
    database: 'pglite',
    server: 'separate process: node --import tsx service/src/main.ts, 127.0.0.1, temp DATA_DIR',
    logLevel: LOG_LEVEL,
    templates: written.templates,
    embeddingDim: model.dim,
    modelId: model.id,
    verificationsPerSecond: pick((r) => r.verificationsPerSecond),
    p50Ms: pick((r) => r.p50Ms),
    p99Ms: pick((r) => r.p99Ms),
    errors,
    serverCpuMsPerVerification: pick((r) => r.serverCpuMsPerRequest ?? Number.NaN),
    summaryIs: `median over ${ROUNDS} measured rounds at ${CONNECTIONS} connections (per-round figures in rounds[]); errors summed over measured rounds and the unloaded round`,
    unloaded: unloaded ? { connections: 1, requests: unloaded.requests, p50Ms: unloaded.p50Ms, p99Ms: unloaded.p99Ms, verificationsPerSecond: unloaded.verificationsPerSecond } : null,
    settings: { connections: CONNECTIONS, pipelining: 1, requestsPerRound: PER_ROUND, rounds: ROUNDS, warmupRequests: WARMUP, unloadedRequests: UNLOADED, syntheticNoise: NOISE, matchThreshold: model.matchThreshold },
    rounds: runs,
    enrolment,
    written: { ...written, consistentWithResponses: consistent },
    genuineScores: { p5: round(Number(scores.p5), 3), p50: round(Number(scores.p50), 3) },
    auditChain: chain.body,
    machine: { ...machine, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 2) },
    notes: [
      'Client (autocannon) and server share the machine; the server is one Node process whose PGlite runs every query on its event loop thread.',
      'Latency percentiles are exact (every response time kept), not autocannon\'s whole-millisecond histogram, which is kept as rounds[].autocannon.',
      'Throughput counts only 200 responses with match: true, over the wall time of the round.',
      'Wall-clock figures depend on what else runs on the machine (machine.loadAverage1m at start and end); serverCpuMsPerVerification is the steadier figure to compare runs: the server is single-threaded, so its ceiling is about 1000 / that many verifications per second.',
    ],
  };
  mkdirSync(join(REPO, 'benchmarks/results'), { recursive: true });
  writeFileSync(join(REPO, 'benchmarks/results/service.json'), JSON.stringify(result, null, 2) + '\n');

  console.log(`\nFull 1:1 verification path on embedded PGlite — ${written.templates} templates enrolled (${model.dim}-d), ${CONNECTIONS} connections, LOG_LEVEL=${LOG_LEVEL}`);
  console.table(
    Object.fromEntries(
      runs.map((r) => [r.label, { requests: r.requests, 'verif/s': r.verificationsPerSecond, 'p50 ms': r.p50Ms, 'p90 ms': r.p90Ms, 'p99 ms': r.p99Ms, 'max ms': r.maxMs, 'server CPU ms/req': r.serverCpuMsPerRequest, errors: r.errors }]),
    ),
  );
  console.log(`median of rounds: ${result.verificationsPerSecond} verifications/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, server CPU ${result.serverCpuMsPerVerification} ms/verification, ${errors} errors`);
  console.log(`enrolment via API: ${enrolment.registrationsPerSecond} registrations/s, ${enrolment.consentsPerSecond} consents/s, ${enrolment.enrolmentsPerSecond} enrolments/s (concurrency ${SETUP_CONCURRENCY})`);
  console.log(`rows written match responses: ${consistent} (${JSON.stringify(written)}); audit chain ok: ${chain.body?.ok}`);
  console.log(`${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average at start ${machine.loadAverage1m}, at end ${result.machine.loadAverage1mAtEnd}; wrote benchmarks/results/service.json`);
  if (errors > 0 || !consistent) process.exitCode = 1;
} finally {
  if (server) await stopServer(server);
  if (!args['keep-data']) rmSync(dataDir, { recursive: true, force: true });
  else console.log(`data kept in ${dataDir}`);
}
