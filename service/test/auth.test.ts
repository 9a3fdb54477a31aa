import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SignJWT, base64url } from 'jose';
import { generateSigningKey } from '../src/auth/signing-key.js';
import { AUDIENCE, ISSUER, mintToken } from '../src/auth/tokens.js';
import { ADMIN, AUDITOR, CONSENT, createHarness, enrolledBeneficiary, OTHER_ADMIN, OTHER_AWC_WORKER, rowCounts, SUPERVISOR, syntheticFace, WORKER, type Harness } from './harness.js';

let h: Harness;
let beneficiaryId: string;
before(async () => {
  h = await createHarness();
  ({ id: beneficiaryId } = await enrolledBeneficiary(h, syntheticFace(11, h.dim)));
});
after(() => h.close());

const get = (token?: string) => h.call('GET', `/v1/beneficiaries/${beneficiaryId}`, token);

test('no token, a malformed header, a foreign signature, alg none: 401 with distinct codes', async () => {
  assert.deepEqual([(await get()).status, (await get()).body.code], [401, 'token_missing']);
  const raw = await h.app.inject({ method: 'GET', url: `/v1/beneficiaries/${beneficiaryId}`, headers: { authorization: 'Basic abc' } });
  assert.equal(raw.statusCode, 401);
  assert.equal(raw.json().code, 'token_invalid');

  const foreign = await mintToken(await generateSigningKey(), WORKER, 600);
  assert.equal((await get(foreign)).body.code, 'token_invalid');

  const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
  const claims = base64url.encode(JSON.stringify({ ...WORKER, iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }));
  const none = await get(`${header}.${claims}.`);
  assert.equal(none.status, 401);
  assert.equal(none.body.code, 'token_invalid');

  // Our key, but an HMAC header: refused by the algorithm allow-list.
  const hs = await new SignJWT({ role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' }).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').sign(new Uint8Array(32));
  assert.equal((await get(hs)).body.code, 'token_invalid');
});

test('an expired token is 401 token_expired; incomplete claims are token_invalid', async () => {
  const expired = await mintToken(h.ctx.signingKeys.current, WORKER, 60, new Date(Date.now() - 3600_000));
  const res = await get(expired);
  assert.equal(res.status, 401);
  assert.equal(res.body.code, 'token_expired');

  const { awc: _awc, ...noAwc } = WORKER;
  const incomplete = await new SignJWT({ ...noAwc }).setProtectedHeader({ alg: 'EdDSA', kid: h.ctx.signingKeys.current.kid }).setSubject('w').setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m').sign(h.ctx.signingKeys.current.privateKey);
  const r2 = await get(incomplete);
  assert.equal(r2.status, 401);
  assert.equal(r2.body.code, 'token_invalid');
  assert.match(r2.body.message, /awc/);
});

test('a role the route does not allow is 403 role_forbidden; out-of-scope access is 403 out_of_scope; nothing written', async () => {
  const before = await rowCounts(h.ctx.db);
  const auditorReg = await h.call('POST', '/v1/beneficiaries', await h.token(AUDITOR), { category: 'pregnant', name: 'X' });
  assert.deepEqual([auditorReg.status, auditorReg.body.code], [403, 'role_forbidden']);
  const adminVerify = await h.call('POST', '/v1/verifications', await h.token(ADMIN), { beneficiaryId, envelope: h.seal(syntheticFace(11, h.dim), ADMIN.sub) });
  assert.deepEqual([adminVerify.status, adminVerify.body.code], [403, 'role_forbidden']);
  const workerAudit = await h.call('GET', '/v1/audit/verify', await h.token(WORKER));
  assert.deepEqual([workerAudit.status, workerAudit.body.code], [403, 'role_forbidden']);

  const otherAwc = await h.token(OTHER_AWC_WORKER);
  assert.deepEqual([(await get(otherAwc)).status, (await get(otherAwc)).body.code], [403, 'out_of_scope']);
  const cross = await h.call('POST', '/v1/verifications', otherAwc, { beneficiaryId, envelope: h.seal(syntheticFace(11, h.dim), OTHER_AWC_WORKER.sub) });
  assert.deepEqual([cross.status, cross.body.code], [403, 'out_of_scope']);
  const crossConsent = await h.call('POST', `/v1/beneficiaries/${beneficiaryId}/consents/withdraw`, otherAwc, {});
  assert.deepEqual([crossConsent.status, crossConsent.body.code], [403, 'out_of_scope']);
  const otherAdmin = await get(await h.token(OTHER_ADMIN));
  assert.deepEqual([otherAdmin.status, otherAdmin.body.code], [403, 'out_of_scope']);
  assert.deepEqual(await rowCounts(h.ctx.db), before);

  // In scope: the district's admin and the sector's supervisor can read her.
  const inScope = await h.app.inject({ method: 'GET', url: `/v1/beneficiaries/${beneficiaryId}`, headers: { authorization: `Bearer ${await h.token(ADMIN)}` } });
  assert.equal(inScope.statusCode, 200);
  assert.equal(inScope.headers['cache-control'], 'no-store', 'personal data is not cached');
  assert.equal((await get(await h.token(SUPERVISOR))).status, 200);
});

test('lists are scoped: a worker sees her AWC only, an admin her district only', async () => {
  const other = await h.token(OTHER_AWC_WORKER);
  await h.call('POST', '/v1/beneficiaries', other, { category: 'adolescent_girl', name: 'Priya' });
  const mine = await h.call('GET', '/v1/beneficiaries', await h.token(WORKER));
  assert.ok(mine.body.items.length >= 1);
  assert.ok(mine.body.items.every((b: { awc: string }) => b.awc === WORKER.awc));
  const admin = await h.call('GET', '/v1/beneficiaries', await h.token(ADMIN));
  assert.ok(admin.body.items.some((b: { awc: string }) => b.awc === OTHER_AWC_WORKER.awc));
  const far = await h.call('GET', '/v1/beneficiaries', await h.token(OTHER_ADMIN));
  assert.deepEqual(far.body.items, []);
});

test('the JWKS endpoint publishes the public signing key only', async () => {
  const jwks = await h.call('GET', '/.well-known/jwks.json');
  assert.equal(jwks.status, 200);
  assert.equal(jwks.body.keys.length, 1);
  assert.equal(jwks.body.keys[0].crv, 'Ed25519');
  assert.equal(jwks.body.keys[0].d, undefined, 'no private part');
});

test('a child needs a guardian, and her consent is the guardian’s', async () => {
  const token = await h.token(WORKER);
  const noGuardian = await h.call('POST', '/v1/beneficiaries', token, { category: 'child_6m_3y', name: 'Baby' });
  assert.deepEqual([noGuardian.status, noGuardian.body.code], [400, 'guardian_required']);
  const child = await h.call('POST', '/v1/beneficiaries', token, { category: 'child_3_6y', name: 'Ravi', guardian: { name: 'Sunita', relation: 'mother' }, mobile: '9876543210' });
  assert.equal(child.status, 201);
  const self = await h.call('POST', `/v1/beneficiaries/${child.body.id}/consents`, token, CONSENT);
  assert.deepEqual([self.status, self.body.code], [400, 'guardian_consent_required']);
  const byGuardian = await h.call('POST', `/v1/beneficiaries/${child.body.id}/consents`, token, { ...CONSENT, givenBy: 'guardian' });
  assert.equal(byGuardian.status, 201);
  const twice = await h.call('POST', `/v1/beneficiaries/${child.body.id}/consents`, token, { ...CONSENT, givenBy: 'guardian' });
  assert.deepEqual([twice.status, twice.body.code], [409, 'consent_already_active']);
});
