import { loadavg } from 'node:os';
import type { Principal } from '../../service/src/auth/principal.js';
import { OpRecorder, openLoop } from '../lib/open-loop.js';
import { beneficiaryBody, consentBody, log, processCpuMs } from '../lib/service-process.js';
import { round } from '../../testkit/stats.js';
import { mulberry32 } from '../../testkit/prng.js';
import { renewIfOld } from './accounts.js';
import { code, failCode, stats, takeProbes, tokenOf, type Ctx } from './ctx.js';
import { ADMINS, face, OUTSIDER, S, SUPERVISORS, WORKERS, workerOf } from './settings.js';

/**
 * A mixed day: visits at a share of the max rate — genuine verifications, impostor verifications
 * that fail and go to fallback (case → OTP sent → a wrong code → supervisor attestation delivers),
 * declared fallbacks (camera fault → attestation), new enrolments (register → consent → enrol with
 * a 1:N duplicate search), admin reads (review queue, exclusion metrics). Per-operation p50/p99.
 */
const MIX = [
  { kind: 'genuine', weight: 0.7 },
  { kind: 'impostor', weight: 0.08 },
  { kind: 'declared', weight: 0.04 },
  { kind: 'enrol', weight: 0.12 },
  { kind: 'review', weight: 0.04 },
  { kind: 'metrics', weight: 0.02 },
] as const;
type Kind = (typeof MIX)[number]['kind'];
/** Visits of the mixed day that use up a seeded beneficiary (genuine, impostor, declared). */
export const MIXED_NEEDS_SEEDED = MIX.filter((m) => ['genuine', 'impostor', 'declared'].includes(m.kind)).reduce((a, m) => a + m.weight, 0);

export async function mixedDay(c: Ctx, rate: number, seconds: number) {
  await renewIfOld(c.http, c.people);
  const visits = Math.max(1, Math.round(rate * seconds));
  const rand = mulberry32(20_251_122);
  const kinds: Kind[] = Array.from({ length: visits }, () => {
    let x = rand();
    for (const m of MIX) if ((x -= m.weight) < 0) return m.kind;
    return 'genuine';
  });
  const count = (k: Kind) => kinds.filter((x) => x === k).length;
  // Everything a device would capture, sealed now (all within the 5-minute capture window).
  const genuine = takeProbes(c, count('genuine'));
  const impostorIdx = Array.from({ length: count('impostor') + count('declared') }, () => c.cursor++);
  if (c.cursor > c.ids.length) throw new Error(`out of seeded beneficiaries (${c.ids.length}): raise --beneficiaries`);
  const impostors = impostorIdx.slice(0, count('impostor')).map((i, j) => {
    const w = workerOf(i);
    return { i, id: c.ids[i]!, w, body: JSON.stringify({ beneficiaryId: c.ids[i], envelope: c.client.seal(face(c.client.dim, OUTSIDER + j, 1), w.sub) }) };
  });
  const declared = impostorIdx.slice(count('impostor')).map((i) => ({ i, id: c.ids[i]!, w: workerOf(i) }));
  const enrols = Array.from({ length: count('enrol') }, (_, j) => {
    const i = OUTSIDER + 1_000_000 + j;
    const w = WORKERS[j % WORKERS.length]!;
    return { i, w, envelope: JSON.stringify({ envelope: c.client.seal(face(c.client.dim, i, 1), w.sub) }) };
  });
  const next = { genuine: 0, impostor: 0, declared: 0, enrol: 0, review: 0, metrics: 0 };
  const rec = new OpRecorder();
  const expected = { matched: 0, fallbackDelivered: 0, enrolled: 0 };

  /** One request, recorded under `op`; returns the parsed body when the status is the expected one. */
  const call = async (op: string, method: string, path: string, p: Principal, body: string | undefined, want: number, check?: (b: any) => boolean): Promise<any | undefined> => {
    try {
      const r = await c.http.request(method, path, tokenOf(c, p), body);
      let parsed: any;
      try {
        parsed = r.body ? JSON.parse(r.body) : undefined;
      } catch {
        parsed = undefined;
      }
      const ok = r.status === want && (!check || check(parsed));
      rec.record(op, r.ms, ok ? null : code(r.status, r.body));
      return ok ? (parsed ?? {}) : undefined;
    } catch (err) {
      rec.record(op, Number.NaN, failCode(err));
      return undefined;
    }
  };
  const attest = (caseId: string, sup: Principal) =>
    call('fallback: supervisor attestation', 'POST', `/v1/fallback-cases/${caseId}/attestation`, sup, JSON.stringify({ reasonCode: 'known_to_supervisor', note: 'known to the supervisor for years' }), 200, (b) => b?.delivered === true);
  const supervisorOf = (w: Principal) => SUPERVISORS.find((s) => s.awcs!.includes(w.awc!))!;

  const cpu0 = processCpuMs(c.server.child.pid);
  await c.probe?.start();
  const t0 = performance.now();
  const loop = await openLoop({
    rate,
    visits,
    maxInFlight: S.maxInFlight,
    onProgress: (started, done) => {
      if (started % Math.max(1, Math.round(rate * 10)) === 0) log(`mixed day: ${done}/${visits} visits done`);
    },
    visit: async (v) => {
      const kind = kinds[v]!;
      switch (kind) {
        case 'genuine': {
          const p = genuine[next.genuine++]!;
          const r = await call('verify: genuine (match → ration)', 'POST', '/v1/verifications', p.w, p.body, 200, (b) => b?.match === true);
          if (r) expected.matched++;
          return;
        }
        case 'impostor': {
          const im = impostors[next.impostor++]!;
          const r = await call('verify: impostor (no match)', 'POST', '/v1/verifications', im.w, im.body, 200, (b) => b?.match === false && b?.outcome === 'no_match');
          if (!r) return;
          const opened = await call('fallback: open case', 'POST', '/v1/fallback-cases', im.w, JSON.stringify({ beneficiaryId: im.id, reason: 'no_match', verificationId: r.verificationId }), 201);
          if (!opened) return;
          if (!(await call('fallback: send OTP', 'POST', `/v1/fallback-cases/${opened.id}/otp`, im.w, '{}', 201))) return;
          // The real code is only in the service's in-memory SMS outbox; a wrong one exercises the check.
          await call('fallback: OTP check (wrong code)', 'POST', `/v1/fallback-cases/${opened.id}/otp/verify`, im.w, JSON.stringify({ otp: '000000' }), 400, (b) => b?.code === 'otp_incorrect');
          if (await attest(opened.id, supervisorOf(im.w))) expected.fallbackDelivered++;
          return;
        }
        case 'declared': {
          const d = declared[next.declared++]!;
          const opened = await call('fallback: open case', 'POST', '/v1/fallback-cases', d.w, JSON.stringify({ beneficiaryId: d.id, reason: 'camera_fault', note: 'camera does not start' }), 201);
          if (opened && (await attest(opened.id, supervisorOf(d.w)))) expected.fallbackDelivered++;
          return;
        }
        case 'enrol': {
          const e = enrols[next.enrol++]!;
          const body = beneficiaryBody(e.i);
          const reg = await call('enrol: register', 'POST', '/v1/beneficiaries', e.w, JSON.stringify(body), 201);
          if (!reg) return;
          if (!(await call('enrol: consent', 'POST', `/v1/beneficiaries/${reg.id}/consents`, e.w, JSON.stringify(consentBody(body.category)), 201))) return;
          if (await call('enrol: template (1:N duplicate search)', 'POST', `/v1/beneficiaries/${reg.id}/templates`, e.w, e.envelope, 201)) expected.enrolled++;
          return;
        }
        case 'review': {
          const a = ADMINS[next.review++ % ADMINS.length]!;
          await call('admin: review queue', 'GET', '/v1/review/cases?status=pending&limit=50', a, undefined, 200, (b) => Array.isArray(b?.items));
          return;
        }
        case 'metrics': {
          const a = ADMINS[next.metrics++ % ADMINS.length]!;
          await call('admin: exclusion metrics', 'GET', '/v1/metrics/exclusion', a, undefined, 200, (b) => Array.isArray(b?.awcs));
          return;
        }
      }
    },
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = processCpuMs(c.server.child.pid);
  const db = await c.probe?.stop();
  c.verifications.matched += expected.matched;
  const ops = Object.fromEntries(
    [...rec.ops.entries()].map(([op, o]) => [op, { requests: o.latencies.length, ...stats(o.latencies.filter((x) => !Number.isNaN(x))), errors: Object.values(o.errors).reduce((a, b) => a + b, 0), errorCodes: o.errors }]),
  );
  const requests = [...rec.ops.values()].reduce((a, o) => a + o.latencies.length, 0);
  return {
    visitsPerSecond: round(rate, 2),
    seconds: round(loop.seconds, 1),
    visits,
    visitsByKind: Object.fromEntries(MIX.map((m) => [m.kind, count(m.kind)])),
    requests,
    requestsPerSecond: round(requests / loop.seconds, 1),
    abandonedVisits: loop.abandoned,
    errors: rec.errorCount() + loop.abandoned,
    ops,
    expected,
    serverCpuShare: cpu0 === null || cpu1 === null ? null : round((cpu1 - cpu0) / 1000 / wall, 2),
    dbCpuShare: db?.backendCpuMs == null ? null : round(db.backendCpuMs / 1000 / wall, 2),
    ...(db ? { db } : {}),
    loadAverage1m: round(loadavg()[0] ?? 0, 2),
    mix: MIX,
    flows: {
      genuine: 'POST /v1/verifications → 200 match: true (ration delivered by face)',
      impostor: "POST /v1/verifications with another person's face → 200 no_match + fallback advice → POST /v1/fallback-cases (reason no_match) → POST …/otp (SMS to the development outbox) → POST …/otp/verify with a wrong code (400 otp_incorrect: the real code sits in the service process's memory) → supervisor POST …/attestation delivers the ration",
      declared: 'POST /v1/fallback-cases (reason camera_fault) → supervisor POST …/attestation',
      enrol: 'POST /v1/beneficiaries → POST …/consents → POST …/templates (envelope open, 1:N duplicate search over the state partition HNSW graph, insert)',
      review: 'district admin GET /v1/review/cases?status=pending&limit=50',
      metrics: 'district admin GET /v1/metrics/exclusion (last 30 days)',
    },
  };
}
