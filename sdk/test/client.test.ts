import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { mintToken } from '../../service/src/auth/tokens.js';
import { createHarness, syntheticFace, ADMIN, WORKER, type Harness } from '../../service/test/harness.js';
import { ChehraApiError, ChehraClient, type ConsentInput } from '../src/client.js';

// The client against the real service on a real listening port, and against small raw
// servers that misbehave the way field networks do (hang, captive portal, 502).

const CONSENT: ConsentInput = { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1.0', language: 'hi', method: 'thumb_impression' };

let h: Harness;
let baseUrl: string;
let workerToken: string;

before(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  workerToken = await h.token(WORKER);
});
after(() => h.close());

/** A throw-away server; `handler` decides how it misbehaves. Counts requests. */
async function rawServer(handler: Parameters<typeof createServer>[1]): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    handler!(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function rejection(p: Promise<unknown>): Promise<ChehraApiError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ChehraApiError, `expected ChehraApiError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the call to fail');
}

test('health and keys: typed answers, and the server clock offset is learnt from the Date header', async () => {
  const client = new ChehraClient({ baseUrl });
  assert.equal(client.serverClockOffsetMs, undefined);
  assert.deepEqual(await client.health(), { status: 'ok', database: h.ctx.db.kind });
  const keys = await client.keys();
  assert.equal(keys.current, h.ctx.keyring.current.kid);
  const current = keys.keys.find((k) => k.kid === keys.current);
  assert.equal(current?.alg, 'x25519-xsalsa20poly1305');
  assert.equal(Buffer.from(current!.publicKey, 'base64').length, 32);
  assert.ok(Math.abs(client.serverClockOffsetMs!) <= 1500, `same machine: offset ${client.serverClockOffsetMs} ms should be within the header's 1 s resolution`);
});

test('a worker journey through every route: register, consent, enrol, verify, refusal, withdraw', async () => {
  const client = new ChehraClient({ baseUrl, token: workerToken });
  const b = await client.createBeneficiary({ category: 'pregnant', name: 'Sunita Devi', mobile: '+919812340001' });
  assert.match(b.id, /^[0-9a-f-]{36}$/);
  assert.equal(b.awc, WORKER.awc);
  assert.equal(b.mobileMasked, '******0001');

  const noConsent = await rejection(client.enrolTemplate(b.id, h.seal(syntheticFace(11, h.dim), WORKER.sub)));
  assert.equal(noConsent.status, 409);
  assert.equal(noConsent.code, 'consent_required');
  assert.equal(noConsent.route, 'POST /v1/beneficiaries/:id/templates');
  assert.deepEqual(noConsent.fallback?.options, ['otp', 'supervisor_attestation']);
  assert.ok(!noConsent.message.includes(b.id), 'the message names the route template, not the beneficiary');

  const consent = await client.recordConsent(b.id, CONSENT);
  assert.equal(consent.active, true);
  assert.equal(consent.recordedBy, WORKER.sub);

  const enrolment = await client.enrolTemplate(b.id, h.seal(syntheticFace(11, h.dim), WORKER.sub));
  assert.equal(enrolment.modelId, h.modelId);
  assert.equal(enrolment.replaced, 0, 'a first enrolment replaces no template (a count on the wire)');

  const detail = await client.getBeneficiary(b.id);
  assert.equal(detail.consentActive, true);
  assert.deepEqual(detail.templates.map((t) => t.modelId), [h.modelId]);

  const v = await client.verify({ beneficiaryId: b.id, envelope: h.seal(syntheticFace(11, h.dim, 0.3, 1), WORKER.sub) });
  assert.equal(v.outcome, 'match');
  assert.equal(v.match, true);
  assert.ok(v.distributionId);
  assert.equal(v.scheme, 'THR');

  // The month's ration is already given: a refusal, with the verification record in details.
  const again = await rejection(client.verify({ beneficiaryId: b.id, scheme: 'THR', envelope: h.seal(syntheticFace(11, h.dim, 0.3, 2), WORKER.sub) }));
  assert.equal(again.status, 409);
  assert.equal(again.code, 'already_distributed');
  assert.equal(again.details.outcome, 'already_distributed');
  assert.equal(typeof again.details.verificationId, 'string');
  assert.equal(again.details.code, undefined, 'code and message are lifted out of details');

  const w = await client.withdrawConsent(b.id, { reason: 'moved away' });
  assert.equal(w.templatesDeleted, 1);
  assert.equal(w.consent.active, false);
  assert.equal((await rejection(client.withdrawConsent(b.id))).code, 'no_active_consent');
});

test('1:N identify with a district admin token', async () => {
  const client = new ChehraClient({ baseUrl, token: await h.token(ADMIN) });
  const r = await client.identify({ envelope: h.seal(syntheticFace(12, h.dim), ADMIN.sub), limit: 3 });
  assert.ok(Array.isArray(r.candidates));
  for (const c of r.candidates) assert.deepEqual(Object.keys(c), ['beneficiaryId'], 'no score, no threshold');
  assert.equal('threshold' in r, false);
});

test('service errors surface status and code; the message never holds the request body', async () => {
  const secretName = 'Kamla Bai Unique7731';
  const noToken = await rejection(new ChehraClient({ baseUrl }).createBeneficiary({ category: 'lactating', name: secretName }));
  assert.equal(noToken.status, 401);
  assert.equal(noToken.code, 'token_missing');

  const client = new ChehraClient({ baseUrl, token: workerToken });
  const invalid = await rejection(client.createBeneficiary({ category: 'lactating', name: secretName, mobile: 'not-a-number-9998887' }));
  assert.equal(invalid.status, 400);
  assert.equal(invalid.code, 'invalid_request');
  const envelope = h.seal(syntheticFace(13, h.dim), 'someone-else');
  const mismatch = await rejection(client.verify({ beneficiaryId: (await client.createBeneficiary({ category: 'lactating', name: 'X' })).id, envelope }));
  assert.equal(mismatch.status, 403);
  assert.equal(mismatch.code, 'envelope_worker_mismatch');
  for (const err of [noToken, invalid, mismatch]) {
    const everything = `${err.message}\n${err.stack}\n${JSON.stringify(err.details)}`;
    for (const secret of [secretName, 'not-a-number-9998887', envelope.ct.slice(0, 24), envelope.epk]) {
      assert.ok(!everything.includes(secret), `error ${err.code} must not carry request contents`);
    }
  }

  const unknown = await rejection(client.getBeneficiary('00000000-0000-4000-8000-000000000000'));
  assert.equal(unknown.status, 404);
  assert.equal(unknown.code, 'beneficiary_not_found');
});

test('an expired token: the service says token_expired and the client passes the code through', async () => {
  const expired = await mintToken(h.ctx.signingKeys.current, WORKER, 60, new Date(Date.now() - 3_600_000));
  const err = await rejection(new ChehraClient({ baseUrl, token: expired }).createBeneficiary({ category: 'lactating', name: 'Late' }));
  assert.equal(err.status, 401);
  assert.equal(err.code, 'token_expired');
  assert.ok(!err.message.includes(expired));
});

test('service down: network_error with status 0; a GET is retried, a POST is not', async () => {
  const down = await rawServer(() => {});
  const url = down.url;
  await down.close(); // nothing listens on this port now
  let calls = 0;
  const counting: typeof fetch = (input, init) => {
    calls++;
    return fetch(input, init);
  };
  const client = new ChehraClient({ baseUrl: url, token: workerToken, fetch: counting, retryDelayMs: 10 });

  const get = await rejection(client.keys());
  assert.equal(get.code, 'network_error');
  assert.equal(get.status, 0);
  assert.equal(get.networkCode, 'ECONNREFUSED');
  assert.equal(get.isNetworkFailure, true);
  assert.equal(calls, 3, 'GET: one attempt and two retries');

  calls = 0;
  const post = await rejection(client.verify({ beneficiaryId: '00000000-0000-4000-8000-000000000000', envelope: h.seal(syntheticFace(14, h.dim), WORKER.sub) }));
  assert.equal(post.code, 'network_error');
  assert.equal(calls, 1, 'a POST is never retried by the client');
  assert.match(post.message, /could not reach the service/);
});

test('a service that hangs: timeout, and the POST reached it exactly once', async () => {
  const hang = await rawServer(() => {}); // accepts, never answers
  try {
    const client = new ChehraClient({ baseUrl: hang.url, token: workerToken, timeoutMs: 150, retryDelayMs: 10 });
    const started = Date.now();
    const post = await rejection(client.enrolTemplate('00000000-0000-4000-8000-000000000000', h.seal(syntheticFace(15, h.dim), WORKER.sub)));
    assert.equal(post.code, 'timeout');
    assert.equal(post.status, 0);
    assert.ok(Date.now() - started < 2000);
    assert.equal(hang.hits(), 1);

    const get = await rejection(client.health());
    assert.equal(get.code, 'timeout');
    assert.equal(hang.hits(), 1 + 3, 'GET retried twice after timeouts');

    const controller = new AbortController();
    const pending = client.health({ signal: controller.signal, timeoutMs: 10_000 });
    setTimeout(() => controller.abort(), 30);
    assert.equal((await rejection(pending)).code, 'aborted');
  } finally {
    await hang.close();
  }
});

test('a captive portal (HTML 200) and a proxy 502 are not mistaken for answers', async () => {
  const portal = await rawServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Please log in to the village Wi-Fi</body></html>');
  });
  const proxy = await rawServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/html' });
    res.end('<h1>Bad gateway</h1>');
  });
  try {
    const html = await rejection(new ChehraClient({ baseUrl: portal.url }).keys());
    assert.equal(html.code, 'invalid_response');
    assert.equal(html.status, 200);
    const bad = await rejection(new ChehraClient({ baseUrl: proxy.url, retryDelayMs: 1 }).keys());
    assert.equal(bad.code, 'server_error');
    assert.equal(bad.status, 502);
    assert.equal(proxy.hits(), 3, '5xx on a GET is retried');
  } finally {
    await portal.close();
    await proxy.close();
  }
});

test('a bad base URL is refused up front', () => {
  assert.throws(() => new ChehraClient({ baseUrl: 'chehra.example' }), { code: 'invalid_base_url' });
  assert.throws(() => new ChehraClient({ baseUrl: 'file:///etc/passwd' }), { code: 'invalid_base_url' });
});

// ---------------------------------------------------------------------------------------------
// The fallback path through the client: a case opened after the face attempts, OTP to the
// registered mobile, supervisor attestation, and the district admin's review queue.
import { SUPERVISOR } from '../../service/test/harness.js';

test('fallback routes: attempts per beneficiary and day, OTP, attestation by the supervisor only, the review queue', async () => {
  const worker = new ChehraClient({ baseUrl, token: workerToken });
  const asha = await worker.createBeneficiary({ category: 'pregnant', name: 'Asha Kumari', mobile: '+919812340077' });
  await worker.recordConsent(asha.id, CONSENT);
  await worker.enrolTemplate(asha.id, h.seal(syntheticFace(31, h.dim), WORKER.sub));
  // Strangers' faces: the retry limit counts per beneficiary and day on every device, and at 0 the service opens the case.
  const tries = [];
  for (const [n, deviceId] of [[1, 'tab-1'], [2, 'tab-2'], [3, 'tab-1']] as const) {
    tries.push(await worker.verify({ beneficiaryId: asha.id, envelope: h.seal(syntheticFace(40 + n, h.dim), WORKER.sub), deviceId }));
  }
  assert.deepEqual(tries.map((v) => [v.outcome, v.fallback?.attemptsLeft]), [['no_match', 2], ['no_match', 1], ['no_match', 0]]);
  assert.deepEqual(tries.slice(0, 2).map((v) => v.fallback?.fallbackCaseId), [undefined, undefined]);
  const caseId = tries[2]!.fallback?.fallbackCaseId;
  assert.ok(caseId, 'the last answer names the case');
  // The face path is closed for the day now: a fourth try, from a fresh device, is refused unscored.
  const closed = await rejection(worker.verify({ beneficiaryId: asha.id, envelope: h.seal(syntheticFace(31, h.dim), WORKER.sub), deviceId: 'tab-9' }));
  assert.deepEqual([closed.status, closed.code, closed.fallback?.fallbackCaseId], [409, 'face_attempts_exhausted', caseId]);

  const same = await worker.openFallbackCase({ beneficiaryId: asha.id, reason: 'no_match', verificationId: tries[2]!.verificationId });
  assert.equal(same.id, caseId, "opening is idempotent: the month's case");
  const open = await worker.getFallbackCase(caseId);
  assert.deepEqual([open.reason, open.delivered, open.method, open.reviewStatus, open.verificationId], ['no_match', false, null, 'pending', tries[2]!.verificationId]);

  const sent = await worker.sendFallbackOtp(caseId);
  assert.deepEqual([sent.sentTo, sent.sendsLeft], ['******0077', 2]);
  const otp = /\b(\d{6})\b/.exec(h.outbox.latestTo('+919812340077')!.text)![1]!;
  const wrong = await rejection(worker.verifyFallbackOtp(caseId, otp === '000000' ? '111111' : '000000'));
  assert.deepEqual([wrong.status, wrong.code, wrong.details.attemptsLeft, wrong.route], [400, 'otp_incorrect', 2, 'POST /v1/fallback-cases/:id/otp/verify']);
  const done = await worker.verifyFallbackOtp(caseId, otp);
  assert.deepEqual([done.method, done.delivered, done.reviewStatus], ['otp', true, 'pending']);
  assert.ok(done.distributionId && done.completedAt);
  const twice = await rejection(worker.verifyFallbackOtp(caseId, otp));
  assert.deepEqual([twice.status, twice.code], [409, 'fallback_already_completed']);
  for (const err of [wrong, twice]) assert.ok(!`${err.message}\n${err.stack}\n${JSON.stringify(err.details)}`.includes(otp), 'no error carries the OTP');

  // A declared reason without a mobile: only the supervisor can complete it.
  const ravi = await worker.createBeneficiary({ category: 'child_3_6y', name: 'Ravi', guardian: { name: 'Sita', relation: 'mother' } });
  const opened = await worker.openFallbackCase({ beneficiaryId: ravi.id, reason: 'camera_fault', note: 'camera broken' });
  assert.equal(opened.reason, 'camera_fault');
  assert.deepEqual([(await rejection(worker.sendFallbackOtp(opened.id))).code], ['no_registered_mobile']);
  const byWorker = await rejection(worker.attestFallback(opened.id, { reasonCode: 'known_to_supervisor', note: 'I know him' }));
  assert.deepEqual([byWorker.status, byWorker.code], [403, 'role_forbidden']);
  const supervisor = new ChehraClient({ baseUrl, token: await h.token(SUPERVISOR) });
  assert.equal((await supervisor.getFallbackCase(opened.id)).delivered, false);
  const attested = await supervisor.attestFallback(opened.id, { reasonCode: 'home_visit', note: 'Visited the family' });
  assert.deepEqual([attested.method, attested.delivered, attested.attestationReason, attested.attestedBy, attested.workerNote], ['attestation', true, 'home_visit', SUPERVISOR.sub, 'camera broken']);

  // The district admin sees both, pending, with the query filters applied by the service.
  const admin = new ChehraClient({ baseUrl, token: await h.token(ADMIN) });
  const queue = await admin.reviewQueue({ status: 'pending', awc: WORKER.awc, limit: 500 });
  const ours = queue.items.filter((c) => c.beneficiaryId === asha.id || c.beneficiaryId === ravi.id);
  assert.deepEqual(ours.map((c) => [c.id, c.beneficiaryName, c.beneficiaryCategory, c.method]).sort(), [[caseId, 'Asha Kumari', 'pregnant', 'otp'], [opened.id, 'Ravi', 'child_3_6y', 'attestation']].sort());
  assert.ok(queue.total >= 2);
  const cameras = await admin.reviewQueue({ reason: 'camera_fault' });
  assert.ok(cameras.items.length >= 1 && cameras.items.every((c) => c.reason === 'camera_fault'));
  assert.equal((await admin.reviewQueue({ status: 'approved' })).items.some((c) => c.id === caseId), false);
  assert.equal((await admin.reviewQueue({ limit: 1 })).items.length, 1);
  assert.equal((await rejection(worker.reviewQueue())).code, 'role_forbidden');
});
