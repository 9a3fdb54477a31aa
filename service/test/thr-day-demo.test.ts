import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runThrDay, type DemoReport, type InProcessService } from '../../demo/thr-day.js';
import { ChehraClient, createFacePipeline } from '../../sdk/src/index.js';
import { datasetsRoot } from '../../testkit/datasets.js';

// `npm run demo` as a test: one THR day at one AWC on real LFW faces, the service in this process.
// Checked against the report, the API (as a district admin and an auditor) and the database,
// then every service log line and every response body is scanned for OTPs, embeddings and pixels.

const REPO = resolve(fileURLToPath(import.meta.url), '../../..');
const LFW = join(datasetsRoot(), 'lfw-dev');
const missing = !existsSync(join(LFW, 'images'))
  ? `lfw-dev not found at ${LFW} (set CHEHRA_DATASETS)`
  : !existsSync(join(REPO, 'models/cache/fr_feature.onnx'))
    ? 'models not fetched (npm run models)'
    : false;

interface Seen {
  otps: string[];
  mobiles: string[];
  distributions: Array<{ beneficiaryId: string; n: number; methods: string }>;
  verifications: Array<{ beneficiaryId: string; outcome: string; faceOf: string | null; visitId: string | null }>;
  queue: Awaited<ReturnType<ChehraClient['reviewQueue']>>;
  impostorCase: { status: number; body: any };
  audit: { ok: boolean; entries: number };
  templateCaptures: Record<string, number>;
}

test('a THR day: face matches, impostor by OTP, no consent by attestation, a mother collects for two infants with one capture, second visit refused; nothing biometric or secret leaks', { timeout: 180_000 }, async (t) => {
  // Without datasets or models this test proves nothing: fail, as the vision tests do, rather than skip.
  if (missing) assert.fail(missing);
  const logs: string[] = [];
  const responses: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    responses.push(await res.clone().text());
    return res;
  };
  let seen: Seen | undefined;
  let impostorCaseId: string | undefined;
  const started = performance.now();

  const report: DemoReport = await runThrDay({
    fetch: recordingFetch,
    serviceLog: (line) => logs.push(line),
    serviceLogLevel: 'trace',
    beforeClose: async (svc: InProcessService) => {
      const admin = new ChehraClient({ baseUrl: svc.baseUrl, token: await svc.token(svc.principals.admin), fetch: recordingFetch });
      const queue = await admin.reviewQueue({ status: 'pending' });
      impostorCaseId = queue.items.find((c) => c.reason === 'no_match')?.id;
      const get = async (path: string, token: string) => {
        const res = await recordingFetch(`${svc.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
        return { status: res.status, body: (await res.json()) as any };
      };
      const impostorCase = await get(`/v1/review/cases/${impostorCaseId}`, await svc.token(svc.principals.admin));
      const audit = (await get('/v1/audit/verify', await svc.token(svc.principals.auditor))).body;
      const d = await svc.ctx.db.query<{ beneficiaryId: string; n: string; methods: string }>(
        `SELECT beneficiary_id AS "beneficiaryId", count(*) AS n, string_agg(method, ',') AS methods FROM distributions GROUP BY beneficiary_id`,
      );
      const v = await svc.ctx.db.query<{ beneficiaryId: string; outcome: string; faceOf: string | null; visitId: string | null }>(`SELECT beneficiary_id AS "beneficiaryId", outcome, face_of AS "faceOf", visit_id AS "visitId" FROM verifications ORDER BY created_at`);
      const tc = await svc.ctx.db.query<{ beneficiaryId: string; captures: number }>('SELECT beneficiary_id AS "beneficiaryId", captures FROM templates');
      seen = {
        templateCaptures: Object.fromEntries(tc.rows.map((r) => [r.beneficiaryId, r.captures])),
        otps: svc.outbox.messages.map((m) => /\b(\d{6})\b/.exec(m.text)?.[1] ?? 'missing'),
        mobiles: svc.outbox.messages.map((m) => m.to),
        distributions: d.rows.map((r) => ({ ...r, n: Number(r.n) })),
        verifications: v.rows,
        queue,
        impostorCase,
        audit,
      };
    },
  });
  t.diagnostic(`runThrDay took ${Math.round(performance.now() - started)} ms; ${report.faceSteps.captures} captures, ${report.skipped.length} photos skipped`);
  assert.ok(seen, 'beforeClose ran');
  assert.equal(report.mode, 'in-process');
  assert.match(report.month ?? '', /^\d{4}-\d{2}$/);

  // Genuine visits: a different photo of the same person, the ration recorded by face.
  const genuine = report.visits.filter((v) => v.path === 'genuine');
  assert.equal(genuine.length, 4);
  for (const v of genuine) {
    const b = report.beneficiaries.find((x) => x.beneficiaryId === v.beneficiaryId)!;
    assert.deepEqual([v.outcome, v.method, v.delivered], ['match', 'face', true], `${v.beneficiary}: ${JSON.stringify(v)}`);
    assert.ok(v.distributionId);
    assert.ok(v.photos.every((p) => !b.enrolPhotos.includes(p)), 'the visit photo is none of the enrolment photos');
    assert.ok(v.photos.every((p) => p.startsWith(`${b.person}/`)), 'the visit photo is the same person');
  }
  // Every face enrolled from 2–3 captures of one LFW person, combined by the service into one template.
  const enrolled = report.beneficiaries.filter((b) => b.enrolled);
  assert.equal(enrolled.length, 5);
  for (const b of enrolled) {
    assert.ok(b.enrolPhotos.length >= 2 && b.enrolPhotos.length <= 3, `${b.name}: ${b.enrolPhotos.join(', ')}`);
    assert.ok(b.enrolPhotos.every((p) => p.startsWith(`${b.person}/`)), 'the captures are of one person');
    assert.equal(new Set(b.enrolPhotos).size, b.enrolPhotos.length, 'different photos');
    assert.equal(b.enrolCaptures, b.enrolPhotos.length);
    assert.equal(seen.templateCaptures[b.beneficiaryId], b.enrolPhotos.length, 'the stored template says how many captures it was made from');
  }
  assert.deepEqual(new Set(report.beneficiaries.map((b) => b.category)), new Set(['pregnant', 'lactating', 'child_6m_3y', 'child_3_6y', 'adolescent_girl']));
  for (const b of report.beneficiaries.filter((x) => x.category.startsWith('child'))) assert.ok(b.guardian, `${b.name} has a guardian`);

  // The guardian visit: Meena's face, one capture, a ration for each of her two children under three.
  const guardianRows = report.visits.filter((v) => v.path === 'guardian');
  assert.equal(guardianRows.length, 2);
  const mother = report.beneficiaries.find((b) => b.name === guardianRows[0]!.collectedBy)!;
  for (const v of guardianRows) {
    const child = report.beneficiaries.find((b) => b.beneficiaryId === v.beneficiaryId)!;
    assert.equal(child.category, 'child_6m_3y');
    assert.equal(child.enrolled, false, 'a child under three has no template of her own');
    assert.deepEqual([v.outcome, v.method, v.delivered, 'score' in v], ['match', 'face', true, false], JSON.stringify(v));
    assert.ok(v.photos.every((p) => p.startsWith(`${mother.person}/`)), "the photo is the mother's");
  }
  assert.deepEqual(guardianRows[0]!.photos, guardianRows[1]!.photos, 'one capture for both children');
  const childRows = seen.verifications.filter((v) => guardianRows.some((g) => g.beneficiaryId === v.beneficiaryId));
  assert.equal(childRows.length, 2);
  assert.ok(childRows.every((v) => v.faceOf === mother.beneficiaryId && v.outcome === 'match'), 'each verification row says whose face');
  assert.equal(new Set(childRows.map((v) => v.visitId)).size, 1, 'one visit');

  // The impostor: someone else's photo, no face match, delivered by OTP, case pending review.
  const impostor = report.visits.find((v) => v.path === 'impostor')!;
  const target = report.beneficiaries.find((b) => b.beneficiaryId === impostor.beneficiaryId)!;
  assert.ok(impostor.photos.length >= 1 && impostor.photos.every((p) => !p.startsWith(`${target.person}/`)), 'another person was photographed');
  assert.equal(impostor.outcome, 'no_match');
  assert.deepEqual([impostor.method, impostor.delivered], ['otp', true]);
  assert.equal(impostorCaseId, impostor.fallbackCaseId, 'the case in the queue is the impostor visit');
  assert.equal(seen.impostorCase.status, 200);
  const ic = seen.impostorCase.body;
  assert.deepEqual([ic.case.reason, ic.case.method, ic.case.reviewStatus, ic.case.delivered], ['no_match', 'otp', 'pending', true]);
  assert.equal(ic.verification.outcome, 'no_match');
  assert.deepEqual([ic.otp.verified, ic.distribution.method], [true, 'otp']);
  assert.equal(seen.otps.length, 1, 'one OTP SMS');
  assert.equal(seen.mobiles[0], '+919000000105', "sent to the target's registered mobile");
  const faceTries = seen.verifications.filter((v) => v.beneficiaryId === impostor.beneficiaryId);
  assert.equal(faceTries.length, impostor.attempts);
  assert.ok(faceTries.every((v) => v.outcome === 'no_match'));

  // No consent: no photo, delivered by the supervisor's attestation, also in the queue.
  const noConsent = report.visits.find((v) => v.path === 'no_consent')!;
  assert.deepEqual([noConsent.attempts, noConsent.photos, noConsent.method, noConsent.delivered], [0, [], 'attestation', true]);
  assert.equal(seen.verifications.filter((v) => v.beneficiaryId === noConsent.beneficiaryId).length, 0, 'no face was sent for her');
  assert.deepEqual(
    seen.queue.items.map((c) => [c.beneficiaryId, c.method, c.delivered]).sort(),
    [
      [impostor.beneficiaryId, 'otp', true],
      [noConsent.beneficiaryId, 'attestation', true],
    ].sort(),
  );
  assert.equal(report.queue?.items.length, 2);

  // The second visit in the month: refused, no second ration.
  const second = report.visits.find((v) => v.path === 'second_visit')!;
  assert.equal(second.beneficiaryId, genuine[0]!.beneficiaryId);
  assert.deepEqual([second.delivered, second.refusal, second.distributionId], [false, 'already_distributed', null]);
  assert.deepEqual(
    seen.verifications.filter((v) => v.beneficiaryId === second.beneficiaryId).map((v) => v.outcome),
    ['match', 'already_distributed'],
  );

  // Exactly one distribution per beneficiary, by the method the report says.
  assert.equal(seen.distributions.length, report.beneficiaries.length);
  for (const d of seen.distributions) {
    assert.equal(d.n, 1, `one distribution for ${d.beneficiaryId}`);
    const row = report.visits.find((v) => v.beneficiaryId === d.beneficiaryId && v.delivered)!;
    assert.equal(d.methods, row.method);
  }
  assert.deepEqual(report.totals.byMethod, { face: 6, otp: 1, attestation: 1 });
  assert.deepEqual([report.totals.rationsDelivered, report.totals.refused], [8, 1]);

  // The audit chain verifies, as the auditor sees it and as the report says.
  assert.equal(seen.audit.ok, true);
  // At least: 8 registrations, 7 consents, 5 enrolments, 2 guardian links, every face attempt
  // (one per child at the guardian visit), 2 cases opened and 2 completed.
  const floor = 8 + 7 + 5 + 2 + seen.verifications.length + 4;
  assert.ok(seen.audit.entries >= floor, `audit entries ${seen.audit.entries} ≥ ${floor}`);
  assert.deepEqual(report.audit, { ok: true, entries: seen.audit.entries });

  // Every refused photo is reported with the pipeline's reason.
  for (const s of report.skipped) assert.ok(s.reason && s.photo.includes('/'), JSON.stringify(s));

  // Privacy: recompute the embeddings of every photo used and scan everything the service said.
  assert.ok(logs.length > 50, `service logs captured (${logs.length})`);
  assert.ok(responses.length > 30, `response bodies captured (${responses.length})`);
  const everything = [...logs, ...responses].join('\n');
  const photos = [...new Set([...report.beneficiaries.flatMap((b) => b.enrolPhotos), ...report.visits.flatMap((v) => v.photos)])];
  const leaks = await scan(everything, photos, seen.otps, report.model.threads);
  assert.deepEqual(leaks, [], 'no OTP, embedding, pixel or mobile number in a log line or response');
});

/** Where an OTP, a component or the bytes of an embedding, JPEG bytes, a number dump or a mobile number appears in `text`. */
async function scan(text: string, photos: string[], otps: string[], threads: number): Promise<string[]> {
  const leaks: string[] = [];
  for (const otp of otps) if (new RegExp(`(?<![0-9])${otp}(?![0-9])`).test(text)) leaks.push('an OTP');
  // Whole digit runs only: a float's noise digits (e.g. a response time 1.2349000000101) are not a phone number.
  for (const mobile of ['9000000101', '9000000102', '9000000103', '9000000105']) if (new RegExp(`(?<![0-9])(?:\\+?91)?${mobile}(?![0-9])`).test(text)) leaks.push(`mobile ${mobile}`);
  if (/"ct":"/.test(text)) leaks.push('an envelope');

  // Every number printed with ≥ 6 decimals: as float32 (any full-precision rendering of a component
  // hits), and as text (a component rounded to 6–8 decimals hits).
  const printed = new Set<number>();
  const rounded = new Set<string>();
  for (const m of text.matchAll(/-?\d*\.(\d{6,})(?:e-?\d+)?/g)) {
    printed.add(Math.fround(Number(m[0])));
    if (m[1]!.length <= 8 && !m[0].includes('e')) rounded.add(m[0].replace(/^(-?)\./, '$10.'));
  }
  const roundings = (x: number) => [6, 7, 8].map((d) => x.toFixed(d));
  const pipeline = await createFacePipeline({ threads });
  try {
    for (const photo of photos) {
      const bytes = readFileSync(join(LFW, 'images', photo));
      const r = await pipeline.process(new Uint8Array(bytes));
      assert.ok(r.ok, `${photo} passed the pipeline during the demo`);
      const hits = [...r.embedding].filter((x) => Math.abs(x) > 1e-3 && (printed.has(x) || text.includes(String(x)) || roundings(x).some((s) => rounded.has(s))));
      if (hits.length) leaks.push(`${hits.length} embedding value(s) of ${photo}`);
      const b64 = Buffer.from(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength).toString('base64');
      if (text.includes(b64.slice(0, 24))) leaks.push(`embedding bytes of ${photo}`);
      const mid = bytes.subarray(bytes.length >> 1, (bytes.length >> 1) + 18);
      if (text.includes(mid.toString('base64')) || text.includes(mid.toString('hex'))) leaks.push(`JPEG bytes of ${photo}`);
      r.embedding.fill(0);
    }
  } finally {
    await pipeline.close();
  }
  if (/(?:-?\d+(?:\.\d+)?(?:e-?\d+)?,\s*){16,}/.test(text)) leaks.push('a run of 16+ numbers (an array dump)');
  return leaks;
}
