import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { ADMIN, CONSENT, createHarness, enrolledBeneficiary, OTHER_ADMIN, rowCounts, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

let h: Harness;
let token: string;
before(async () => {
  h = await createHarness();
  token = await h.token(WORKER);
});
after(() => h.close());

const verify = (id: string, face: Float32Array, deviceId = 'phone-1') => h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: h.seal(face, WORKER.sub), deviceId });

async function openCase(reason = 'camera_fault', note?: string) {
  const { id } = await enrolledBeneficiary(h, syntheticFace(Math.floor(Math.random() * 1e6) + 1000, h.dim));
  const res = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: id, reason, ...(note ? { note } : {}) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return { beneficiaryId: id, caseId: res.body.id as string };
}

const otpIn = (text: string) => /\b(\d{6})\b/.exec(text)![1]!;

test('three failed face attempts for a beneficiary in a day, on any device by any worker, open a fallback case; the response names it', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(101, h.dim));
  const stranger = (n: number) => syntheticFace(200 + n, h.dim);
  const first = await verify(id, stranger(1));
  assert.equal(first.body.match, false);
  assert.deepEqual([first.body.fallback.attemptsLeft, first.body.fallback.fallbackCaseId], [2, undefined]);
  // Another device's attempts count against the same beneficiary-day: a new deviceId resets nothing.
  const other = await verify(id, stranger(2), 'phone-2');
  assert.equal(other.body.fallback.attemptsLeft, 1);
  const third = await verify(id, stranger(3), 'phone-3');
  assert.equal(third.body.fallback.attemptsLeft, 0);
  assert.ok(third.body.fallback.fallbackCaseId);
  const c = await h.call('GET', `/v1/fallback-cases/${third.body.fallback.fallbackCaseId}`, token);
  assert.equal(c.body.reason, 'no_match');
  assert.equal(c.body.verificationId, third.body.verificationId);
  assert.equal(c.body.delivered, false);
});

test('no consent opens a case at once', async () => {
  const { id } = await enrolledBeneficiary(h, syntheticFace(102, h.dim), { consent: false });
  const res = await verify(id, syntheticFace(102, h.dim));
  assert.equal(res.status, 409);
  assert.equal(res.body.code, 'consent_required');
  assert.ok(res.body.fallback.fallbackCaseId);
});

test('OTP: sent to the registered mobile, stored only as a hash; a wrong code counts; the right one delivers the ration', async () => {
  const { beneficiaryId, caseId } = await openCase('refused_biometrics', 'prefers not to be photographed');
  const sent = await h.call('POST', `/v1/fallback-cases/${caseId}/otp`, token);
  assert.equal(sent.status, 201);
  assert.equal(sent.body.sentTo, '******5678');
  const message = h.outbox.latestTo('+919812345678')!;
  const otp = otpIn(message.text);
  const stored = await h.ctx.db.query<{ code_hash: string }>('SELECT code_hash FROM otp_challenges WHERE case_id = $1', [caseId]);
  assert.equal(stored.rows.length, 1);
  assert.ok(!stored.rows[0]!.code_hash.includes(otp) && stored.rows[0]!.code_hash.length === 64);

  const wrong = otp === '000000' ? '111111' : '000000';
  const before = await rowCounts(h.ctx.db);
  const bad = await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, token, { otp: wrong });
  assert.deepEqual([bad.status, bad.body.code, bad.body.attemptsLeft], [400, 'otp_incorrect', 2]);
  const afterBad = await rowCounts(h.ctx.db);
  assert.equal(afterBad.distributions, before.distributions, 'a wrong code delivers nothing');

  const good = await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, token, { otp });
  assert.equal(good.status, 200);
  assert.equal(good.body.method, 'otp');
  assert.equal(good.body.delivered, true);
  const d = await h.ctx.db.query<{ method: string }>('SELECT method FROM distributions WHERE beneficiary_id = $1', [beneficiaryId]);
  assert.deepEqual(d.rows, [{ method: 'otp' }]);

  const reuse = await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, token, { otp });
  assert.deepEqual([reuse.status, reuse.body.code], [409, 'fallback_already_completed']);
  const reopen = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId, reason: 'camera_fault' });
  assert.deepEqual([reopen.status, reopen.body.code], [409, 'already_distributed']);

  // The OTP never appears in a log line or a response.
  assert.ok(![...h.logs, ...h.responses].some((line) => line.includes(otp)), 'OTP leaked');
});

test('expired OTP, too many wrong codes, too many sends, no mobile: each refused with its code and nothing delivered', async () => {
  const { caseId } = await openCase();
  await h.call('POST', `/v1/fallback-cases/${caseId}/otp`, token);
  const otp = otpIn(h.outbox.messages.at(-1)!.text);
  h.setNow(new Date(Date.now() + 6 * 60_000));
  const expired = await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, await h.token(WORKER), { otp });
  h.setNow(new Date());
  assert.deepEqual([expired.status, expired.body.code], [400, 'otp_expired']);

  await h.call('POST', `/v1/fallback-cases/${caseId}/otp`, token);
  const fresh = otpIn(h.outbox.messages.at(-1)!.text);
  const wrong = fresh === '123456' ? '654321' : '123456';
  for (let i = 0; i < 3; i++) assert.equal((await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, token, { otp: wrong })).body.code, 'otp_incorrect');
  const locked = await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, token, { otp: fresh });
  assert.deepEqual([locked.status, locked.body.code], [429, 'otp_attempts_exceeded']);

  assert.equal((await h.call('POST', `/v1/fallback-cases/${caseId}/otp`, token)).status, 201);
  const limit = await h.call('POST', `/v1/fallback-cases/${caseId}/otp`, token);
  assert.deepEqual([limit.status, limit.body.code], [429, 'otp_send_limit']);
  const c = await h.call('GET', `/v1/fallback-cases/${caseId}`, token);
  assert.equal(c.body.delivered, false);

  const badFormat = await h.call('POST', `/v1/fallback-cases/${caseId}/otp/verify`, token, { otp: '12ab' });
  assert.deepEqual([badFormat.status, badFormat.body.code], [400, 'invalid_request']);

  const noMobile = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'No Phone' });
  const opened = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: noMobile.body.id, reason: 'camera_fault' });
  const none = await h.call('POST', `/v1/fallback-cases/${opened.body.id}/otp`, token);
  assert.deepEqual([none.status, none.body.code], [409, 'no_registered_mobile']);
});

test('attestation: a supervisor of the sector delivers; a worker or another sector cannot; nothing written on refusal', async () => {
  const { caseId, beneficiaryId } = await openCase('disability_or_injury');
  const before = await rowCounts(h.ctx.db);
  const body = { reasonCode: 'known_to_supervisor', note: 'Known to me for two years; hand injured' };
  const byWorker = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, token, body);
  assert.deepEqual([byWorker.status, byWorker.body.code], [403, 'role_forbidden']);
  const otherSector: Principal = { ...SUPERVISOR, sub: 'sup-9', awcs: ['AWC-777'] };
  const far = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(otherSector), body);
  assert.deepEqual([far.status, far.body.code], [403, 'out_of_scope']);
  const noNote = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(SUPERVISOR), { reasonCode: 'home_visit' });
  assert.deepEqual([noNote.status, noNote.body.code], [400, 'invalid_request']);
  assert.deepEqual(await rowCounts(h.ctx.db), before);

  const ok = await h.call('POST', `/v1/fallback-cases/${caseId}/attestation`, await h.token(SUPERVISOR), body);
  assert.equal(ok.status, 200);
  assert.deepEqual([ok.body.method, ok.body.attestedBy, ok.body.attestationReason], ['attestation', SUPERVISOR.sub, 'known_to_supervisor']);
  const d = await h.ctx.db.query<{ method: string }>('SELECT method FROM distributions WHERE beneficiary_id = $1', [beneficiaryId]);
  assert.deepEqual(d.rows, [{ method: 'attestation' }]);
});

test('opening a case is idempotent within the month', async () => {
  const { beneficiaryId, caseId } = await openCase('child_too_young');
  const again = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId, reason: 'camera_fault' });
  assert.equal(again.status, 200);
  assert.equal(again.body.id, caseId);
  assert.equal(again.body.reason, 'child_too_young');
});

test('review: approve, approve twice, reject with recovery flag, another district refused', async () => {
  const admin = await h.token(ADMIN);
  const { caseId: a } = await openCase('camera_fault', 'camera cracked');
  await h.call('POST', `/v1/fallback-cases/${a}/attestation`, await h.token(SUPERVISOR), { reasonCode: 'home_visit', note: 'visited' });

  const queue = await h.call('GET', '/v1/review/cases?status=pending&reason=camera_fault', admin);
  assert.ok(queue.body.items.some((c: { id: string }) => c.id === a));
  assert.ok(queue.body.items.every((c: { reason: string; reviewStatus: string }) => c.reason === 'camera_fault' && c.reviewStatus === 'pending'));
  const old = await h.call('GET', '/v1/review/cases?minAgeDays=3', admin);
  assert.ok(!old.body.items.some((c: { id: string }) => c.id === a), 'a case opened today is not 3 days old');

  const detail = await h.call('GET', `/v1/review/cases/${a}`, admin);
  assert.equal(detail.body.case.workerNote, 'camera cracked');
  assert.equal(detail.body.distribution.method, 'attestation');
  assert.equal(detail.body.beneficiary.mobileMasked, '******5678');

  const farAdmin = await h.token(OTHER_ADMIN);
  const before = await rowCounts(h.ctx.db);
  assert.deepEqual((await h.call('GET', `/v1/review/cases/${a}`, farAdmin)).body.code, 'out_of_scope');
  const farDecision = await h.call('POST', `/v1/review/cases/${a}/decision`, farAdmin, { decision: 'approve' });
  assert.deepEqual([farDecision.status, farDecision.body.code], [403, 'out_of_scope']);
  assert.deepEqual((await h.call('GET', '/v1/review/cases', farAdmin)).body.items, []);
  const noNote = await h.call('POST', `/v1/review/cases/${a}/decision`, admin, { decision: 'reject' });
  assert.deepEqual([noNote.status, noNote.body.code], [400, 'note_required']);
  assert.deepEqual(await rowCounts(h.ctx.db), before);

  const approved = await h.call('POST', `/v1/review/cases/${a}/decision`, admin, { decision: 'approve', note: 'fine' });
  assert.equal(approved.body.reviewStatus, 'approved');
  const twice = await h.call('POST', `/v1/review/cases/${a}/decision`, admin, { decision: 'reject', note: 'changed my mind' });
  assert.deepEqual([twice.status, twice.body.code], [409, 'already_reviewed']);

  const { caseId: r } = await openCase('camera_fault');
  const done = await h.call('POST', `/v1/fallback-cases/${r}/attestation`, await h.token(SUPERVISOR), { reasonCode: 'community_witness', note: 'neighbour' });
  const rejected = await h.call('POST', `/v1/review/cases/${r}/decision`, admin, { decision: 'reject', note: 'beneficiary was away that day' });
  assert.equal(rejected.body.reviewStatus, 'rejected');
  const dist = await h.ctx.db.query<{ recovery_flagged_at: Date | null; recovery_case_id: string }>('SELECT recovery_flagged_at, recovery_case_id FROM distributions WHERE id = $1', [done.body.distributionId]);
  assert.equal(dist.rows.length, 1, 'the distribution stays on record');
  assert.ok(dist.rows[0]!.recovery_flagged_at);
  assert.equal(dist.rows[0]!.recovery_case_id, r);
});

test('exclusion metrics flag an AWC whose fallback rate stands far above the district; CSV export', async () => {
  const h2 = await createHarness();
  try {
    const awcs: Principal[] = ['AWC-A', 'AWC-B', 'AWC-C'].map((awc, i) => ({ sub: `w-${i}`, role: 'worker', awc, district: 'D1', state: 'S1' }));
    // A and B: 12 face deliveries and 1 fallback each; C: 2 face deliveries and 10 fallbacks.
    const plan = [
      { p: awcs[0]!, face: 12, fallback: 1 },
      { p: awcs[1]!, face: 12, fallback: 1 },
      { p: awcs[2]!, face: 2, fallback: 10 },
    ];
    let seed = 5000;
    for (const { p, face, fallback } of plan) {
      const t = await h2.token(p);
      for (let i = 0; i < face + fallback; i++) {
        const f = syntheticFace(seed++, h2.dim);
        const { id } = await enrolledBeneficiary(h2, f, { worker: p });
        if (i < face) {
          const v = await h2.call('POST', '/v1/verifications', t, { beneficiaryId: id, envelope: h2.seal(syntheticFace(seed - 1, h2.dim, 0.3, 1), p.sub) });
          assert.equal(v.body.match, true);
        } else {
          assert.equal((await h2.call('POST', '/v1/fallback-cases', t, { beneficiaryId: id, reason: i % 2 ? 'camera_fault' : 'no_match' })).status, 201);
        }
      }
    }
    const admin = await h2.token(ADMIN);
    const m = await h2.call('GET', '/v1/metrics/exclusion', admin);
    assert.equal(m.status, 200);
    const byAwc = Object.fromEntries(m.body.awcs.map((a: { awc: string }) => [a.awc, a]));
    assert.deepEqual([byAwc['AWC-C'].faceMatches, byAwc['AWC-C'].fallbacks, byAwc['AWC-C'].flagged], [2, 10, true]);
    assert.equal(byAwc['AWC-A'].flagged, false);
    assert.equal(byAwc['AWC-C'].byReason.camera_fault + byAwc['AWC-C'].byReason.no_match, 10);
    assert.equal(m.body.total.fallbacks, 12);
    assert.ok(Math.abs(m.body.total.fallbackRate - 12 / 38) < 1e-9);

    const csv = await h2.app.inject({ method: 'GET', url: '/v1/metrics/exclusion.csv', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /text\/csv/);
    const lines = csv.body.trim().split('\n');
    assert.equal(lines[0]!.split(',').slice(0, 8).join(','), 'district,awc,attempts,face_matches,fallbacks,fallback_rate,z_score,flagged');
    assert.equal(lines.length, 4);
    assert.match(lines.find((l) => l.includes('AWC-C'))!, /^D1,AWC-C,2,2,10,0\.8333,[\d.]+,true,/);

    const bad = await h2.call('GET', '/v1/metrics/exclusion?from=2026-02-10&to=2026-02-01', admin);
    assert.deepEqual([bad.status, bad.body.code], [400, 'invalid_period']);
    const worker = await h2.call('GET', '/v1/metrics/exclusion', await h2.token(awcs[0]!));
    assert.deepEqual([worker.status, worker.body.code], [403, 'role_forbidden']);
  } finally {
    await h2.close();
  }
});
