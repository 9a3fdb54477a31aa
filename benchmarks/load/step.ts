import { loadavg } from 'node:os';
import { openLoop, type OpenLoopResult } from '../lib/open-loop.js';
import { processCpuMs } from '../lib/service-process.js';
import { median, round } from '../../testkit/stats.js';
import { renewIfOld } from './accounts.js';
import { code, failCode, stats, takeProbes, type Ctx } from './ctx.js';
import { machineBusyMs, type DbSample } from './db-probe.js';
import { S } from './settings.js';

export interface StepResult {
  label: string;
  offeredRate: number;
  loop: OpenLoopResult;
  latency: ReturnType<typeof stats>;
  /** Time from sending to the last response byte (without the generator's own scheduling delay). */
  serviceTime: ReturnType<typeof stats>;
  errors: number;
  errorCodes: Record<string, number>;
  drift: { q2p50Ms: number; q4p50Ms: number };
  pass: boolean;
  whyNot: string[];
  serverCpuMsPerVerification: number | null;
  /** Share of one core the service process used during the step. */
  serverCpuShare: number | null;
  /** The database backends serving this database (PostgreSQL server only; PGlite runs inside the service). */
  dbCpuMsPerVerification: number | null;
  dbCpuShare: number | null;
  /** This benchmark process (the load generator, sealing envelopes beforehand is not in the step). */
  generatorCpuShare: number;
  /** Every core's busy time on the machine, and what none of the three used (other engineers' work, the kernel, WAL writer…). */
  machineBusyCores: number | null;
  otherCores: number | null;
  db?: DbSample;
  loadAverage1m: number;
}

/** One open-loop step of genuine verifications at `rate` for `seconds`, each on a fresh beneficiary. */
export async function verificationStep(c: Ctx, label: string, rate: number, seconds: number): Promise<StepResult> {
  await renewIfOld(c.http, c.people);
  const visits = Math.max(1, Math.round(rate * seconds));
  const probes = takeProbes(c, visits);
  const lat: number[] = new Array(visits).fill(Number.NaN);
  const svc: number[] = [];
  const errorCodes: Record<string, number> = {};
  await c.probe?.start();
  const cpu0 = processCpuMs(c.server.child.pid);
  const gen0 = process.cpuUsage();
  const busy0 = machineBusyMs();
  const t0 = performance.now();
  const loop = await openLoop({
    rate,
    visits,
    maxInFlight: S.maxInFlight,
    visit: async (i, scheduledAt) => {
      const p = probes[i]!;
      try {
        const r = await c.http.request('POST', '/v1/verifications', p.token, p.body);
        lat[i] = performance.now() - scheduledAt;
        svc.push(r.ms);
        c.verifications.responses++;
        let ok = false;
        if (r.status === 200) ok = JSON.parse(r.body).match === true;
        if (ok) c.verifications.matched++;
        else errorCodes[code(r.status, r.body)] = (errorCodes[code(r.status, r.body)] ?? 0) + 1;
      } catch (err) {
        lat[i] = performance.now() - scheduledAt;
        errorCodes[failCode(err)] = (errorCodes[failCode(err)] ?? 0) + 1;
      }
    },
  });
  const wallMs = performance.now() - t0;
  const cpu1 = processCpuMs(c.server.child.pid);
  const gen = process.cpuUsage(gen0);
  const busy1 = machineBusyMs();
  const db = await c.probe?.stop();
  if (loop.abandoned > 0) errorCodes['abandoned (generator in-flight cap)'] = loop.abandoned;
  const answered = lat.filter((x) => !Number.isNaN(x));
  const errors = Object.values(errorCodes).reduce((a, b) => a + b, 0);
  const q = Math.floor(visits / 4);
  const drift = { q2p50Ms: round(median(lat.slice(q, 2 * q).filter((x) => !Number.isNaN(x))), 1), q4p50Ms: round(median(lat.slice(3 * q).filter((x) => !Number.isNaN(x))), 1) };
  const latency = stats(answered);
  const whyNot: string[] = [];
  if (errors > 0) whyNot.push(`${errors} errors`);
  if (latency.p99Ms > S.sloP99Ms) whyNot.push(`p99 ${latency.p99Ms} ms > ${S.sloP99Ms} ms`);
  if (visits >= 8 && drift.q4p50Ms > 2 * drift.q2p50Ms + 50) whyNot.push(`latency grew through the step (p50 ${drift.q2p50Ms} → ${drift.q4p50Ms} ms)`);
  const n = Math.max(1, answered.length);
  const serviceMs = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  const dbMs = db?.backendCpuMs ?? null;
  const generatorMs = (gen.user + gen.system) / 1000;
  const machineMs = busy0 === null || busy1 === null ? null : busy1 - busy0;
  return {
    label,
    offeredRate: round(rate, 2),
    loop: { ...loop, seconds: round(loop.seconds, 3), achievedRate: round(loop.achievedRate, 2), schedulerLagP99Ms: round(loop.schedulerLagP99Ms, 1) },
    latency,
    serviceTime: stats(svc),
    errors,
    errorCodes,
    drift,
    pass: whyNot.length === 0,
    whyNot,
    serverCpuMsPerVerification: serviceMs === null ? null : round(serviceMs / n, 2),
    serverCpuShare: serviceMs === null ? null : round(serviceMs / wallMs, 2),
    dbCpuMsPerVerification: dbMs === null ? null : round(dbMs / n, 2),
    dbCpuShare: dbMs === null ? null : round(dbMs / wallMs, 2),
    generatorCpuShare: round(generatorMs / wallMs, 2),
    machineBusyCores: machineMs === null ? null : round(machineMs / wallMs, 2),
    otherCores: machineMs === null || serviceMs === null ? null : round((machineMs - serviceMs - (dbMs ?? 0) - generatorMs) / wallMs, 2),
    ...(db ? { db } : {}),
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
  };
}

export const describeStep = (s: StepResult) =>
  `${s.label}: offered ${s.offeredRate}/s → ${s.loop.completed}/${s.loop.scheduled} answered, p50 ${s.latency.p50Ms} ms, p99 ${s.latency.p99Ms} ms, service ${s.serverCpuShare ?? '?'} core` +
  (s.dbCpuShare !== null ? `, db ${s.dbCpuShare} core` : '') +
  `, machine busy ${s.machineBusyCores ?? '?'} cores (others ${s.otherCores ?? '?'})` +
  (s.db ? `, lock waiters ${s.db.lockWaiters.mean}/${s.db.lockWaiters.max}, commit p50 ${s.db.commitLatency.p50Ms} ms` : '') +
  `, load ${s.loadAverage1m} → ${s.pass ? 'PASS' : `FAIL (${s.whyNot.join('; ')})`}`;
