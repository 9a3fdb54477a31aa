/**
 * An open-loop load generator: visits ARRIVE on a fixed schedule (visit i at t0 + i / rate),
 * whether or not earlier ones have been answered, as workers at many Anganwadi centres would.
 * Latency is measured from the scheduled arrival, so a server that falls behind shows it as
 * latency rather than as a quietly lower request rate (no coordinated omission).
 *
 * Why not autocannon's `overallRate`: autocannon splits the rate into a per-connection quota
 * per second and each connection sends its quota back to back when its 1-second ticker resets
 * (autocannon 9, lib/httpClient.js), so "25/s over 25 connections" is a burst of 25 concurrent
 * requests once a second — a queueing pattern that inflates p99 at low rates — and it measures
 * latency from the actual send. autocannon stays in benchmarks/service.ts for closed-loop runs.
 *
 * HTTP/1.1 keep-alive over node:http with a bounded socket pool; every response body is read
 * and checked by the caller; a request that has no answer in `timeoutMs` is an error.
 */
import http from 'node:http';
import { percentileOfSorted } from '../../testkit/stats.js';

export interface HttpResult {
  status: number;
  body: string;
  /** From the moment the request was handed to node:http to the last byte of the body. */
  ms: number;
}

export class HttpClient {
  readonly agent: http.Agent;
  constructor(
    readonly base: string,
    maxSockets = 64,
    readonly timeoutMs = 10_000,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  request(method: string, path: string, token: string | undefined, body?: string): Promise<HttpResult> {
    const url = new URL(path, this.base);
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    const t0 = performance.now();
    return new Promise((resolve, reject) => {
      const req = http.request({ agent: this.agent, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method, headers, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Per-operation latencies and outcomes. */
export class OpRecorder {
  readonly ops = new Map<string, { latencies: number[]; ok: number; errors: Record<string, number> }>();

  private op(name: string) {
    let o = this.ops.get(name);
    if (!o) this.ops.set(name, (o = { latencies: [], ok: 0, errors: {} }));
    return o;
  }

  /** error: null when the response was the expected one, else a short code ("500 internal", "timeout"). */
  record(name: string, ms: number, error: string | null): void {
    const o = this.op(name);
    o.latencies.push(ms);
    if (error === null) o.ok++;
    else o.errors[error] = (o.errors[error] ?? 0) + 1;
  }

  errorCount(): number {
    let n = 0;
    for (const o of this.ops.values()) for (const v of Object.values(o.errors)) n += v;
    return n;
  }
}

export interface OpenLoopOptions {
  /** Visits per second. */
  rate: number;
  /** How many visits (rate × duration). */
  visits: number;
  /** More visits than this unanswered at once and the run stops scheduling: the server is not keeping up. */
  maxInFlight: number;
  /** One visit: its own requests, in order; `scheduledAt` is performance.now() time of its arrival. */
  visit: (i: number, scheduledAt: number) => Promise<void>;
  onProgress?: (started: number, done: number, inFlight: number) => void;
}

export interface OpenLoopResult {
  offeredRate: number;
  scheduled: number;
  started: number;
  completed: number;
  /** Visits never started because maxInFlight was reached. */
  abandoned: number;
  /** From the first arrival to the last completion. */
  seconds: number;
  /** completed / seconds. */
  achievedRate: number;
  maxInFlight: number;
  /** How late the scheduler started visits (event-loop lag of the generator): p99, ms. */
  schedulerLagP99Ms: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const interval = 1000 / o.rate;
  const t0 = performance.now();
  let started = 0;
  let done = 0;
  let inFlight = 0;
  let peak = 0;
  let abandoned = 0;
  const lags: number[] = [];
  const running: Promise<void>[] = [];
  let lastProgress = 0;
  while (started + abandoned < o.visits) {
    const due = t0 + (started + abandoned) * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    // Start every visit that is due (after a late wake-up there may be several).
    const now = performance.now();
    while (started + abandoned < o.visits && t0 + (started + abandoned) * interval <= now) {
      const i = started + abandoned;
      const scheduledAt = t0 + i * interval;
      if (inFlight >= o.maxInFlight) {
        abandoned = o.visits - started; // the server is not keeping up: stop adding load
        break;
      }
      lags.push(now - scheduledAt);
      inFlight++;
      peak = Math.max(peak, inFlight);
      started++;
      running.push(
        o.visit(i, scheduledAt).finally(() => {
          inFlight--;
          done++;
        }),
      );
    }
    if (o.onProgress && now - lastProgress > 250) {
      lastProgress = now;
      o.onProgress(started, done, inFlight);
    }
  }
  await Promise.allSettled(running);
  o.onProgress?.(started, done, inFlight);
  const seconds = (performance.now() - t0) / 1000;
  lags.sort((a, b) => a - b);
  return {
    offeredRate: o.rate,
    scheduled: o.visits,
    started,
    completed: done,
    abandoned,
    seconds,
    achievedRate: done / seconds,
    maxInFlight: peak,
    schedulerLagP99Ms: lags.length ? percentileOfSorted(lags, 99) : 0,
  };
}

/** Closed loop: `concurrency` visits in flight, each next one as soon as one finishes; for warm-up and a first capacity estimate. */
export async function closedLoop(n: number, concurrency: number, visit: (i: number) => Promise<void>): Promise<{ seconds: number; rate: number }> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await visit(next++);
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, rate: n / seconds };
}
