import { readFileSync } from 'node:fs';
import pg from 'pg';
import { processCpuMs } from '../lib/service-process.js';
import { median, percentile, round } from '../../testkit/stats.js';

/**
 * What the PostgreSQL server does during a load step, measured from beside it (same machine):
 *  - the CPU its backends serving this database used (/proc/<pid>/stat of the pids that
 *    pg_stat_activity lists for the database), so CPU per verification splits into service and
 *    database; WAL writer, checkpointer and other databases' backends are not counted;
 *  - where active backends wait, sampled every 100 ms from pg_stat_activity (wait_event_type:wait_event,
 *    or "CPU" when none), and how many lock requests are not granted (pg_locks): a global lock shows
 *    as Lock:tuple / Lock:transactionid waiters;
 *  - commit latency: every 200 ms a one-row INSERT in its own transaction, the COMMIT timed (the
 *    WAL flush every writing transaction pays, under the same load).
 */
export interface DbSample {
  backendCpuMs: number | null;
  backends: number;
  samples: number;
  /** Mean and max over samples of backends waiting on a heavyweight lock, and of ungranted locks. */
  lockWaiters: { mean: number; max: number };
  locksNotGranted: { mean: number; max: number };
  /** Share of sampled non-idle backends per state and wait event, e.g. "active CPU", "active IO:WALSync". */
  waits: Record<string, number>;
  commitLatency: { n: number; p50Ms: number; p99Ms: number };
}

export interface DbProbe {
  start(): Promise<void>;
  stop(): Promise<DbSample>;
  close(): Promise<void>;
}

export async function openDbProbe(url: string): Promise<DbProbe> {
  const mon = new pg.Client({ connectionString: url, application_name: 'bench-probe' });
  const committer = new pg.Client({ connectionString: url, application_name: 'bench-probe' });
  await mon.connect();
  await committer.connect();
  await committer.query('CREATE TABLE IF NOT EXISTS bench_commit_probe (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())');
  const others = "datname = current_database() AND application_name <> 'bench-probe' AND backend_type = 'client backend'";

  const backendCpu = async () => {
    const { rows } = await mon.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE ${others}`);
    return new Map(rows.map((r) => [r.pid, processCpuMs(r.pid)]));
  };
  let cpu0 = new Map<number, number | null>();
  let timers: NodeJS.Timeout[] = [];
  let busy = { sample: false, commit: false };
  let lock: number[] = [];
  let notGranted: number[] = [];
  let waits: Record<string, number> = {};
  let sampled = 0;
  let commits: number[] = [];

  const sample = async () => {
    if (busy.sample) return;
    busy.sample = true;
    try {
      const { rows } = await mon.query<{ w: string; n: string }>(
        `SELECT state || ' ' || coalesce(wait_event_type || ':' || wait_event, 'CPU') AS w, count(*) AS n
         FROM pg_stat_activity WHERE ${others} AND state <> 'idle' GROUP BY 1`,
      );
      const ng = await mon.query<{ n: string }>(
        "SELECT count(*) AS n FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE NOT l.granted AND a.datname = current_database() AND a.application_name <> 'bench-probe'",
      );
      let waiting = 0;
      for (const r of rows) {
        waits[r.w] = (waits[r.w] ?? 0) + Number(r.n);
        sampled += Number(r.n);
        if (r.w.includes(' Lock:')) waiting += Number(r.n);
      }
      lock.push(waiting);
      notGranted.push(Number(ng.rows[0]!.n));
    } finally {
      busy.sample = false;
    }
  };
  const commit = async () => {
    if (busy.commit) return;
    busy.commit = true;
    try {
      await committer.query('BEGIN');
      await committer.query('INSERT INTO bench_commit_probe DEFAULT VALUES');
      const t = performance.now();
      await committer.query('COMMIT');
      commits.push(performance.now() - t);
    } finally {
      busy.commit = false;
    }
  };
  const meanMax = (xs: number[]) => ({ mean: round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), 2), max: xs.length ? Math.max(...xs) : 0 });

  return {
    async start() {
      lock = [];
      notGranted = [];
      waits = {};
      sampled = 0;
      commits = [];
      cpu0 = await backendCpu();
      timers = [setInterval(() => void sample().catch(() => undefined), 100), setInterval(() => void commit().catch(() => undefined), 200)];
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      while (busy.sample || busy.commit) await new Promise((r) => setTimeout(r, 10));
      const cpu1 = await backendCpu();
      let cpu: number | null = 0;
      for (const [pid, end] of cpu1) {
        if (end === null) cpu = null;
        else if (cpu !== null) cpu += end - (cpu0.get(pid) ?? 0);
      }
      return {
        backendCpuMs: cpu === null ? null : round(cpu, 1),
        backends: cpu1.size,
        samples: lock.length,
        lockWaiters: meanMax(lock),
        locksNotGranted: meanMax(notGranted),
        waits: Object.fromEntries(Object.entries(waits).sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, round(n / Math.max(1, sampled), 3)])),
        commitLatency: { n: commits.length, p50Ms: round(median(commits), 2), p99Ms: round(percentile(commits, 99), 2) },
      };
    },
    async close() {
      for (const t of timers) clearInterval(t);
      await mon.end().catch(() => undefined);
      await committer.end().catch(() => undefined);
    },
  };
}

/** Busy CPU of the whole machine so far (all cores, ms), from /proc/stat: what no process of ours used went to someone else. */
export function machineBusyMs(): number | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    const busy = f[0]! + f[1]! + f[2]! + f[5]! + f[6]! + (f[7] ?? 0);
    return (busy / 100) * 1000;
  } catch {
    return null;
  }
}
