import { parseArgs } from 'node:util';
import type { Principal } from '../../service/src/auth/principal.js';
import { syntheticFace } from '../../service/test/harness.js';

/** Command line of `npm run bench:load` (see benchmarks/load.ts), parsed once. */
const { values: args } = parseArgs({
  options: {
    targets: { type: 'string' },
    /**
     * Seeded up front on embedded PGlite (default 32000); on a database server 600 up front, then
     * topped up after the estimate to what the search needs, at most this (default 100000).
     */
    beneficiaries: { type: 'string' },
    states: { type: 'string', default: '12' },
    'step-seconds': { type: 'string', default: '4' },
    'fixed-seconds': { type: 'string', default: '4' },
    reps: { type: 'string', default: '3' },
    bisect: { type: 'string', default: '3' },
    'max-steps': { type: 'string', default: '8' },
    'slo-p99-ms': { type: 'string', default: '1000' },
    'max-in-flight': { type: 'string', default: '256' },
    'mixed-seconds': { type: 'string', default: '30' },
    /**
     * On PGlite the max is taken at saturation (one core): 0.35 of it (178 visits/s) overloaded the
     * mix there, 0.25 passes; the server passed 0.35 (248 visits/s) too.
     */
    'mixed-share': { type: 'string', default: '0.25' },
    /** Which targets get the mixed day: "first" (default), "all" or "none". */
    mixed: { type: 'string', default: 'first' },
    noise: { type: 'string', default: '0.8' },
    'log-level': { type: 'string', default: 'info' },
    'keep-data': { type: 'boolean', default: false },
    /** Extra environment for the service process, e.g. DATABASE_POOL_MAX=20 (comma-separated K=V). */
    'service-env': { type: 'string', default: '' },
    /** Where the result goes (CI's smoke run writes to a scratch file, not the committed results). */
    out: { type: 'string', default: 'benchmarks/results/load.json' },
    /** Keep the other targets' results already in --out (re-measure one target without the others). */
    merge: { type: 'boolean', default: false },
  },
});

export const TARGETS = (args.targets ?? (process.env.DATABASE_URL ? 'pglite,postgres' : 'pglite')).split(',').map((t) => t.trim()).filter(Boolean);
for (const t of TARGETS) if (!['pglite', 'postgres'].includes(t)) throw new Error(`unknown target ${t}: pglite or postgres`);
if (TARGETS.includes('postgres') && !process.env.DATABASE_URL) throw new Error('target postgres needs DATABASE_URL (a scratch database with pgvector; scripts/postgres-server.sh makes one)');

/** Unset --beneficiaries: 32000 on PGlite (~3 min to seed: a search near 450/s and the runs after it), 100000 on a server (topped up to what the search needs). */
export const beneficiariesFor = (target: string) => (args.beneficiaries !== undefined ? Number(args.beneficiaries) : target === 'pglite' ? 32_000 : 100_000);

export const S = {
  beneficiaries: args.beneficiaries === undefined ? undefined : Number(args.beneficiaries),
  states: Number(args.states),
  stepSeconds: Number(args['step-seconds']),
  fixedSeconds: Number(args['fixed-seconds']),
  reps: Number(args.reps),
  bisect: Number(args.bisect),
  maxSteps: Number(args['max-steps']),
  sloP99Ms: Number(args['slo-p99-ms']),
  maxInFlight: Number(args['max-in-flight']),
  mixedSeconds: Number(args['mixed-seconds']),
  mixedShare: Number(args['mixed-share']),
  mixed: args.mixed!,
  noise: Number(args.noise),
  logLevel: args['log-level']!,
  keepData: args['keep-data']!,
  serviceEnv: Object.fromEntries(args['service-env']!.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])),
  out: args.out!,
  merge: args.merge!,
};
export const LEVELS = [0.25, 0.5, 0.9] as const;

export const DB_LABEL: Record<string, string> = {
  pglite: 'embedded PGlite (WASM, in the service process, data on disk)',
  postgres: 'PostgreSQL server at DATABASE_URL',
};

// ---------------------------------------------------------------- the population

/** One district per state, two AWCs per district, one worker per AWC, one supervisor and one admin per district. */
const STATE_CODES = Array.from({ length: S.states }, (_, s) => `LS${String(s + 1).padStart(2, '0')}`);
export const WORKERS: Principal[] = STATE_CODES.flatMap((state, s) =>
  [1, 2].map((a) => ({ sub: `lw-${s + 1}-${a}`, role: 'worker' as const, awc: `LAWC-${s + 1}-${a}`, district: `LD${s + 1}`, state })),
);
export const SUPERVISORS: Principal[] = STATE_CODES.map((state, s) => ({ sub: `ls-${s + 1}`, role: 'supervisor', awcs: [`LAWC-${s + 1}-1`, `LAWC-${s + 1}-2`], district: `LD${s + 1}`, state }));
export const ADMINS: Principal[] = STATE_CODES.map((state, s) => ({ sub: `la-${s + 1}`, role: 'district_admin', district: `LD${s + 1}`, state }));
/** Beneficiary i is person i: her template is capture 1 of syntheticFace(i + 1), a probe capture 2 (+ the nth re-seal). */
export const face = (dim: number, i: number, capture: number) => syntheticFace(i + 1, dim, S.noise, capture);
/**
 * Faces of people who are not in the population: impostors, new enrolments. Different in every run:
 * a scratch database reused by a later run still holds the last run's new enrolments, and the same
 * faces again would be refused as possible duplicates.
 */
export const OUTSIDER = 10_000_000 + (Date.now() % 100_000) * 1000;
export const workerOf = (i: number) => WORKERS[i % WORKERS.length]!;
