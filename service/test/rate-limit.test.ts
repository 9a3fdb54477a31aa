import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import { buildApp } from '../src/app.js';
import { DEFAULT_RATE_LIMITS, LIMITED_ACTIONS, type RateLimits } from '../src/rate-limit.js';
import { ADMIN, CONSENT, createHarness, enrolledBeneficiary, syntheticFace, WORKER, type Harness } from './harness.js';

// Issue 10, item 1: verification, enrolment, identification, OTP and sign-in are limited per user
// and per source address, with 429, retry-after and a code.

const tight = (perUser: number, perSource: number): RateLimits =>
  Object.fromEntries(LIMITED_ACTIONS.map((a) => [a, { perUser: { max: perUser, windowMs: 60_000 }, perSource: { max: perSource, windowMs: 60_000 } }])) as RateLimits;

let h: Harness;
let b: { id: string; token: string };
let cases: string[];
let guardian: string;
let child: string;
before(async () => {
  h = await createHarness({ rateLimits: tight(2, 6) });
  // Set-up enrols through the same limits: one setup worker per beneficiary.
  const setup = (i: number): Principal => ({ sub: `setup-${i}`, role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' });
  b = await enrolledBeneficiary(h, syntheticFace(3001, h.dim), { worker: setup(0) });
  cases = [];
  for (const i of [1, 2, 3]) {
    const c = await enrolledBeneficiary(h, syntheticFace(3010 + i, h.dim), { worker: setup(i) });
    cases.push((await h.call('POST', '/v1/fallback-cases', c.token, { beneficiaryId: c.id, reason: 'camera_fault' })).body.id);
  }
  // A mother who collects for her baby by her own face.
  const mother = await enrolledBeneficiary(h, syntheticFace(3020, h.dim), { worker: setup(4) });
  guardian = mother.id;
  child = (await h.call('POST', '/v1/beneficiaries', mother.token, { category: 'child_6m_3y', name: 'Baby', birthDate: new Date(Date.now() - 365 * 86_400_000).toISOString().slice(0, 10), guardian: { name: 'Asha Devi', relation: 'mother' } })).body.id;
  assert.equal((await h.call('POST', `/v1/beneficiaries/${child}/consents`, mother.token, { ...CONSENT, givenBy: 'guardian' })).status, 201);
  assert.equal((await h.call('POST', `/v1/beneficiaries/${child}/guardians`, mother.token, { guardianId: guardian, relation: 'mother' })).status, 201);
});
after(() => h.close());

const W2: Principal = { sub: 'worker-rl-2', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' };
const W3: Principal = { sub: 'worker-rl-3', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' };
const W4: Principal = { sub: 'worker-rl-4', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1' };
const guardianVisit = (tok: string, who: Principal, i: number, ip: string) => h.call('POST', '/v1/guardian-visits', tok, { guardianId: guardian, childIds: [child], envelope: h.seal(syntheticFace(3600 + i, h.dim), who.sub) }, { ip });

function assert429(res: { status: number; body: any; headers: Record<string, unknown> }, limit: 'user' | 'source', what: string) {
  assert.equal(res.status, 429, `${what}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.code, 'rate_limited', what);
  assert.equal(res.body.limit, limit, what);
  const retry = Number(res.headers['retry-after']);
  assert.ok(retry >= 1 && retry <= 60, `${what}: retry-after ${res.headers['retry-after']}`);
  assert.equal(res.body.retryAfter, retry, what);
}

test('every limited route answers 429 rate_limited with retry-after once a user passes her limit', async () => {
  const rows: Array<[string, (tok: string, i: number) => Promise<{ status: number; body: any; headers: Record<string, unknown> }>, Principal]> = [];
  rows.push(['verification', (tok, i) => h.call('POST', '/v1/verifications', tok, { beneficiaryId: b.id, envelope: h.seal(syntheticFace(3100 + i, h.dim), W2.sub) }, { ip: `10.1.0.${i}` }), W2]);
  rows.push(['enrolment', (tok, i) => h.call('POST', `/v1/beneficiaries/${b.id}/templates`, tok, { envelope: h.seal(syntheticFace(3200 + i, h.dim), W2.sub) }, { ip: `10.2.0.${i}` }), W2]);
  rows.push(['identification', (tok, i) => h.call('POST', '/v1/identifications', tok, { envelope: h.seal(syntheticFace(3300 + i, h.dim), ADMIN.sub) }, { ip: `10.3.0.${i}` }), ADMIN]);
  rows.push(['otp send', (tok, i) => h.call('POST', `/v1/fallback-cases/${cases[i % 3]}/otp`, tok, undefined, { ip: `10.4.0.${i}` }), W2]);
  // A guardian visit scores a face as a verification does, and counts against the same limits.
  rows.push(['guardian visit', (tok, i) => guardianVisit(tok, W4, i, `10.6.0.${i}`), W4]);
  rows.push(['otp verify', (tok, i) => h.call('POST', `/v1/fallback-cases/${cases[i % 3]}/otp/verify`, tok, { otp: '000000' }, { ip: `10.5.0.${i}` }), W2]);
  for (const [what, send, who] of rows) {
    const tok = await h.token(who);
    const allowed = [await send(tok, 0), await send(tok, 1)];
    for (const r of allowed) assert.notEqual(r.status, 429, `${what}: within the limit`);
    // The third from the same user, even from another address, is refused before it reaches the database.
    assert429(await send(tok, 2), 'user', what);
  }
  // The worker who used up her verifications cannot go on through guardian visits.
  assert429(await guardianVisit(await h.token(W2), W2, 9, '10.6.1.1'), 'user', 'a guardian visit after the verification limit');
});

test('a source address is limited across users; other addresses and other users are not affected', async () => {
  const id = b.id;
  const send = async (p: Principal, ip: string, i: number) => h.call('POST', '/v1/verifications', await h.token(p), { beneficiaryId: id, envelope: h.seal(syntheticFace(3500 + i, h.dim), p.sub) }, { ip });
  const users = ['a', 'b', 'c', 'd', 'e', 'f'].map((x): Principal => ({ ...W3, sub: `worker-src-${x}` }));
  for (let i = 0; i < 6; i++) assert.notEqual((await send(users[i % 3]!, '10.77.0.1', i)).status, 429);
  assert429(await send(users[5]!, '10.77.0.1', 6), 'source', 'a seventh request from one address, by a user with none before');
  assert.notEqual((await send(users[5]!, '10.77.0.2', 7)).status, 429, 'another address is not limited');
});

test('sign-in routes under /v1/auth/ are limited per account and per address without declaring it', async () => {
  const app = await buildApp(h.ctx, { rateLimits: tight(2, 4) });
  // Stands in for the identity module's sign-in route: it declares nothing about rate limits.
  app.post('/v1/auth/sign-in', { config: { roles: 'public' } }, async () => ({ ok: true }));
  await app.ready();
  try {
    const signIn = (mobile: string, ip: string) => app.inject({ method: 'POST', url: '/v1/auth/sign-in', payload: { mobile, mpin: '1234' }, remoteAddress: ip });
    // One number however it is written (sign-in takes all three as the same account).
    assert.equal((await signIn('+919800000001', '10.8.0.1')).statusCode, 200);
    assert.equal((await signIn('9800000001', '10.8.0.2')).statusCode, 200);
    const third = await signIn('+91 98000-00001', '10.8.0.3');
    assert.equal(third.statusCode, 429, 'the account is limited whatever the address and however the number is written');
    assert.deepEqual([third.json().code, third.json().limit], ['rate_limited', 'user']);
    assert.ok(Number(third.headers['retry-after']) >= 1);
    // One address trying many accounts.
    for (let i = 0; i < 4; i++) assert.equal((await signIn(`+91980000010${i}`, '10.8.1.1')).statusCode, 200);
    const spray = await signIn('+919800000199', '10.8.1.1');
    assert.deepEqual([spray.statusCode, spray.json().limit], [429, 'source']);
    // Sign-out looks up the refresh token it is given, for anyone: limited per address like the rest.
    const signOut = (i: number) => app.inject({ method: 'POST', url: '/v1/auth/logout', payload: { refreshToken: `rt_${String(i).repeat(43).slice(0, 43)}` }, remoteAddress: '10.8.2.1' });
    for (let i = 0; i < 4; i++) assert.equal((await signOut(i)).statusCode, 204);
    const tooMany = await signOut(5);
    assert.deepEqual([tooMany.statusCode, tooMany.json().limit], [429, 'source']);
  } finally {
    await app.close();
  }
});

test('the production defaults limit every action, per user tighter than per source', () => {
  for (const a of LIMITED_ACTIONS) {
    const l = DEFAULT_RATE_LIMITS[a];
    assert.ok(l.perUser.max >= 1 && l.perUser.max <= l.perSource.max, a);
  }
});
