import type { Principal } from '../../service/src/auth/principal.js';
import type { HttpClient } from '../lib/open-loop.js';
import type { ServiceClient, ServiceProcess } from '../lib/service-process.js';
import { median, percentile, round } from '../../testkit/stats.js';
import type { SignedInPeople } from './accounts.js';
import type { DbProbe } from './db-probe.js';
import { face, workerOf } from './settings.js';

/** One target's running state: the service, its client, the seeded beneficiaries and how many are used. */
export interface Ctx {
  target: string;
  server: ServiceProcess;
  /** Database-side sampling (PostgreSQL server only). */
  probe?: DbProbe;
  client: ServiceClient;
  http: HttpClient;
  /** The principals' sign-ins: their current access tokens, renewed between steps. */
  people: SignedInPeople;
  ids: string[];
  /** Next unused seeded beneficiary. */
  cursor: number;
  verifications: { responses: number; matched: number };
}

export const tokenOf = (c: Ctx, p: Principal) => c.people.tokens.get(p.sub)!;

/** The next k unused beneficiaries, each with a genuine probe sealed now. */
export function takeProbes(c: Ctx, k: number): { id: string; w: Principal; token: string; body: string }[] {
  if (c.cursor + k > c.ids.length) throw new Error(`out of seeded beneficiaries (${c.ids.length}): raise --beneficiaries`);
  const out = [];
  for (let j = 0; j < k; j++, c.cursor++) {
    const i = c.cursor;
    const w = workerOf(i);
    out.push({ id: c.ids[i]!, w, token: tokenOf(c, w), body: JSON.stringify({ beneficiaryId: c.ids[i], envelope: c.client.seal(face(c.client.dim, i, 2), w.sub) }) });
  }
  return out;
}

export const stats = (xs: number[]) => ({ n: xs.length, p50Ms: round(median(xs), 1), p90Ms: round(percentile(xs, 90), 1), p99Ms: round(percentile(xs, 99), 1), maxMs: round(xs.length ? Math.max(...xs) : Number.NaN, 1) });
export const spread = (xs: number[]) => ({ median: round(median(xs), 1), min: round(Math.min(...xs), 1), max: round(Math.max(...xs), 1), runs: xs.map((x) => round(x, 1)) });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** "409 already_distributed", "200 no_match": what an answer that is not the expected one was. */
export const code = (status: number, body: string) => {
  try {
    const b = JSON.parse(body);
    return `${status} ${typeof b?.code === 'string' ? b.code : b?.match === false ? 'no_match' : 'other'}`;
  } catch {
    return `${status} unparsed`;
  }
};
export const failCode = (err: unknown) => (err instanceof Error && err.message === 'timeout' ? 'timeout' : `connection ${(err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? 'error'}`);
