import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDatabase } from '../../service/src/db/connect.js';
import type { Database } from '../../service/src/db/types.js';
import { AUDITOR } from '../../service/test/harness.js';
import { closedLoop, HttpClient } from '../lib/open-loop.js';
import { embedderPolicy, log, seedEnrolled, serviceClient, startService, stopChild, type ServiceProcess } from '../lib/service-process.js';
import { median, round } from '../../testkit/stats.js';
import { sleep, spread, takeProbes, tokenOf, type Ctx } from './ctx.js';
import { openDbProbe, type DbProbe } from './db-probe.js';
import { mixedDay, MIXED_NEEDS_SEEDED } from './mixed-day.js';
import { findMaxRate } from './search.js';
import { ADMINS, DB_LABEL, face, LEVELS, S, SUPERVISORS, WORKERS } from './settings.js';
import { describeStep, verificationStep, type StepResult } from './step.js';
import { keysDirOf, renewIfOld, seedAccounts, signInAll } from './accounts.js';

/**
 * One target, start to finish: seed, start the service, estimate, search the max sustained rate,
 * the fixed-rate runs, the mixed day, then the audit chain and the rows written against the answers.
 */
type Counts = Record<string, number>;
async function rowCounts(db: Database): Promise<Counts> {
  const q = async (sql: string) => Number((await db.query<{ n: string }>(sql)).rows[0]!.n);
  return {
    beneficiaries: await q('SELECT count(*) AS n FROM beneficiaries'),
    templates: await q('SELECT count(*) AS n FROM templates'),
    verificationsMatched: await q("SELECT count(*) AS n FROM verifications WHERE outcome = 'match'"),
    verificationsNoMatch: await q("SELECT count(*) AS n FROM verifications WHERE outcome = 'no_match'"),
    distributionsFace: await q("SELECT count(*) AS n FROM distributions WHERE method = 'face'"),
    distributionsFallback: await q("SELECT count(*) AS n FROM distributions WHERE method <> 'face'"),
    fallbackCases: await q('SELECT count(*) AS n FROM fallback_cases'),
    auditEntries: await q('SELECT count(*) AS n FROM audit_log'),
  };
}

const openDb = (dataDir: string, url: string | undefined) => connectDatabase(url ? { databaseUrl: url } : { dataDir: join(dataDir, 'pglite') });

export async function runTarget(target: string, withMixed: boolean, maxN: number) {
  let N = maxN;
  const dataDir = mkdtempSync(join(tmpdir(), `chehra-load-${target}-`));
  let probe: DbProbe | undefined;
  let server: ServiceProcess | undefined;
  let http: HttpClient | undefined;
  try {
    const url = target === 'postgres' ? process.env.DATABASE_URL : undefined;
    const model = embedderPolicy();

    // ---- 1. seed
    let db = await openDb(dataDir, url);
    const before = await rowCounts(db);
    // Embedded PGlite belongs to the service process once it runs: seed everything now. A database
    // server can be topped up after the closed-loop estimate, to what the search needs.
    if (url) N = Math.min(N, 600);
    const people = [...WORKERS, ...SUPERVISORS, ...ADMINS, AUDITOR];
    await seedAccounts(db, people, keysDirOf(dataDir));
    log(`${target}: seeding ${N} enrolled beneficiaries over ${S.states} states (${WORKERS.length} workers)`);
    const tSeed = performance.now();
    const ids = await seedEnrolled(db, N, {
      workers: WORKERS,
      face: (i) => face(model.dim, i, 1),
      modelId: model.id,
      onProgress: (d) => d % 1000 === 0 && log(`  seeded ${d}/${N} (${round((performance.now() - tSeed) / 1000, 1)} s)`),
    });
    const seedSeconds = round((performance.now() - tSeed) / 1000, 1);
    let afterSeed = await rowCounts(db);
    await db.close();
    log(`${target}: seeded in ${seedSeconds} s`);

    // ---- 2. the service
    const tStart = performance.now();
    server = await startService({ dataDir, ...(url ? { databaseUrl: url } : {}), logLevel: S.logLevel, env: { DEV_TOKENS: '', ...S.serviceEnv } }); // as in production: only signed-in sessions
    const startSeconds = round((performance.now() - tStart) / 1000, 1);
    log(`${target}: service listening at ${server.base} after ${startSeconds} s`);
    const client = await serviceClient(server);
    http = new HttpClient(server.base, 64);
    const signedIn = await signInAll(http, people);
    log(`${target}: ${people.length} people signed in with mobile + MPIN (median ${round(median(signedIn.signInMs), 1)} ms each)`);
    if (url) probe = await openDbProbe(url);
    const c: Ctx = { target, server, ...(probe ? { probe } : {}), client, http, people: signedIn, ids, cursor: 0, verifications: { responses: 0, matched: 0 } };

    // ---- 3. warm-up (JIT, caches, connections), then a closed-loop estimate with 8 in flight
    const closed = async (n: number, inFlight: number) => {
      const batch = takeProbes(c, n);
      let errors = 0;
      const r = await closedLoop(batch.length, inFlight, async (i) => {
        const p = batch[i]!;
        const res = await http!.request('POST', '/v1/verifications', p.token, p.body).catch(() => undefined);
        c.verifications.responses++;
        if (res?.status === 200 && JSON.parse(res.body).match === true) c.verifications.matched++;
        else errors++;
      });
      return { ...r, errors, requests: n, inFlight };
    };
    const warmup = await closed(80, 4);
    const estimate = await closed(120, 8);
    log(`${target}: warm-up ${round(warmup.rate, 1)}/s; closed loop at 8 in flight: ${round(estimate.rate, 1)} verifications/s, ${warmup.errors + estimate.errors} errors`);
    const reservePerUnitRate = S.reps * S.fixedSeconds * LEVELS.reduce((a, l) => a + l, 0) + (withMixed ? S.mixedSeconds * S.mixedShare * MIXED_NEEDS_SEEDED : 0) + 2;
    let toppedUp = 0;
    if (url) {
      // Enough for search steps up to 2.5 × the estimate and the runs after them; the service idles
      // meanwhile. The closed loop (8 in flight) underestimates what an open loop sustains — the
      // server passed 1.7 × its estimate when a 1.2 × top-up stopped the search before any rate
      // failed — and a search that runs out of beneficiaries reports a floor, not the maximum.
      const need = Math.min(maxN, Math.ceil(2.5 * estimate.rate * (S.maxSteps * S.stepSeconds + reservePerUnitRate)) + c.cursor) - ids.length;
      if (need > 0) {
        const tTop = performance.now();
        const topDb = await openDb(dataDir, url);
        const preTop = await rowCounts(topDb);
        ids.push(...(await seedEnrolled(topDb, need, { workers: WORKERS, face: (i) => face(model.dim, i, 1), modelId: model.id, from: ids.length })));
        const postTop = await rowCounts(topDb);
        // The written-rows check counts from the seed: add the top-up's rows (the service was idle, so they are all seeded rows).
        const base = afterSeed;
        afterSeed = Object.fromEntries(Object.keys(base).map((k) => [k, base[k]! + postTop[k]! - preTop[k]!]));
        await topDb.close();
        toppedUp = need;
        N += need;
        log(`${target}: topped up ${need} beneficiaries in ${round((performance.now() - tTop) / 1000, 1)} s (service idle)`);
      }
    }
    await sleep(500);

    // ---- 4. max sustained rate
    const search = await findMaxRate(c, estimate.rate, reservePerUnitRate);
    log(`${target}: max sustained ${search.maxSustained} verifications/s (first failing ${search.firstFailing ?? 'none'}${search.stoppedBy ? `; search stopped by ${search.stoppedBy}` : ''})`);

    // ---- 5. fixed-rate runs at 25/50/90 %
    const fixedRuns: StepResult[] = [];
    if (search.maxSustained > 0) {
      for (let rep = 1; rep <= S.reps; rep++) {
        for (const level of LEVELS) {
          const s = await verificationStep(c, `${level * 100}% rep ${rep}`, level * search.maxSustained, S.fixedSeconds);
          fixedRuns.push(s);
          log(describeStep(s));
          await sleep(300);
        }
      }
    }
    const atLevels = LEVELS.map((level) => {
      const runs = fixedRuns.filter((r) => r.label.startsWith(`${level * 100}%`));
      return {
        level,
        rate: round(level * search.maxSustained, 1),
        runs: runs.length,
        requestsPerRun: runs[0]?.loop.scheduled ?? 0,
        p50Ms: spread(runs.map((r) => r.latency.p50Ms)),
        p99Ms: spread(runs.map((r) => r.latency.p99Ms)),
        serverCpuShare: spread(runs.map((r) => r.serverCpuShare ?? Number.NaN)),
        serverCpuMsPerVerification: spread(runs.map((r) => r.serverCpuMsPerVerification ?? Number.NaN)),
        dbCpuMsPerVerification: spread(runs.map((r) => r.dbCpuMsPerVerification ?? Number.NaN)),
        lockWaitersMean: spread(runs.map((r) => r.db?.lockWaiters.mean ?? Number.NaN)),
        commitP50Ms: spread(runs.map((r) => r.db?.commitLatency.p50Ms ?? Number.NaN)),
        errors: runs.reduce((a, r) => a + r.errors, 0),
      };
    });

    // ---- 6. mixed day
    const mixed = withMixed && search.maxSustained > 0 ? await mixedDay(c, S.mixedShare * search.maxSustained, S.mixedSeconds) : null;
    if (mixed) {
      log(`${target}: mixed day: ${mixed.visits} visits, ${mixed.requests} requests in ${mixed.seconds} s, ${mixed.errors} errors`);
      for (const [op, o] of Object.entries(mixed.ops)) log(`  ${op.padEnd(42)} ${String(o.requests).padStart(5)} req  p50 ${o.p50Ms} ms  p99 ${o.p99Ms} ms  errors ${o.errors}`);
    }

    // ---- 7. audit chain, then rows
    // The auditor's full check (every link, every business row) reads the whole log: not a 10 s request.
    await renewIfOld(http, signedIn);
    const auditor = new HttpClient(server.base, 1, 600_000);
    const chain = await auditor.request('GET', '/v1/audit/verify', tokenOf(c, AUDITOR));
    auditor.close();
    const auditChain = chain.status === 200 ? { ...JSON.parse(chain.body), seconds: round(chain.ms / 1000, 1) } : { status: chain.status };
    http.close();
    http = undefined;
    await stopChild(server);
    server = undefined;
    db = await openDb(dataDir, url);
    const after = await rowCounts(db);
    await db.close();
    const delta = Object.fromEntries(Object.keys(after).map((k) => [k, after[k]! - afterSeed[k]!]));
    const seeded = Object.fromEntries(Object.keys(afterSeed).map((k) => [k, afterSeed[k]! - before[k]!]));
    const consistent =
      delta.verificationsMatched === c.verifications.matched &&
      delta.distributionsFace === c.verifications.matched &&
      delta.distributionsFallback === (mixed?.expected.fallbackDelivered ?? 0) &&
      delta.templates === (mixed?.expected.enrolled ?? 0);
    log(`${target}: rows written match responses: ${consistent} (${JSON.stringify(delta)}); audit chain ${JSON.stringify(auditChain)}`);

    const allSteps = [...search.steps, ...fixedRuns];
    return {
      target,
      database: DB_LABEL[target],
      seeded: { beneficiaries: N, toppedUpAfterEstimate: toppedUp, used: c.cursor, states: S.states, workers: WORKERS.length, seconds: seedSeconds, perSecond: round(N / seedSeconds, 1), rows: seeded },
      serviceStartSeconds: startSeconds,
      // Every request carried a signed-in session's access token: the per-request session check is in every figure.
      auth: { mode: 'signed-in sessions (mobile + MPIN), DEV_TOKENS off', people: people.length, signInMedianMs: round(median(signedIn.signInMs), 1), renewals: signedIn.renewals },
      warmup: { inFlight: warmup.inFlight, requests: warmup.requests, verificationsPerSecond: round(warmup.rate, 1), errors: warmup.errors },
      closedLoopEstimate: { inFlight: estimate.inFlight, requests: estimate.requests, verificationsPerSecond: round(estimate.rate, 1), errors: estimate.errors },
      maxSustained: { verificationsPerSecond: search.maxSustained, firstFailingRate: search.firstFailing, steps: search.steps.length, stoppedBy: search.stoppedBy },
      atLevels,
      mixedDay: mixed,
      errorsInFixedRuns: fixedRuns.reduce((a, r) => a + r.errors, 0),
      steps: allSteps,
      written: { delta, matchedResponses: c.verifications.matched, consistentWithResponses: consistent },
      auditChain,
    };
  } finally {
    http?.close();
    await stopChild(server);
    await probe?.close();
    if (!S.keepData) rmSync(dataDir, { recursive: true, force: true });
    else log(`data kept in ${dataDir}`);
  }
}
