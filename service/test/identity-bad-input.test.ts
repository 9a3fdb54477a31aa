import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHarness, IDENTITY_TABLES, rowCounts, type Harness } from './harness.js';
import { addAndSignIn, bootstrapAndSignIn, signIn } from './identity-helpers.js';

let h: Harness;
let stateAdmin: string;
let admin: string;
let otherDistrictAdmin: string;
let otherStateAdmin: string;
let supervisor: string;
let worker: { accessToken: string; refreshToken: string; id: string };
let otherDistrictWorkerId: string;
let otherStateWorkerId: string;
const secrets: string[] = [];

before(async () => {
  h = await createHarness();
  stateAdmin = (await bootstrapAndSignIn(h, { role: 'state_admin', mobile: '9700000001', name: 'State', state: 'S1' }, '604712')).accessToken;
  admin = (await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9700000002', name: 'Admin D1', state: 'S1', district: 'D1' }, '604713')).accessToken;
  otherDistrictAdmin = (await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9700000003', name: 'Admin D9', state: 'S1', district: 'D9' }, '604714')).accessToken;
  // Same district code, another state: D1 of S9 is not D1 of S1.
  otherStateAdmin = (await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9700000004', name: 'Admin D1/S9', state: 'S9', district: 'D1' }, '604715')).accessToken;
  supervisor = (await addAndSignIn(h, admin, { role: 'supervisor', mobile: '9700000005', name: 'Sup', awcs: ['AWC-001'] }, '604716')).accessToken;
  worker = await addAndSignIn(h, supervisor, { role: 'worker', mobile: '9700000006', name: 'Worker', awc: 'AWC-001' }, '604717');
  otherDistrictWorkerId = (await addAndSignIn(h, otherDistrictAdmin, { role: 'worker', mobile: '9700000007', name: 'W D9', awc: 'AWC-001' }, '604718')).id;
  otherStateWorkerId = (await addAndSignIn(h, otherStateAdmin, { role: 'worker', mobile: '9700000008', name: 'W S9', awc: 'AWC-001' }, '604719')).id;
  secrets.push('604712', '604713', '604714', '604715', '604716', '604717', '604718', '604719', worker.refreshToken);
});
after(() => h.close());

/** Runs the call and asserts it is this 4xx with this code and that no identity or audit row changed. */
async function refused(status: number, code: string, call: () => Promise<{ status: number; body: any }>) {
  const before = await rowCounts(h.ctx.db, IDENTITY_TABLES);
  const r = await call();
  assert.deepEqual([r.status, r.body?.code], [status, code], JSON.stringify(r.body));
  assert.deepEqual(await rowCounts(h.ctx.db, IDENTITY_TABLES), before, `nothing written for ${code}`);
}

test('malformed sign-in bodies are 400 invalid_request and write nothing (not even a failure count)', async () => {
  const good = { mobile: '9700000006', mpin: '604717', deviceId: 'device-bad-0001' };
  const bad: unknown[] = [
    { ...good, mobile: '12345' },
    { ...good, mobile: '0700000006' },
    { ...good, mobile: '97000000x6' },
    { ...good, mobile: '9700000006\u0000' },
    { ...good, mpin: '12' },
    { ...good, mpin: '1234567' },
    { ...good, mpin: 'abcd' },
    { ...good, mpin: 604717 },
    { ...good, deviceId: 'short' },
    { ...good, deviceId: 'has spaces in it' },
    { mobile: good.mobile, mpin: good.mpin },
    { ...good, role: 'district_admin' },
  ];
  for (const body of bad) await refused(400, 'invalid_request', () => h.call('POST', '/v1/auth/login', undefined, body));
  await refused(400, 'invalid_json', async () => {
    const r = await h.app.inject({ method: 'POST', url: '/v1/auth/login', headers: { 'content-type': 'application/json' }, payload: '{"mobile":' });
    return { status: r.statusCode, body: r.json() };
  });
});

test('an unknown number and a wrong MPIN get byte-identical answers', async () => {
  const unknown = await signIn(h, '9744444444', '604717', 'device-same-0001');
  const wrong = await signIn(h, '9700000006', '604799', 'device-same-0002');
  assert.equal(unknown.status, 401);
  assert.deepEqual(unknown.body, wrong.body);
  assert.equal(h.responses.at(-1), h.responses.at(-2));
});

test('forged, garbage and replayed refresh tokens: 401 with a code, nothing written', async () => {
  await refused(401, 'refresh_invalid', () => h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: `rt_${'A'.repeat(43)}` }));
  await refused(400, 'invalid_request', () => h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: 'not-a-token' }));
  await refused(400, 'invalid_request', () => h.call('POST', '/v1/auth/refresh', undefined, {}));
});

test('a disabled user’s live token and a refresh token of an ended session: 401 with a code, nothing written anywhere', async () => {
  // A worker of her own, signed in twice: one session to be ended by sign-out, then the account disabled.
  const w = await addAndSignIn(h, supervisor, { role: 'worker', mobile: '9700000010', name: 'To disable', awc: 'AWC-001' }, '604720');
  const other = await signIn(h, '9700000010', '604720', 'device-disabled-02');
  assert.equal(other.status, 200);
  assert.equal((await h.call('POST', '/v1/auth/logout', w.accessToken)).status, 204);
  secrets.push('604720', w.refreshToken, other.body.refreshToken);
  const everything = [...IDENTITY_TABLES, 'beneficiaries', 'consents', 'change_requests'];
  const refusedEverywhere = async (status: number, code: string, call: () => Promise<{ status: number; body: any }>) => {
    const before = await rowCounts(h.ctx.db, everything);
    const r = await call();
    assert.deepEqual([r.status, r.body?.code], [status, code], JSON.stringify(r.body));
    assert.deepEqual(await rowCounts(h.ctx.db, everything), before, `nothing written for ${code}`);
  };
  await refusedEverywhere(401, 'session_revoked', () => h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: w.refreshToken }));
  await refusedEverywhere(401, 'session_revoked', () => h.call('POST', '/v1/beneficiaries', w.accessToken, { category: 'pregnant', name: 'After sign-out' }));

  assert.equal((await h.call('POST', `/v1/users/${w.id}/disable`, admin)).status, 200);
  const live = other.body.accessToken;
  await refusedEverywhere(401, 'user_disabled', () => h.call('POST', '/v1/beneficiaries', live, { category: 'pregnant', name: 'After disable' }));
  await refusedEverywhere(401, 'user_disabled', () => h.call('GET', '/v1/beneficiaries', live));
  await refusedEverywhere(401, 'user_disabled', () => h.call('POST', '/v1/auth/mpin', live, { currentMpin: '604720', newMpin: '918274' }));
  await refusedEverywhere(401, 'session_revoked', () => h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: other.body.refreshToken }));
  await refusedEverywhere(403, 'account_disabled', () => signIn(h, '9700000010', '604720', 'device-disabled-03'));
});

test('who may add, disable and reset whom: each refusal a 403 with a code, nothing written', async () => {
  const body = (over: Record<string, unknown> = {}) => ({ role: 'worker', mobile: '9700000099', name: 'New', awc: 'AWC-001', ...over });
  await refused(403, 'role_forbidden', () => h.call('POST', '/v1/users', worker.accessToken, body()));
  await refused(403, 'role_forbidden', () => h.call('GET', '/v1/users', worker.accessToken));
  await refused(403, 'out_of_scope', () => h.call('POST', '/v1/users', supervisor, body({ awc: 'AWC-009' })));
  await refused(403, 'role_forbidden', () => h.call('POST', '/v1/users', supervisor, body({ role: 'supervisor', awc: undefined, awcs: ['AWC-001'] })));
  await refused(403, 'role_forbidden', () => h.call('POST', '/v1/users', admin, body({ role: 'district_admin', awc: undefined, district: 'D1' })));
  await refused(403, 'role_forbidden', () => h.call('POST', '/v1/users', admin, body({ role: 'state_admin', awc: undefined })));
  await refused(403, 'role_forbidden', () => h.call('POST', '/v1/users', stateAdmin, body()));
  await refused(403, 'role_forbidden', () => h.call('POST', `/v1/users/${worker.id}/reset-mpin`, supervisor));
  // Another district, and the same district code in another state.
  await refused(403, 'out_of_scope', () => h.call('POST', `/v1/users/${otherDistrictWorkerId}/reset-mpin`, admin));
  await refused(403, 'out_of_scope', () => h.call('POST', `/v1/users/${otherStateWorkerId}/reset-mpin`, admin));
  await refused(403, 'out_of_scope', () => h.call('POST', `/v1/users/${otherStateWorkerId}/disable`, admin));
  await refused(403, 'out_of_scope', () => h.call('POST', `/v1/users/${worker.id}/disable`, otherStateAdmin));
  await refused(403, 'out_of_scope', () => h.call('POST', `/v1/users/${otherStateWorkerId}/disable`, supervisor));
  await refused(404, 'user_not_found', () => h.call('POST', '/v1/users/no-such-user/disable', admin));
  await refused(400, 'invalid_request', () => h.call('POST', '/v1/users/bad%20id/disable', admin));
  const lists = await Promise.all([admin, otherStateAdmin].map(async (t) => (await h.call('GET', '/v1/users', t)).body.items.map((u: { id: string }) => u.id)));
  assert.ok(lists[0].includes(worker.id) && !lists[0].includes(otherStateWorkerId), 'D1/S1 lists its own only');
  assert.ok(lists[1].includes(otherStateWorkerId) && !lists[1].includes(worker.id), 'D1/S9 lists its own only');
});

test('bad new-user bodies and duplicates: 4xx with a code, nothing written', async () => {
  const ok = { role: 'worker', mobile: '9700000098', name: 'Lata', awc: 'AWC-001' };
  for (const over of [{ name: '   ' }, { name: 'a\u0000b' }, { name: 'x'.repeat(101) }, { mobile: '12345' }, { awc: 'AWC 001' }, { awc: '../x' }, { role: 'root' }, { extra: 1 }]) {
    await refused(400, 'invalid_request', () => h.call('POST', '/v1/users', supervisor, { ...ok, ...over }));
  }
  await refused(400, 'invalid_scope', () => h.call('POST', '/v1/users', admin, { ...ok, awc: undefined, awcs: ['AWC-001'] }));
  await refused(400, 'invalid_scope', () => h.call('POST', '/v1/users', admin, { ...ok, role: 'supervisor', awc: undefined, awcs: ['AWC-001', 'AWC-001'] }));
  await refused(409, 'mobile_taken', () => h.call('POST', '/v1/users', supervisor, { ...ok, mobile: '9700000006' }));
  await refused(409, 'cannot_disable_self', async () => {
    const me = JSON.parse(Buffer.from(admin.split('.')[1]!, 'base64url').toString()).sub;
    return h.call('POST', `/v1/users/${me}/disable`, admin);
  });
});

test('MPIN change: wrong current MPIN, weak or unchanged new MPIN are refused; nothing changes', async () => {
  const weak = ['0000', '1111', '123456', '654321', '4321', '2580', '7451', '121212', '123123', '0006', '000006'];
  for (const newMpin of weak) await refused(400, 'weak_mpin', () => h.call('POST', '/v1/auth/mpin', worker.accessToken, { currentMpin: '604717', newMpin }));
  await refused(400, 'weak_mpin', () => h.call('POST', '/v1/auth/mpin', worker.accessToken, { currentMpin: '604717', newMpin: '604717' }));
  await refused(400, 'invalid_request', () => h.call('POST', '/v1/auth/mpin', worker.accessToken, { currentMpin: '604717', newMpin: '12a4' }));
  // A wrong current MPIN counts towards the lock (one row in the throttle table), so count separately.
  const before = await rowCounts(h.ctx.db, ['users', 'sessions', 'refresh_tokens', 'audit_log']);
  const wrong = await h.call('POST', '/v1/auth/mpin', worker.accessToken, { currentMpin: '604700', newMpin: '918273' });
  assert.deepEqual([wrong.status, wrong.body.code], [403, 'mpin_incorrect']);
  assert.deepEqual(await rowCounts(h.ctx.db, ['users', 'sessions', 'refresh_tokens', 'audit_log']), before);
  assert.equal((await signIn(h, '9700000006', '604717', 'device-after-0001')).status, 200, 'the MPIN is unchanged');
});

test('no MPIN, MPIN hash or refresh token in any log; no hash in any response', async () => {
  const hashes = (await h.ctx.db.query<{ mpin_hash: string }>('SELECT mpin_hash FROM users')).rows.map((r) => r.mpin_hash);
  const tokenHashes = (await h.ctx.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens')).rows.map((r) => r.token_hash);
  const logs = h.logs.join('\n');
  const responses = h.responses.join('\n');
  assert.ok(logs.length > 1000, 'the app did log');
  for (const s of secrets) assert.doesNotMatch(logs, new RegExp(`(?<![0-9A-Za-z_-])${s}(?![0-9A-Za-z_-])`), 'a secret in the logs');
  for (const x of [...hashes, ...tokenHashes]) {
    assert.ok(!logs.includes(x), 'a hash in the logs');
    assert.ok(!responses.includes(x), 'a hash in a response');
  }
  assert.doesNotMatch(logs, /rt_[A-Za-z0-9_-]{43}/, 'a refresh token in the logs');
  assert.doesNotMatch(logs, /scrypt\$/, 'an MPIN hash in the logs');
  assert.doesNotMatch(responses, /scrypt\$|mpin_?hash/i);
  // The changed MPINs never appear in a response (only one-time MPINs do, once, to the admin who made them).
  for (const s of secrets.slice(0, 8)) assert.doesNotMatch(responses, new RegExp(`(?<![0-9])${s}(?![0-9])`));
});
