import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { loadConfig } from '../src/config.js';
import { HttpSmsGateway, SmsSendError } from '../src/sms/http-gateway.js';
import { ADMIN, createHarness, enrolledBeneficiary, syntheticFace, WORKER } from './harness.js';

/**
 * A fake SMS gateway on 127.0.0.1, started by the test: it records every request and answers from
 * a script the test sets (status, body, delay), so retries, timeouts and refusals are real HTTP.
 */
interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}
type Script = (seen: Seen, n: number) => { status: number; body?: unknown; delayMs?: number; headers?: Record<string, string> };

const seen: Seen[] = [];
let script: Script = () => ({ status: 200, body: { id: 'gw-1', status: 'accepted' } });
const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: raw ? JSON.parse(raw) : undefined };
  seen.push(s);
  const a = script(s, seen.length);
  if (a.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
  if (res.destroyed) return;
  res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
  res.end(a.body === undefined ? '' : JSON.stringify(a.body));
});
let base: string;
before(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const gateway = (over: Partial<ConstructorParameters<typeof HttpSmsGateway>[0]> = {}) =>
  new HttpSmsGateway({
    url: `${base}/v1/sms`,
    authHeader: 'X-Api-Key: k-123',
    dltTemplateId: '1107160000000012345',
    dltEntityId: '1101600000000099999',
    senderId: 'POSHAN',
    timeoutMs: 500,
    retries: 2,
    statusUrl: `${base}/v1/sms/{id}`,
    backoffMs: () => 10,
    ...over,
  });

const fresh = (s: Script) => {
  seen.length = 0;
  script = s;
};

test('a message goes out as one JSON POST with the auth header, DLT template and entity ids, sender id and a reference', async () => {
  fresh(() => ({ status: 202, body: { id: 'gw-42', status: 'queued' } }));
  const receipt = await gateway().send('+919812345678', 'Poshan THR: your OTP is 654321.');
  assert.deepEqual(receipt, { id: 'gw-42', status: 'accepted' });
  assert.equal(seen.length, 1);
  const [r] = seen;
  assert.equal(r!.method, 'POST');
  assert.equal(r!.url, '/v1/sms');
  assert.equal(r!.headers['x-api-key'], 'k-123');
  assert.equal(r!.body.to, '+919812345678');
  assert.equal(r!.body.text, 'Poshan THR: your OTP is 654321.');
  assert.equal(r!.body.sender, 'POSHAN');
  assert.equal(r!.body.dltTemplateId, '1107160000000012345');
  assert.equal(r!.body.dltEntityId, '1101600000000099999');
  assert.match(r!.body.reference, /^[0-9a-f-]{36}$/);
  assert.equal(r!.headers['idempotency-key'], r!.body.reference);
});

test('5xx, 429 and timeouts are retried with the same reference, then succeed', async () => {
  fresh((_s, n) => (n === 1 ? { status: 503 } : n === 2 ? { status: 200, delayMs: 900 } : { status: 200, body: { id: 'gw-3' } }));
  const waits: Array<number | undefined> = [];
  const receipt = await gateway({ backoffMs: (_a, retryAfter) => (waits.push(retryAfter), 10) }).send('+919812345678', 'x 111111');
  assert.equal(receipt.id, 'gw-3');
  assert.equal(seen.length, 3, 'a 503, a timeout (900 ms > 500 ms), then success');
  assert.equal(new Set(seen.map((s) => s.body.reference)).size, 1, 'one reference for every try: the gateway can de-duplicate');

  fresh((_s, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : { status: 200, body: { id: 'gw-4' } }));
  waits.length = 0;
  await gateway({ backoffMs: (_a, retryAfter) => (waits.push(retryAfter), 10) }).send('+919812345678', 'x 111111');
  assert.deepEqual(waits, [2000], "the gateway's Retry-After reaches the backoff");
});

test('the default backoff grows exponentially with jitter and honours Retry-After', async () => {
  fresh(() => ({ status: 503 }));
  const started = Date.now();
  const err = await gateway({ retries: 2, backoffMs: undefined }).send('+919812345678', 'x 222222').catch((e) => e);
  assert.ok(err instanceof SmsSendError);
  assert.equal(seen.length, 3);
  // Full jitter: at most 250 + 500 ms of waiting in all.
  assert.ok(Date.now() - started < 750 + 2000, `${Date.now() - started} ms`);
});

test('a 4xx is not retried; giving up says how it failed and never carries the number or the text', async () => {
  fresh(() => ({ status: 400, body: { error: 'template mismatch' } }));
  const bad = await gateway().send('+919812345678', 'Poshan THR: your OTP is 987654.').catch((e) => e);
  assert.ok(bad instanceof SmsSendError);
  assert.equal(seen.length, 1);
  assert.equal(bad.status, 400);
  assert.equal(bad.retryable, false);

  fresh(() => ({ status: 500 }));
  const down = await gateway().send('+919812345678', 'Poshan THR: your OTP is 987654.').catch((e) => e);
  assert.equal(seen.length, 3);
  assert.match(down.message, /answered 500, after 3 tries/);

  fresh(() => ({ status: 200, body: { nothing: true } }));
  const noId = await gateway().send('+919812345678', 'Poshan THR: your OTP is 987654.').catch((e) => e);
  assert.match(noId.message, /no id/);
  assert.equal(seen.length, 1, 'an answer without an id is not retried (it may have been sent)');

  const unreachable = await gateway({ url: 'http://127.0.0.1:9/v1/sms' }).send('+919812345678', 'Poshan THR: your OTP is 987654.').catch((e) => e);
  assert.match(unreachable.message, /cannot be reached/);
  for (const e of [bad, down, noId, unreachable]) {
    assert.doesNotMatch(`${e.message} ${e.stack}`, /987654|9812345678/);
  }
});

test('delivery status comes from the status URL, in our words', async () => {
  fresh((s) => ({ status: 200, body: { status: s.url.endsWith('/gw-9') ? 'DELIVRD' : 'UNDELIV' } }));
  assert.equal(await gateway().deliveryStatus('gw-9'), 'delivered');
  assert.equal(await gateway().deliveryStatus('gw-8'), 'failed');
  assert.equal(seen[0]!.method, 'GET');
  assert.equal(seen[0]!.headers['x-api-key'], 'k-123');
  fresh(() => ({ status: 404 }));
  assert.equal(await gateway().deliveryStatus('gw-x'), 'unknown');
  assert.equal(await gateway({ statusUrl: undefined }).deliveryStatus('gw-9'), 'unknown');
});

test('configuration: the gateway needs its DLT template and sender; a bad URL or header is refused at start-up', () => {
  assert.equal(loadConfig({}).sms, undefined);
  assert.throws(() => loadConfig({ SMS_GATEWAY_URL: 'https://gw.example/sms' }), /SMS_DLT_TEMPLATE_ID must be/);
  assert.throws(() => loadConfig({ SMS_GATEWAY_URL: 'https://gw.example/sms', SMS_DLT_TEMPLATE_ID: '1' }), /SMS_SENDER_ID must be/);
  assert.throws(() => loadConfig({ SMS_GATEWAY_URL: 'ftp://gw', SMS_DLT_TEMPLATE_ID: '1', SMS_SENDER_ID: 'P' }), /http\(s\) URL/);
  assert.throws(() => loadConfig({ SMS_GATEWAY_URL: 'https://gw', SMS_DLT_TEMPLATE_ID: '1', SMS_SENDER_ID: 'P', SMS_GATEWAY_AUTH_HEADER: 'no colon' }), /Name: value/);
  const c = loadConfig({ SMS_GATEWAY_URL: 'https://gw.example/sms', SMS_DLT_TEMPLATE_ID: '1107', SMS_SENDER_ID: 'POSHAN', SMS_GATEWAY_AUTH_HEADER: 'Authorization: Bearer t' });
  assert.deepEqual(c.sms, { url: 'https://gw.example/sms', authHeader: 'Authorization: Bearer t', dltTemplateId: '1107', senderId: 'POSHAN', timeoutMs: 5000, retries: 2 });
});

test('the OTP route through the gateway: the code reaches the gateway, never a log or a response; a dead gateway is 502 sms_failed', async () => {
  const h = await createHarness({ sms: gateway() });
  try {
    assert.equal((await h.call('GET', '/v1/dev/outbox', await h.token(WORKER))).status, 404, 'no development outbox route with a real gateway');
    const token = await h.token(WORKER);
    const { id } = await enrolledBeneficiary(h, syntheticFace(71, h.dim));
    const c = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: id, reason: 'camera_fault' });
    fresh(() => ({ status: 200, body: { id: 'gw-otp-1' } }));
    const sent = await h.call('POST', `/v1/fallback-cases/${c.body.id}/otp`, token);
    assert.equal(sent.status, 201, JSON.stringify(sent.body));
    assert.equal(seen.length, 1);
    const otp = /\b(\d{6})\b/.exec(seen[0]!.body.text)![1]!;
    assert.equal(seen[0]!.body.to, '+919812345678');

    fresh(() => ({ status: 503 }));
    const failed = await h.call('POST', `/v1/fallback-cases/${c.body.id}/otp`, token);
    assert.equal(failed.status, 502);
    assert.equal(failed.body.code, 'sms_failed');
    assert.equal(seen.length, 3, 'retried before giving up');
    const failedOtp = /\b(\d{6})\b/.exec(seen[0]!.body.text)![1]!;

    assert.equal((await h.call('POST', `/v1/fallback-cases/${c.body.id}/otp/verify`, token, { otp })).body.code, 'otp_incorrect', 'a newer challenge replaced the first');
    assert.equal((await h.call('POST', `/v1/fallback-cases/${c.body.id}/otp/verify`, token, { otp: failedOtp })).status, 200);
    for (const text of [...h.logs, ...h.responses]) {
      assert.ok(!text.includes(otp) && !text.includes(failedOtp), 'an OTP in a log line or a response');
    }
  } finally {
    await h.close();
  }
});

test("the admin's case view shows whether each OTP arrived: the gateway's status for the receipt id kept on the challenge; a slow or failing gateway is unknown, never an error", async () => {
  // A short timeout of the case view's own: the gateway's send timeout here is 500 ms.
  const h = await createHarness({ sms: gateway() });
  try {
    const token = await h.token(WORKER);
    const admin = await h.token(ADMIN);
    const { id } = await enrolledBeneficiary(h, syntheticFace(72, h.dim));
    const c = await h.call('POST', '/v1/fallback-cases', token, { beneficiaryId: id, reason: 'camera_fault' });
    const caseView = async () => {
      const r = await h.call('GET', `/v1/review/cases/${c.body.id}`, admin);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.otp;
    };
    assert.deepEqual(await caseView(), { sent: 0, verified: false, messages: [] });

    // Two OTPs: the first accepted by the gateway as gw-a, the second lost (503 on every try: no id).
    fresh(() => ({ status: 200, body: { id: 'gw-a' } }));
    assert.equal((await h.call('POST', `/v1/fallback-cases/${c.body.id}/otp`, token)).status, 201);
    const otp = /\b(\d{6})\b/.exec(seen[0]!.body.text)![1]!;
    fresh(() => ({ status: 503 }));
    assert.equal((await h.call('POST', `/v1/fallback-cases/${c.body.id}/otp`, token)).status, 502);
    const rows = (await h.ctx.db.query<{ sms_message_id: string | null }>('SELECT sms_message_id FROM otp_challenges WHERE case_id = $1 ORDER BY created_at, id', [c.body.id])).rows;
    assert.deepEqual(rows.map((r) => r.sms_message_id), ['gw-a', null], 'the receipt id is kept on its challenge; a failed send has none');

    // The gateway reports gw-a delivered: asked by its id when the admin opens the case.
    fresh((s) => ({ status: 200, body: { status: s.url === '/v1/sms/gw-a' ? 'DELIVRD' : 'FAILED' } }));
    const view = await caseView();
    assert.equal(view.sent, 2);
    assert.deepEqual(view.messages.map((m: { delivery: string }) => m.delivery), ['delivered', 'unknown']);
    for (const m of view.messages) assert.ok(!Number.isNaN(Date.parse(m.sentAt)));
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), ['GET /v1/sms/gw-a'], 'one status request, for the message that has an id');

    // The gateway later says it failed; then it is too slow for the case view (1.5 s), then down.
    fresh(() => ({ status: 200, body: { status: 'UNDELIV' } }));
    assert.equal((await caseView()).messages[0].delivery, 'failed');
    fresh(() => ({ status: 200, body: { status: 'DELIVRD' }, delayMs: 2500 }));
    const t0 = Date.now();
    assert.equal((await caseView()).messages[0].delivery, 'unknown');
    assert.ok(Date.now() - t0 < 2400, `the view waited ${Date.now() - t0} ms for a slow gateway`);
    fresh(() => ({ status: 500 }));
    assert.equal((await caseView()).messages[0].delivery, 'unknown');

    // Nothing that identifies the message or the person: not the OTP, the number or the gateway's id.
    const text = JSON.stringify(view);
    for (const secret of [otp, '9812345678', 'gw-a']) assert.ok(!text.includes(secret), `the case view carries ${secret}`);
    for (const line of h.logs) assert.ok(!line.includes(otp) && !line.includes('9812345678'), 'an OTP or the mobile in a log line');
  } finally {
    await h.close();
  }
});
