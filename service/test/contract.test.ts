import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Beneficiary, CATEGORIES, CONSENT_METHODS, FALLBACK_REASONS, REVIEW_STATUSES } from '@chehra/contract';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { openApiPlugin } from '../src/openapi.js';
import { replies } from '../src/routes/schemas.js';
import { createHarness, enrolledBeneficiary, syntheticFace, type Harness } from './harness.js';

let h: Harness;
let token: string;
let id: string;
before(async () => {
  h = await createHarness();
  ({ id, token } = await enrolledBeneficiary(h, syntheticFace(43, h.dim)));
});
after(() => h.close());

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

test('every API route declares a 2xx response schema', () => {
  assert.deepEqual(h.app.routesWithoutResponseSchema, []);
});

test('the guard notices a route without a response schema, and one with', async () => {
  const app = Fastify();
  await app.register(openApiPlugin);
  app.get('/v1/bare', { config: { roles: 'public' } }, async () => ({ ok: true }));
  app.get('/v1/typed', { config: { roles: 'public' }, schema: { response: replies({ 200: Beneficiary }) } }, async () => ({}));
  await app.ready();
  assert.deepEqual(app.routesWithoutResponseSchema, ['GET /v1/bare']);
  await app.close();
});

test('/openapi.json is a valid OpenAPI 3.1 document listing every API route with its responses and roles', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(res.statusCode, 200);
  const doc = res.json();
  const validator = new Validator();
  const result = await validator.validate(doc);
  assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1)?.slice(0, 3000));
  assert.equal(doc.openapi, '3.1.0');

  const ops = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, op: item[m] })),
  );
  const keys = ops.map((o) => o.key);
  for (const expected of ['POST /v1/beneficiaries', 'GET /v1/beneficiaries/{id}', 'POST /v1/verifications', 'POST /v1/fallback-cases/{id}/otp', 'GET /v1/review/cases', 'GET /v1/audit/verify', 'GET /healthz']) {
    assert.ok(keys.includes(expected), `${expected} is documented (have: ${keys.join(', ')})`);
  }
  assert.ok(!keys.some((k) => / \/(admin|app|docs)\b/.test(k)), 'static files are not API operations');
  for (const { key, op } of ops) {
    const ok = Object.keys(op.responses ?? {}).filter((s) => s.startsWith('2'));
    assert.ok(ok.length > 0, `${key} documents a success response`);
    assert.ok(op.responses['4XX'] ?? op.responses['4xx'], `${key} documents its error body`);
  }
  // Allowed values come from the contract, so a client reads them here, not in the source.
  const create = doc.paths['/v1/beneficiaries'].post;
  assert.deepEqual(create.requestBody.content['application/json'].schema.properties.category.enum, [...CATEGORIES]);
  assert.match(create.description, /Roles: worker/);
  assert.deepEqual(create.security, [{ bearer: [] }]);
  const queue = doc.paths['/v1/review/cases'].get.parameters as Array<{ name: string; schema: { enum?: string[] } }>;
  assert.deepEqual(queue.find((p) => p.name === 'reason')?.schema.enum, [...FALLBACK_REASONS]);
  assert.deepEqual(queue.find((p) => p.name === 'status')?.schema.enum, [...REVIEW_STATUSES]);
  assert.equal(doc.paths['/healthz'].get.security, undefined, 'public routes need no token');
});

test('/docs serves a page for people', async () => {
  const res = await h.app.inject({ method: 'GET', url: '/docs/' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /text\/html/);
  assert.match(res.body, /swagger/i);
});

test('a value outside a closed list is refused with the allowed values named', async () => {
  const post = (url: string, body: unknown) => h.call('POST', url, token, body);
  const category = await post('/v1/beneficiaries', { category: 'adult_male', name: 'X' });
  assert.equal(category.status, 400);
  assert.equal(category.body.code, 'invalid_request');
  assert.equal(category.body.message, `body.category must be one of: ${CATEGORIES.join(', ')}`);

  const method = await post(`/v1/beneficiaries/${id}/consents`, { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1', language: 'hi', method: 'telepathy' });
  assert.equal(method.status, 400);
  assert.equal(method.body.message, `body.method must be one of: ${CONSENT_METHODS.join(', ')}`);

  const reason = await post('/v1/fallback-cases', { beneficiaryId: id, reason: 'tired' });
  assert.equal(reason.status, 400);
  assert.equal(reason.body.message, `body.reason must be one of: ${FALLBACK_REASONS.join(', ')}`);

  const unknown = await post('/v1/beneficiaries', { category: 'pregnant', name: 'X', awc: 'AWC-999' });
  assert.equal(unknown.body.message, 'body has a field that is not allowed: awc');
  // The value sent is never echoed back.
  assert.doesNotMatch(JSON.stringify([category.body, method.body, reason.body, unknown.body]), /adult_male|telepathy|tired|AWC-999/);
});

test('a response carries exactly the fields its contract schema lists', async () => {
  const got = await h.call('GET', `/v1/beneficiaries/${id}`, token);
  assert.equal(got.status, 200);
  const listed = Object.keys(Beneficiary.properties);
  for (const k of Object.keys(got.body)) assert.ok([...listed, 'consentActive', 'templates'].includes(k), `${k} is in the contract`);
});

test('a field a handler returns but the contract does not list never leaves (a second guard for mobiles)', async () => {
  const app = Fastify();
  await app.register(openApiPlugin);
  const row = { id, category: 'pregnant', name: 'Asha', birthDate: null, awc: 'A', district: 'D', state: 'S', mobile: '+919876543210', mobileMasked: '******3210', guardian: null, createdAt: new Date(0).toISOString() };
  app.get('/v1/leaky', { config: { roles: 'public' }, schema: { response: replies({ 200: Beneficiary }) } }, async () => row as never);
  const res = await app.inject({ method: 'GET', url: '/v1/leaky' });
  await app.close();
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().mobileMasked, '******3210');
  assert.equal(res.json().mobile, undefined);
  assert.doesNotMatch(res.body, /9876543210/);
});

test('error bodies keep the machine-readable extras the contract lists', async () => {
  // A worker without consent on file: the 409 carries the fallback advice (listed in ErrorBody).
  const created = await h.call('POST', '/v1/beneficiaries', token, { category: 'pregnant', name: 'No Consent' });
  const enrol = await h.call('POST', `/v1/beneficiaries/${created.body.id}/templates`, token, { envelope: h.seal(syntheticFace(44, h.dim), 'worker-1') });
  assert.equal(enrol.status, 409);
  assert.equal(enrol.body.code, 'consent_required');
  assert.equal(enrol.body.fallback.reason, 'no_consent');
  assert.deepEqual(enrol.body.fallback.options, ['otp', 'supervisor_attestation']);
});
