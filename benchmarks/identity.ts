/**
 * Sign-in and the per-request session check, in one process on the embedded database:
 *
 * - the MPIN KDF (scrypt N=2^15, r=8, p=1, over the peppered MPIN): one hash, median of runs;
 * - a whole sign-in (POST /v1/auth/login: lookup, KDF, session, refresh token, audit entry);
 * - the revocation check: the session lookup (sessions ⨝ users by primary key) alone, and an
 *   authenticated read (GET /v1/beneficiaries/:id) with it, so its share of a request is seen.
 *
 * Run it pinned to one core for the "one core" figure: `taskset -c 0 npm run bench:identity`.
 * Writes benchmarks/results/identity.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { sessionState } from '../service/src/db/repositories/sessions.js';
import { bootstrapUser } from '../service/src/identity/bootstrap-user.js';
import { createHarness, enrolledBeneficiary, syntheticFace, WORKER } from '../service/test/harness.js';
import { machineInfo } from './lib/machine.js';
import { summarise } from './lib/stats.js';

const machine = machineInfo();
const h = await createHarness();
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
  const { oneTimeMpin } = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'auditor', mobile: '9600000001', name: 'Bench' });
  let i = 0;
  const login = summarise(
    await time(15, async () => {
      const r = await h.call('POST', '/v1/auth/login', undefined, { mobile: '9600000001', mpin: oneTimeMpin, deviceId: `bench-device-${i++}` });
      if (r.status !== 200) throw new Error(`login ${r.status}`);
    }),
  );
  const wrong = summarise(await time(3, () => h.call('POST', '/v1/auth/login', undefined, { mobile: '9600000002', mpin: '604712', deviceId: 'bench-unknown-01' })));

  const { id } = await enrolledBeneficiary(h, syntheticFace(5, h.dim), { enrol: false });
  const token = await h.token(WORKER);
  const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
  const read = () => h.app.inject({ method: 'GET', url: `/v1/beneficiaries/${id}`, headers: { authorization: `Bearer ${token}` } });
  await time(200, read); // warm-up
  const check = summarise((await time(2000, () => sessionState(h.ctx.db, sid))).map((ms) => ms * 1000));
  const request = summarise((await time(2000, read)).map((ms) => ms * 1000));
  const result = {
    benchmark: 'identity',
    machine,
    kdf: { params: h.ctx.mpin.cost, unit: 'ms', ...kdf, cpu: kdfCpu },
    login: { unit: 'ms', ...login, unknownMobile: wrong },
    revocationCheck: { unit: 'µs', lookup: check, authenticatedRead: request, shareOfRequest: Math.round((check.median / request.median) * 1000) / 1000 },
    database: h.ctx.db.kind,
  };
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/identity.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
  console.log(`KDF ${kdf.median} ms median wall (p95 ${kdf.p95}), ${kdfCpu.median} ms CPU; sign-in ${login.median} ms median; unknown mobile ${wrong.median} ms`);
  console.log(`session check ${check.median} µs median of an authenticated read's ${request.median} µs (${(result.revocationCheck.shareOfRequest * 100).toFixed(1)} %)`);
  console.log(`${machine.cpuModel}, ${machine.cores} cores, load ${machine.loadAverage1m}; wrote benchmarks/results/identity.json`);
} finally {
  await h.close();
}
