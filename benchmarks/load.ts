/**
 * The service under load: full 1:1 verifications over HTTP against the service started as its own
 * process (service/src/main.ts), from an open-loop load generator in this (separate) process.
 *
 *   npm run bench:load [-- --targets pglite,postgres --step-seconds 5 --fixed-seconds 5 --reps 3 --mixed-seconds 40
 *                         --service-env DATABASE_POOL_MAX=20 --out benchmarks/results/load.json]
 *
 * Targets: `pglite` — embedded PGlite in a temporary DATA_DIR (what `npm start` does on a bare
 * machine); `postgres` — the server in DATABASE_URL (the default second target when DATABASE_URL
 * is set; `eval "$(bash scripts/postgres-server.sh)"` gives BENCH_DATABASE_URL). It must be a
 * scratch database: the benchmark writes thousands of beneficiaries into it (row checks use
 * before/after deltas). On the server, load/db-probe.ts also samples lock waits, wait events,
 * commit latency and the database backends' CPU during every step.
 *
 * Modules: load/settings.ts (arguments, population), load/target.ts (one target), load/step.ts
 * (one open-loop step), load/search.ts (max sustained rate), load/mixed-day.ts, load/db-probe.ts.
 *
 * Per target:
 *  1. Seed beneficiaries (registered, consented, enrolled) spread over --states states with the
 *     service's own repository functions (see lib/service-process.ts seedEnrolled for why not HTTP).
 *  2. Start the service; mint real JWTs with its signing key; fetch its envelope key.
 *  3. Warm-up and a first capacity estimate X: closed loop, 8 in flight.
 *  4. Max sustained rate: fixed-duration open-loop steps at offered rates around X — first a
 *     bracket (0.8·X, then ×1.5 up while passing or ×0.7 down while failing), then bisection.
 *     (Steps are also capped by the seeded beneficiaries left: each verification needs a fresh one.)
 *     A step PASSES when every verification is answered 200 with match: true (zero errors, none
 *     abandoned), p99 (from the scheduled arrival) ≤ --slo-p99-ms, and latency does not drift
 *     (median of the last quarter of arrivals ≤ 2 × median of the second quarter + 50 ms: a
 *     queue that grows through the step means the server is not keeping up, even if the step is
 *     too short for p99 to reach the SLO). Max sustained = the highest offered rate that passed.
 *  5. Fixed-rate runs at 25%, 50% and 90% of it, --reps times, interleaved (25, 50, 90, 25, …)
 *     so drift in the machine's load hits every level alike: p50/p99 per run, median and range.
 *  6. Mixed day (first target by default): visits at --mixed-share × max rate — genuine
 *     verifications, impostor verifications that fail and go to fallback (case → OTP sent → a
 *     wrong code → supervisor attestation delivers), declared fallbacks (camera fault →
 *     attestation), new enrolments (register → consent → enrol with a 1:N duplicate search), admin
 *     reads (review queue, exclusion metrics). Per-operation p50/p99 and errors.
 *  7. The audit chain is verified over HTTP; the server stopped; rows counted against responses.
 *
 * Every verification has its own beneficiary (one ration a month: a repeat is refused early with
 * 409, which is not the full path) and its own envelope, sealed just before its step (the service
 * refuses captures older than 5 minutes). Writes benchmarks/results/load.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { machineInfo } from './lib/machine.js';
import { embedderPolicy, REPO } from './lib/service-process.js';
import { round } from '../testkit/stats.js';
import { beneficiariesFor, LEVELS, S, TARGETS } from './load/settings.js';
import { runTarget } from './load/target.js';

const machine = machineInfo();
const t0 = performance.now();
const results: Awaited<ReturnType<typeof runTarget>>[] = [];
for (const [k, target] of TARGETS.entries()) {
  const withMixed = S.mixed === 'all' || (S.mixed === 'first' && k === 0);
  results.push(await runTarget(target, withMixed, beneficiariesFor(target)));
}
const totalSeconds = round((performance.now() - t0) / 1000, 1);
const OUT = resolve(REPO, S.out);
// --merge: the targets measured before (each result carries its own steps, load averages and times).
const kept = S.merge && existsSync(OUT) ? (JSON.parse(readFileSync(OUT, 'utf8')).results ?? []).filter((r: { target: string }) => !TARGETS.includes(r.target)) : [];
const model = embedderPolicy();
const out = {
  benchmark: 'load',
  path: 'POST /v1/verifications, full 1:1 over HTTP: JWT verify, scope, envelope open, replay check, consent, pgvector cosine 1:1, verification + distribution + audit entry in one transaction (the entry is chained by the sealer within a second)',
  generator: 'open loop (lib/open-loop.ts) in the benchmark process: visits arrive every 1/rate s, latency from the scheduled arrival; node:http keep-alive, ≤ 64 sockets',
  server: 'separate process: node --import tsx service/src/main.ts on 127.0.0.1, temp DATA_DIR',
  method: {
    maxSustained: `Closed-loop warm-up (160 verifications, 8 in flight) gives an estimate X. Open-loop steps of ${S.stepSeconds} s each: first 0.8·X, then ×1.5 up while passing (×0.7 down while failing), then ${S.bisect} bisection steps; at most ${S.maxSteps} steps, and no step the seeded beneficiaries cannot pay for together with the fixed-rate runs and mixed day after it (each verification needs a fresh beneficiary). A step passes with zero errors (every answer 200 with match: true, none abandoned), p99 ≤ ${S.sloP99Ms} ms from the scheduled arrival, and no growing queue (p50 of the last quarter of arrivals ≤ 2 × p50 of the second quarter + 50 ms). Max sustained = highest passing offered rate; its resolution is the gap to the lowest failing rate.`,
    levels: `${S.reps} runs of ${S.fixedSeconds} s at each of ${LEVELS.map((l) => `${l * 100}`).join('/')} % of the max sustained rate, interleaved; figures are the median run with the range over runs.`,
    mixedDay: `visits at ${S.mixedShare} × max sustained rate for ${S.mixedSeconds} s; per-operation latency is send → last byte of that request.`,
    cpu: 'per step: the service process (/proc/<pid>/stat), the database backends serving this database (PostgreSQL server only), this generator process (process.cpuUsage), and the whole machine (/proc/stat); "others" is the machine minus those three — other engineers\' work on this shared machine, the kernel, PostgreSQL\'s WAL writer and checkpointer.',
  },
  modelId: model.id,
  embeddingDim: model.dim,
  logLevel: S.logLevel,
  settings: { targets: TARGETS, ...S },
  results: [...kept, ...results],
  ...(kept.length ? { mergedFromEarlierRun: kept.map((r: { target: string }) => r.target) } : {}),
  totalSeconds,
  machine: { ...machine, loadAverage1mAtEnd: round(loadavg()[0] ?? 0, 2) },
  notes: [
    'Generator, service and database share this machine (2 cores, used by other engineers at the same time): figures are wall-clock and move with the load average recorded per step.',
    'The service is one Node process; embedded PGlite runs every query on its event-loop thread, so its ceiling is one core.',
    'Beneficiaries are seeded with the service repository functions (same SQL as the routes) because HTTP enrolment is the slowest operation here; the mixed day measures enrolment over HTTP.',
  ],
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');

console.log('\nService under load — open loop, full 1:1 verifications');
console.table(
  Object.fromEntries(
    results.flatMap((r) => [
      [`${r.target} max sustained`, { 'verif/s': r.maxSustained.verificationsPerSecond, 'p50 ms': '', 'p99 ms': '', errors: '' }],
      ...r.atLevels.map((l) => [`${r.target} @${l.level * 100}% (${l.rate}/s)`, { 'verif/s': l.rate, 'p50 ms': `${l.p50Ms.median} [${l.p50Ms.min}–${l.p50Ms.max}]`, 'p99 ms': `${l.p99Ms.median} [${l.p99Ms.min}–${l.p99Ms.max}]`, errors: l.errors }]),
    ]),
  ),
);
console.log(`${machine.cpuModel}, ${machine.cores} cores, node ${machine.node}, load average ${machine.loadAverage1m} → ${out.machine.loadAverage1mAtEnd}; ${totalSeconds} s in all; wrote ${OUT}`);
// A refusal (4xx) is never a matter of capacity: the benchmark asked for something the service
// will not do, or the service broke. Either way the figures above measure the wrong thing.
const refusals = (r: (typeof results)[number]) =>
  r.warmup.errors + r.closedLoopEstimate.errors + r.steps.flatMap((s) => Object.entries(s.errorCodes)).filter(([c]) => /^4\d\d /.test(c) && !c.startsWith('429')).reduce((a, [, n]) => a + n, 0);
const problems = results.flatMap((r) => [
  ...(!r.written.consistentWithResponses ? [`${r.target}: rows written do not match the responses`] : []),
  ...(r.errorsInFixedRuns > 0 ? [`${r.target}: ${r.errorsInFixedRuns} errors at the fixed rates`] : []),
  ...((r.mixedDay?.errors ?? 0) > 0 ? [`${r.target}: ${r.mixedDay?.errors} errors in the mixed day`] : []),
  ...(r.auditChain?.ok !== true ? [`${r.target}: the audit chain does not verify`] : []),
  ...(refusals(r) > 0 ? [`${r.target}: ${refusals(r)} verifications refused or not matched (see errorCodes in ${OUT})`] : []),
  ...(r.maxSustained.verificationsPerSecond === 0 ? [`${r.target}: no rate passed`] : []),
]);
for (const p of problems) console.error(`FAILED: ${p}`);
if (problems.length > 0) process.exitCode = 1;
