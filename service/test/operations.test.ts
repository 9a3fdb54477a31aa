import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { ADMIN, CONSENT, createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

const METRICS_TOKEN = 'scrape-token-for-tests-0123456789';
const APP_ORIGIN = 'https://app.example.in';

let h: Harness;
before(async () => {
  h = await createHarness({ app: { metricsToken: METRICS_TOKEN, corsOrigins: [APP_ORIGIN] } });
});
after(() => h.close());

const scrape = async (token = METRICS_TOKEN) => h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${token}` } });
/** The value of one sample line, e.g. metric('chehra_verifications_total{outcome="match"}'). */
const metric = (text: string, sample: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
};

test('GET /metrics needs the scrape token; with it, requests, latency, verification outcomes, fallbacks, OTP sends, pool and event-loop lag', async () => {
  assert.equal((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
  const wrong = await scrape('scrape-token-for-tests-0123456780');
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.json().code, 'metrics_token_invalid');
  // A worker's token is no scrape token.
  assert.equal((await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${await h.token(WORKER)}` } })).statusCode, 401);

  const worker = await h.token(WORKER);
  const { id } = await enrolledBeneficiary(h, syntheticFace(31, h.dim));
  const mobile = '+919812345678'; // enrolledBeneficiary's
  const before = (await scrape()).body;
  assert.equal((await h.call('POST', '/v1/verifications', worker, { beneficiaryId: id, envelope: h.seal(syntheticFace(31, h.dim, 0.3, 1), WORKER.sub) })).body.match, true);
  const stranger = await enrolledBeneficiary(h, syntheticFace(32, h.dim));
  const miss = await h.call('POST', '/v1/verifications', worker, { beneficiaryId: stranger.id, envelope: h.seal(syntheticFace(33, h.dim), WORKER.sub) });
  assert.equal(miss.body.fallback.reason, 'no_match');
  const opened = await h.call('POST', '/v1/fallback-cases', worker, { beneficiaryId: id, reason: 'camera_fault' });
  // This month's ration was delivered by face already: the case is refused, and not counted.
  assert.equal(opened.status, 409);
  const caseRes = await h.call('POST', '/v1/fallback-cases', worker, { beneficiaryId: stranger.id, reason: 'camera_fault' });
  assert.equal(caseRes.status, 201);
  assert.equal((await h.call('POST', `/v1/fallback-cases/${caseRes.body.id}/otp`, worker)).status, 201);
  const otp = /\b(\d{6})\b/.exec(h.outbox.latestTo(mobile)!.text)![1]!;
  assert.equal((await h.call('POST', `/v1/fallback-cases/${caseRes.body.id}/otp/verify`, worker, { otp })).status, 200);
  await h.call('GET', `/v1/beneficiaries/${id}`, worker);
  await h.call('GET', '/no/such/route');

  const res = await scrape();
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  const after = res.body;
  const delta = (sample: string) => metric(after, sample) - metric(before, sample);
  assert.equal(delta('chehra_verifications_total{outcome="match"}'), 1);
  assert.equal(delta('chehra_verifications_total{outcome="no_match"}'), 1);
  assert.equal(delta('chehra_verification_fallbacks_total{reason="no_match"}'), 1);
  assert.equal(delta('chehra_fallback_cases_opened_total{reason="camera_fault"}'), 1);
  assert.equal(delta('chehra_otp_sends_total{result="sent"}'), 1);
  assert.equal(delta('chehra_fallback_deliveries_total{method="otp"}'), 1);
  // Route templates, never ids; a 404 is "unmatched", not its path.
  assert.equal(delta('http_requests_total{method="GET",route="/v1/beneficiaries/:id",status_code="200"}'), 1);
  assert.equal(delta('http_requests_total{method="GET",route="unmatched",status_code="404"}'), 1);
  assert.ok(metric(after, 'http_request_duration_seconds_count{method="POST",route="/v1/verifications",status_code="200"}') >= 1);
  assert.match(after, /^chehra_db_pool_connections\{state="total"\} \d+/m);
  assert.match(after, /^nodejs_eventloop_lag_seconds \d/m);

  // No personal data: no id, name, mobile or OTP anywhere in the scrape.
  for (const secret of [id, stranger.id, caseRes.body.id, mobile, mobile.slice(-10), otp, 'Asha Devi']) assert.ok(!after.includes(secret), `metrics leak ${secret}`);
});

test('guardian visits count in chehra_verifications_total: one per child verified, by outcome; a refusal by its code', async () => {
  const worker = await h.token(WORKER);
  const mother = await enrolledBeneficiary(h, syntheticFace(41, h.dim));
  const born = new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10);
  const kids: string[] = [];
  for (const name of ['Isha', 'Aarav', 'Veer']) {
    const id = (await h.call('POST', '/v1/beneficiaries', worker, { category: 'child_6m_3y', name, birthDate: born, guardian: { name: 'Asha Devi', relation: 'mother' } })).body.id as string;
    assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/consents`, worker, { ...CONSENT, givenBy: 'guardian' })).status, 201);
    kids.push(id);
  }
  for (const id of kids.slice(0, 2)) assert.equal((await h.call('POST', `/v1/beneficiaries/${id}/guardians`, worker, { guardianId: mother.id, relation: 'mother' })).status, 201);
  const visit = (childIds: string[], face: Float32Array) => h.call('POST', '/v1/guardian-visits', worker, { guardianId: mother.id, childIds, envelope: h.seal(face, WORKER.sub) });
  const before = (await scrape()).body;
  const miss = await visit([kids[0]!], syntheticFace(42, h.dim));
  assert.equal(miss.body.outcome, 'no_match');
  const both = await visit(kids.slice(0, 2), syntheticFace(41, h.dim, 0.3, 1));
  assert.equal(both.body.outcome, 'match', JSON.stringify(both.body));
  const unlinked = await visit([kids[2]!], syntheticFace(41, h.dim, 0.3, 2));
  assert.equal(unlinked.body.code, 'not_guardian_of_child');
  const after = (await scrape()).body;
  const delta = (sample: string) => metric(after, sample) - metric(before, sample);
  assert.equal(delta('chehra_verifications_total{outcome="match"}'), 2, 'one per child');
  assert.equal(delta('chehra_verifications_total{outcome="no_match"}'), 1);
  assert.equal(delta('chehra_verification_fallbacks_total{reason="no_match"}'), 1);
  assert.equal(delta('chehra_verifications_total{outcome="not_guardian_of_child"}'), 1);
  for (const secret of [mother.id, ...kids, both.body.visitId]) assert.ok(!after.includes(secret), `metrics leak ${secret}`);
});

test('security headers on every answer: API data, errors, 404s and the health check; the console keeps its own page policy', async () => {
  const answers = [
    await h.app.inject({ method: 'GET', url: '/healthz' }),
    await h.app.inject({ method: 'GET', url: '/v1/beneficiaries' }),
    await h.app.inject({ method: 'GET', url: '/nowhere' }),
    await h.app.inject({ method: 'POST', url: '/v1/verifications', headers: { authorization: `Bearer ${await h.token(WORKER)}` }, payload: '{bad json' }),
  ];
  for (const res of answers) {
    assert.equal(res.headers['content-security-policy'], "default-src 'none';base-uri 'none';form-action 'none';frame-ancestors 'none'", res.body);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cross-origin-opener-policy'], 'same-origin');
    assert.equal(res.headers['cross-origin-resource-policy'], 'same-origin');
    assert.equal(res.headers['x-powered-by'], undefined);
  }
  const page = await h.app.inject({ method: 'GET', url: '/admin/' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'; style-src 'self'/);
  assert.doesNotMatch(String(page.headers['content-security-policy']), /upgrade-insecure-requests|unsafe-inline/);
});

test('CORS: the configured app origin may call the API, any other origin gets no CORS headers', async () => {
  const preflight = (origin: string) =>
    h.app.inject({ method: 'OPTIONS', url: '/v1/verifications', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' } });
  const ok = await preflight(APP_ORIGIN);
  assert.equal(ok.statusCode, 204);
  assert.equal(ok.headers['access-control-allow-origin'], APP_ORIGIN);
  assert.match(String(ok.headers['access-control-allow-headers']), /authorization/);
  assert.equal(ok.headers['access-control-allow-credentials'], undefined);
  const evil = await preflight('https://evil.example');
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  // Lookalikes of the allowed origin are other origins.
  assert.equal((await preflight('https://app.example.in.evil.example')).headers['access-control-allow-origin'], undefined);
  assert.equal((await preflight('http://app.example.in')).headers['access-control-allow-origin'], undefined);

  const token = await h.token(ADMIN);
  const get = (origin: string) => h.app.inject({ method: 'GET', url: '/v1/review/cases', headers: { origin, authorization: `Bearer ${token}` } });
  assert.equal((await get(APP_ORIGIN)).headers['access-control-allow-origin'], APP_ORIGIN);
  assert.equal((await get('https://evil.example')).headers['access-control-allow-origin'], undefined);
});

test('no CORS origins configured: no CORS headers at all', async () => {
  // The same database as `h`: a harness of its own would, on a PostgreSQL server, empty the tables
  // (and so end the sessions) that the later tests' harness still uses.
  const plain = await createHarness({ db: h.ctx.db });
  try {
    const res = await plain.app.inject({ method: 'GET', url: '/healthz', headers: { origin: APP_ORIGIN } });
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    // And no /metrics without a scrape token.
    assert.equal((await plain.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode, 404);
  } finally {
    await plain.close();
  }
});

test('the development outbox is readable at /v1/dev/outbox, with a token, and says loudly that nothing was delivered', async () => {
  assert.equal((await h.call('GET', '/v1/dev/outbox')).status, 401);
  const worker = await h.token(WORKER);
  await h.ctx.sms.send('+919811112222', 'Poshan THR: your OTP is 123456.');
  const res = await h.app.inject({ method: 'GET', url: '/v1/dev/outbox?to=%2B919811112222', headers: { authorization: `Bearer ${worker}` } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['x-chehra-sms'], 'development-outbox; not-delivered');
  const body = res.json();
  assert.equal(body.development, true);
  assert.match(body.warning, /NOT delivered/);
  assert.equal(body.messages.length, 1);
  assert.equal(body.messages[0].text, 'Poshan THR: your OTP is 123456.');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal((await h.call('GET', '/v1/dev/outbox?to=not-a-number', worker)).status, 400);
});

test('the Grafana dashboard (docs/grafana-dashboard.json) queries only metrics the service exposes', async () => {
  const dashboard = JSON.parse(readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8'));
  const exprs: string[] = dashboard.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr));
  const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b([a-z_]+)(?:\{|\[)/g)].map((m) => m[1]!)).filter((n) => !['rate', 'sum', 'max', 'by', 'histogram_quantile', 'clamp_min'].includes(n)));
  assert.ok(names.size >= 10, [...names].join(', '));
  const exposed = (await scrape()).body;
  for (const name of names) {
    const base = name.replace(/_(bucket|count|sum)$/, '');
    assert.match(exposed, new RegExp(`^# TYPE ${base} `, 'm'), `the dashboard queries ${name}, which /metrics does not expose`);
  }
});
