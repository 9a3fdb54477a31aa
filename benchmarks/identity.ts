/**
 * Sign-in and the per-request session check, in one process on the embedded database:
 *
 * - the MPIN KDF (scrypt N=2^15, r=8, p=1, over the peppered MPIN): one hash, median of runs;
 * - a whole sign-in (POST /v1/auth/login: lookup, KDF, session, refresh token, audit entry);
 * - the revocation check: the session lookup (sessions ⨝ users by primary key) alone, and an
 *   authenticated read (GET /v1/beneficiaries/:id) with it, so its share of a request is seen.
 *
 *   Its share of a verification is taken against bench:load's measured CPU per verification.
 *
 * CPU times are of this process (scrypt runs on libuv's pool; PGlite runs in-process): the cost on
 * one core whatever the machine's load. With DATABASE_URL (a scratch database: the harness writes
 * to it) the database is a PostgreSQL server and the lookup's time includes the round trip; the
 * result is kept under `byDatabase.postgres` beside the embedded one.
 * Writes benchmarks/results/identity.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connectDatabase } from '../service/src/db/connect.js';
import { sessionState } from '../service/src/db/repositories/sessions.js';
import { bootstrapUser } from '../service/src/identity/bootstrap-user.js';
import { createHarness, enrolledBeneficiary, syntheticFace, WORKER } from '../service/test/harness.js';
import { machineInfo } from './lib/machine.js';
import { summarise } from '../testkit/stats.js';

const machine = machineInfo();
const url = process.env.DATABASE_URL;
const serverDb = url ? await connectDatabase({ databaseUrl: url }) : undefined;
const h = await createHarness(serverDb ? { db: serverDb } : {});
const runId = Date.now() % 1_000_000; // fresh mobile numbers: a server database outlives the run
const time = async (n: number, fn: () => Promise<unknown>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
};

/** CPU time (all threads of this process: scrypt runs on libuv's pool) of each call: the cost on one core, whatever the load. */
const cpuTime = async (n: number, fn: () => Promise<unknown>) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const c0 = process.cpuUsage();
    await fn();
    const c = process.cpuUsage(c0);
    out.push((c.user + c.system) / 1000);
  }
  return out;
};

try {
  const kdf = summarise(await time(15, () => h.ctx.mpin.hash('604712')));
  const kdfCpu = summarise(await cpuTime(15, () => h.ctx.mpin.hash('604712')));
  const mobile = `96${String(runId).padStart(8, '0')}`;
  const { oneTimeMpin } = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'auditor', mobile, name: 'Bench' });
  let i = 0;
  const signIn = async () => {
    const r = await h.call('POST', '/v1/auth/login', undefined, { mobile, mpin: oneTimeMpin, deviceId: `bench-device-${runId}-${i++}` });
    if (r.status !== 200) throw new Error(`login ${r.status}`);
  };
  const login = summarise(await time(15, signIn));
  const loginCpu = summarise(await cpuTime(15, signIn));
  const wrong = summarise(await time(3, () => h.call('POST', '/v1/auth/login', undefined, { mobile: `97${String(runId).padStart(8, '0')}`, mpin: '604712', deviceId: 'bench-unknown-01' })));

  const { id } = await enrolledBeneficiary(h, syntheticFace(5, h.dim), { enrol: false });
  const token = await h.token(WORKER);
  const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
  const read = () => h.app.inject({ method: 'GET', url: `/v1/beneficiaries/${id}`, headers: { authorization: `Bearer ${token}` } });
  await time(200, read); // warm-up
  const check = summarise((await time(2000, () => sessionState(h.ctx.db, sid))).map((ms) => ms * 1000));
  const checkCpu = summarise((await cpuTime(2000, () => sessionState(h.ctx.db, sid))).map((ms) => ms * 1000));
  const request = summarise((await time(2000, read)).map((ms) => ms * 1000));

  const result = {
    benchmark: 'identity',
    machine,
    kdf: { params: h.ctx.mpin.cost, unit: 'ms', ...kdf, cpu: kdfCpu },
    login: { unit: 'ms', ...login, cpu: loginCpu, unknownMobile: wrong },
    revocationCheck: {
      unit: 'µs',
      lookup: check,
      lookupCpu: checkCpu,
      authenticatedRead: request,
      shareOfRequest: Math.round((check.median / request.median) * 1000) / 1000,
      /** Compare with bench:load's CPU per verification (results/load.json atLevels[2]): the harness logs at trace level, so an in-process request here is not a production one. */
    },
    database: h.ctx.db.kind,
  };
  const file = new URL('./results/identity.json', import.meta.url);
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { byDatabase?: Record<string, unknown> }) : {};
  const byDatabase = { ...(previous.byDatabase ?? {}), [url ? 'postgres' : 'pglite']: result };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(file, JSON.stringify({ benchmark: 'identity', machine, byDatabase }, null, 2) + '\n');
  console.log(`KDF ${kdf.median} ms median wall (p95 ${kdf.p95}), ${kdfCpu.median} ms CPU; sign-in ${login.median} ms median; unknown mobile ${wrong.median} ms`);
  console.log(`KDF ${kdfCpu.median} ms CPU; a whole sign-in ${loginCpu.median} ms CPU (one core)`);
  console.log(`session check ${check.median} µs median (${checkCpu.median} µs CPU) of an authenticated read's ${request.median} µs (${(result.revocationCheck.shareOfRequest * 100).toFixed(1)} %)`);
  console.log(`${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage1m}; wrote benchmarks/results/identity.json`);
} finally {
  await h.close();
  await serverDb?.close(); // the harness closes only a database it opened
}
