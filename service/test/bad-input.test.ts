import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness, enrolledBeneficiary, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

let h: Harness;
let token: string;
let id: string;
before(async () => {
  h = await createHarness();
  ({ id, token } = await enrolledBeneficiary(h, syntheticFace(41, h.dim)));
});
after(() => h.close());

async function raw(method: 'POST' | 'GET', url: string, payload: string | undefined, headers: Record<string, string> = {}) {
  const res = await h.app.inject({ method, url, payload, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers } });
  return { status: res.statusCode, body: res.json() };
}

test('malformed JSON, wrong types, missing fields, unknown fields, oversize bodies: 4xx with a code, nothing written', async () => {
  const before = await rowCounts(h.ctx.db);
  const cases: Array<[string, Awaited<ReturnType<typeof raw>>, number, string]> = [
    ['malformed JSON', await raw('POST', '/v1/beneficiaries', '{"category": "pregnant",'), 400, 'invalid_json'],
    ['empty body', await raw('POST', '/v1/beneficiaries', ''), 400, 'invalid_json'],
    ['wrong type', await raw('POST', '/v1/beneficiaries', JSON.stringify({ category: 'pregnant', name: 123 })), 400, 'invalid_request'],
    ['unknown category', await raw('POST', '/v1/beneficiaries', JSON.stringify({ category: 'adult_male', name: 'X' })), 400, 'invalid_request'],
    ['missing field', await raw('POST', '/v1/beneficiaries', JSON.stringify({ name: 'X' })), 400, 'invalid_request'],
    ['unknown field', await raw('POST', '/v1/beneficiaries', JSON.stringify({ category: 'pregnant', name: 'X', awc: 'AWC-999' })), 400, 'invalid_request'],
    ['bad mobile', await raw('POST', '/v1/beneficiaries', JSON.stringify({ category: 'pregnant', name: 'X', mobile: 'call me' })), 400, 'invalid_request'],
    ['oversize', await raw('POST', '/v1/beneficiaries', JSON.stringify({ category: 'pregnant', name: 'x'.repeat(100_000) })), 413, 'body_too_large'],
    ['not JSON', await raw('POST', '/v1/beneficiaries', 'category=pregnant', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type'],
    ['bad uuid', await raw('GET', '/v1/beneficiaries/not-a-uuid', undefined), 400, 'invalid_request'],
    ['unknown beneficiary', await raw('GET', '/v1/beneficiaries/00000000-0000-4000-8000-000000000000', undefined), 404, 'beneficiary_not_found'],
    ['verify missing envelope', await raw('POST', '/v1/verifications', JSON.stringify({ beneficiaryId: id })), 400, 'invalid_request'],
    ['verify envelope of wrong type', await raw('POST', '/v1/verifications', JSON.stringify({ beneficiaryId: id, envelope: 'abc' })), 400, 'invalid_request'],
    ['consent with bad method', await raw('POST', `/v1/beneficiaries/${id}/consents`, JSON.stringify({ purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1', language: 'hi', method: 'telepathy' })), 400, 'invalid_request'],
    ['withdraw twice', await raw('POST', `/v1/beneficiaries/00000000-0000-4000-8000-000000000000/consents/withdraw`, '{}'), 404, 'beneficiary_not_found'],
    ['unknown route', await raw('GET', '/v1/nothing-here', undefined), 404, 'route_not_found'],
  ];
  for (const [name, res, status, code] of cases) {
    assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
    assert.equal(res.body.code, code, name);
    assert.equal(typeof res.body.message, 'string', name);
  }
  assert.deepEqual(await rowCounts(h.ctx.db), before);
});

test('withdrawing consent that is not active is 404 no_active_consent and changes nothing', async () => {
  const { id: fresh } = await enrolledBeneficiary(h, syntheticFace(42, h.dim), { consent: false });
  const before = await rowCounts(h.ctx.db);
  const res = await h.call('POST', `/v1/beneficiaries/${fresh}/consents/withdraw`, token, {});
  assert.deepEqual([res.status, res.body.code], [404, 'no_active_consent']);
  assert.deepEqual(await rowCounts(h.ctx.db), before);
});

test('an enrolment that looks like another beneficiary of the district is flagged, not stored', async () => {
  const face = syntheticFace(43, h.dim);
  await enrolledBeneficiary(h, face);
  const { id: second } = await enrolledBeneficiary(h, face, { enrol: false });
  const res = await h.call('POST', `/v1/beneficiaries/${second}/templates`, token, { envelope: h.seal(syntheticFace(43, h.dim, 0.3, 9), WORKER.sub) });
  assert.equal(res.status, 409);
  assert.equal(res.body.code, 'possible_duplicate');
  assert.ok(res.body.duplicateFlagId);
  assert.equal(JSON.stringify(res.body).includes(id), false, 'the other beneficiary is not named to the worker');
  const stored = await h.ctx.db.query('SELECT 1 FROM templates WHERE beneficiary_id = $1', [second]);
  assert.equal(stored.rows.length, 0);
  const flags = await h.ctx.db.query<{ status: string }>('SELECT status FROM duplicate_flags WHERE beneficiary_id = $1', [second]);
  assert.deepEqual(flags.rows, [{ status: 'open' }]);
});
