import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mintToken } from '../src/auth/tokens.js';
import { bootstrapResetMpin, bootstrapUser } from '../src/identity/bootstrap-user.js';
import { createHarness, IDENTITY_TABLES, rowCounts, type Harness } from './harness.js';
import { addAndSignIn, bootstrapAndSignIn, firstSignIn, signIn } from './identity-helpers.js';
import { median as medianOf } from '../../testkit/stats.js';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

const MPINS = { state: '583920', admin: '470815', sup: '692047', worker: '815263', worker2: '306158' };

test('the flow: CLI bootstrap → state admin adds a district admin → she adds a supervisor → the supervisor adds a worker → one-time MPIN must be changed → works → logout refuses the same token', async () => {
  // Bootstrap: the CLI's code makes the first admin with a one-time MPIN.
  const boot = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'state_admin', mobile: '9800000010', name: 'Meera Rao', state: 'S1' });
  assert.match(boot.oneTimeMpin, /^[0-9]{6}$/);
  const first = await signIn(h, '+919800000010', boot.oneTimeMpin);
  assert.equal(first.status, 200);
  assert.equal(first.body.mustChangeMpin, true);
  assert.deepEqual({ role: first.body.user.role, state: first.body.user.state, mobile: first.body.user.mobile }, { role: 'state_admin', state: 'S1', mobile: '******0010' });
  assert.ok(first.body.expiresIn <= 900);
  // Until the MPIN is changed, nothing else works.
  const blocked = await h.call('GET', '/v1/users', first.body.accessToken);
  assert.deepEqual([blocked.status, blocked.body.code], [403, 'mpin_change_required']);
  const weak = await h.call('POST', '/v1/auth/mpin', first.body.accessToken, { currentMpin: boot.oneTimeMpin, newMpin: '123456' });
  assert.deepEqual([weak.status, weak.body.code], [400, 'weak_mpin']);
  const changed = await h.call('POST', '/v1/auth/mpin', first.body.accessToken, { currentMpin: boot.oneTimeMpin, newMpin: MPINS.state });
  assert.equal(changed.status, 200);
  assert.equal(changed.body.mustChangeMpin, false);
  // The change ended the one-time session: its token is refused, the new one works.
  assert.deepEqual((await h.call('GET', '/v1/users', first.body.accessToken)).body.code, 'session_revoked');
  const stateToken = changed.body.accessToken;
  assert.equal((await h.call('GET', '/v1/users', stateToken)).status, 200);

  const admin = await addAndSignIn(h, stateToken, { role: 'district_admin', mobile: '9800000011', name: 'Asha Singh', district: 'D1' }, MPINS.admin);
  assert.deepEqual([admin.user.role, admin.user.state, admin.user.district], ['district_admin', 'S1', 'D1']);
  const sup = await addAndSignIn(h, admin.accessToken, { role: 'supervisor', mobile: '9800000012', name: 'Kavita', awcs: ['AWC-001', 'AWC-002'] }, MPINS.sup);
  assert.deepEqual([sup.user.state, sup.user.district, sup.user.awcs], ['S1', 'D1', ['AWC-001', 'AWC-002']]);

  const added = await h.call('POST', '/v1/users', sup.accessToken, { role: 'worker', mobile: '9800000013', name: 'Sunita', awc: 'AWC-001' });
  assert.equal(added.status, 201);
  const w1 = await signIn(h, '9800000013', added.body.oneTimeMpin, 'phone-sunita-01');
  assert.equal(w1.body.mustChangeMpin, true);
  const early = await h.call('POST', '/v1/beneficiaries', w1.body.accessToken, { category: 'pregnant', name: 'Asha Devi' });
  assert.deepEqual([early.status, early.body.code], [403, 'mpin_change_required']);
  const worker = await firstSignIn(h, '9800000013', added.body.oneTimeMpin, MPINS.worker, 'phone-sunita-01');
  assert.deepEqual([worker.user.awc, worker.user.district, worker.user.state], ['AWC-001', 'D1', 'S1']);
  const reg = await h.call('POST', '/v1/beneficiaries', worker.accessToken, { category: 'pregnant', name: 'Asha Devi' });
  assert.equal(reg.status, 201);
  assert.equal(reg.body.awc, 'AWC-001');

  // The supervisor sees her worker; the district admin sees both; the state admin sees the district admin.
  const supList = (await h.call('GET', '/v1/users', sup.accessToken)).body.items.map((u: { mobile: string }) => u.mobile);
  assert.deepEqual(supList, ['******0013']);
  const adminList = (await h.call('GET', '/v1/users', admin.accessToken)).body.items.map((u: { role: string }) => u.role).sort();
  assert.deepEqual(adminList, ['supervisor', 'worker']);

  const out = await h.call('POST', '/v1/auth/logout', worker.accessToken);
  assert.equal(out.status, 204);
  const after = await h.call('GET', '/v1/beneficiaries', worker.accessToken);
  assert.deepEqual([after.status, after.body.code], [401, 'session_revoked']);
  const refreshAfter = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: worker.refreshToken });
  assert.deepEqual([refreshAfter.status, refreshAfter.body.code], [401, 'session_revoked']);

  const audit = (await h.ctx.db.query<{ action: string }>(`SELECT action FROM audit_log WHERE action LIKE 'user.%' ORDER BY seq`)).rows.map((r) => r.action);
  assert.equal(audit.filter((a) => a === 'user.created').length, 4);
  assert.ok(audit.includes('user.mpin_changed') && audit.includes('user.signed_out'));
  const chain = await h.call('GET', '/v1/audit/verify', await h.token({ sub: 'auditor-x', role: 'auditor' }));
  assert.equal(chain.body.ok, true);
});

test('5 wrong MPINs lock the number for 15 minutes, known or not, and count per device too', async () => {
  const { oneTimeMpin } = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'district_admin', mobile: '9800000020', name: 'Lock Test', state: 'S1', district: 'D2' });
  await firstSignIn(h, '9800000020', oneTimeMpin, '240681', 'device-lock-a');
  const start = new Date();
  h.setNow(start);
  try {
    for (let i = 0; i < 4; i++) assert.equal((await signIn(h, '9800000020', '999990', `device-lock-${i}x`)).body.code, 'invalid_credentials');
    const fifth = await h.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { mobile: '9800000020', mpin: '999990', deviceId: 'device-lock-5x' } });
    assert.equal(fifth.statusCode, 423);
    assert.equal(fifth.json().code, 'account_locked');
    assert.equal(fifth.headers['retry-after'], '900');
    // Locked means locked: the right MPIN too, from any device.
    assert.equal((await signIn(h, '9800000020', '240681', 'device-lock-a')).body.code, 'account_locked');
    // An unknown number locks the same way: a lock says nothing about whether a number is registered.
    for (let i = 0; i < 4; i++) assert.equal((await signIn(h, '9811111111', '999990', `device-unk-${i}x`)).body.code, 'invalid_credentials');
    assert.equal((await signIn(h, '9811111111', '999990', 'device-unk-5x')).body.code, 'account_locked');
    h.setNow(new Date(start.getTime() + 15 * 60_000 + 1000));
    assert.equal((await signIn(h, '9800000020', '240681', 'device-lock-a')).status, 200, 'the lock ends after 15 minutes');

    // One device trying several numbers is locked after 5 failures, for every number.
    for (let i = 0; i < 5; i++) await signIn(h, `98222222${10 + i}`, '999990', 'device-guesser');
    assert.equal((await signIn(h, '9800000020', '240681', 'device-guesser')).body.code, 'account_locked');
    assert.equal((await signIn(h, '9800000020', '240681', 'device-honest')).status, 200);
  } finally {
    h.setNow(undefined as unknown as Date);
  }
});

test('an unknown number and a wrong MPIN answer the same, in about the same time (the KDF runs on a dummy hash)', async () => {
  await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'auditor', mobile: '9800000030', name: 'Timing' });
  const time = async (mobile: string, i: number) => {
    const t0 = performance.now();
    const r = await signIn(h, mobile, '739164', `device-timing-${mobile}-${i}`);
    return { ms: performance.now() - t0, body: r.body, status: r.status };
  };
  const known = [];
  const unknown = [];
  for (let i = 0; i < 4; i++) {
    known.push(await time('9800000030', i));
    unknown.push(await time('9833333333', i));
  }
  assert.deepEqual({ ...unknown[0]!.body }, { ...known[0]!.body });
  assert.equal(unknown[0]!.status, 401);
  const median = (xs: { ms: number }[]) => medianOf(xs.map((x) => x.ms));
  // Loose bounds: the machine is shared; without the dummy hash an unknown number answers ~100× faster.
  assert.ok(median(unknown) > median(known) * 0.4, `unknown ${median(unknown).toFixed(1)} ms vs known ${median(known).toFixed(1)} ms`);
});

test('refresh rotates the token; reusing an old one ends the whole session', async () => {
  const { oneTimeMpin } = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'district_admin', mobile: '9800000040', name: 'Rotation', state: 'S1', district: 'D4' });
  const s = await firstSignIn(h, '9800000040', oneTimeMpin, '615083');
  const r1 = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: s.refreshToken });
  assert.equal(r1.status, 200);
  assert.notEqual(r1.body.refreshToken, s.refreshToken);
  const r2 = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: r1.body.refreshToken });
  assert.equal(r2.status, 200);
  assert.equal((await h.call('GET', '/v1/users', r2.body.accessToken)).status, 200);
  // The first token again: someone else holds a copy. The session ends for both holders.
  const reused = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: s.refreshToken });
  assert.deepEqual([reused.status, reused.body.code], [401, 'refresh_reused']);
  assert.equal((await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: r2.body.refreshToken })).body.code, 'session_revoked');
  assert.equal((await h.call('GET', '/v1/users', r2.body.accessToken)).body.code, 'session_revoked');
  // Only hashes are stored.
  const stored = (await h.ctx.db.query<{ token_hash: string }>('SELECT token_hash FROM refresh_tokens')).rows.map((r) => r.token_hash);
  for (const t of [s.refreshToken, r1.body.refreshToken, r2.body.refreshToken]) assert.ok(!stored.includes(t));
});

test('disabling a user ends all her sessions at once; an MPIN reset ends them and hands out a new one-time MPIN', async () => {
  const admin = await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9800000050', name: 'Disabler', state: 'S1', district: 'D5' }, '508217');
  const w = await addAndSignIn(h, admin.accessToken, { role: 'worker', mobile: '9800000051', name: 'Rekha', awc: 'AWC-050' }, '731640');
  const second = await signIn(h, '9800000051', '731640', 'second-phone-01');
  assert.equal(second.status, 200);

  const reset = await h.call('POST', `/v1/users/${w.id}/reset-mpin`, admin.accessToken);
  assert.equal(reset.status, 200);
  assert.equal(reset.body.user.mustChangeMpin, true);
  assert.equal((await h.call('GET', '/v1/beneficiaries', w.accessToken)).body.code, 'session_revoked');
  assert.equal((await signIn(h, '9800000051', '731640')).body.code, 'invalid_credentials', 'the old MPIN no longer works');
  const again = await firstSignIn(h, '9800000051', reset.body.oneTimeMpin, '902736');

  const live = await signIn(h, '9800000051', '902736', 'second-phone-01');
  const disabled = await h.call('POST', `/v1/users/${w.id}/disable`, admin.accessToken);
  assert.deepEqual([disabled.status, disabled.body.status], [200, 'disabled']);
  for (const token of [again.accessToken, live.body.accessToken]) {
    const r = await h.call('GET', '/v1/beneficiaries', token);
    assert.deepEqual([r.status, r.body.code], [401, 'user_disabled']);
  }
  assert.equal((await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: live.body.refreshToken })).body.code, 'session_revoked');
  assert.equal((await signIn(h, '9800000051', '902736')).body.code, 'account_disabled');
  const open = await h.ctx.db.query<{ n: string }>('SELECT count(*) AS n FROM sessions WHERE user_id = $1 AND revoked_at IS NULL', [w.id]);
  assert.equal(Number(open.rows[0]!.n), 0);
  assert.equal((await h.call('POST', `/v1/users/${w.id}/disable`, admin.accessToken)).body.code, 'already_disabled');

  // Both changes audited: who did it, to whom, how many sessions it ended (her phone and the second
  // one each time; the one-time MPIN's session had already ended with its change). Nothing for the refusal.
  assert.deepEqual(await userChanges(w.id), [
    { action: 'user.mpin_reset', actor: admin.user.id, role: 'district_admin', district: 'D5', details: { role: 'worker', sessionsEnded: 2 } },
    { action: 'user.disabled', actor: admin.user.id, role: 'district_admin', district: 'D5', details: { role: 'worker', sessionsEnded: 2 } },
  ]);
});

/** The audit entries of disables and MPIN resets of this account, oldest first. */
async function userChanges(id: string) {
  const { rows } = await h.ctx.db.query<{ action: string; actor: string; role: string; district: string | null; details: unknown }>(
    "SELECT action, actor, role, district, details FROM audit_log WHERE subject_type = 'user' AND subject_id = $1 AND action IN ('user.disabled', 'user.mpin_reset') ORDER BY id",
    [id],
  );
  return rows.map((r) => ({ ...r }));
}

test('a supervisor disables a worker of her own sector: her sessions end, and the audit names the supervisor', async () => {
  const admin = await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9800000100', name: 'Admin D10', state: 'S1', district: 'D10' }, '508219');
  const sup = await addAndSignIn(h, admin.accessToken, { role: 'supervisor', mobile: '9800000101', name: 'Kavita', awcs: ['AWC-101', 'AWC-102'] }, '692048');
  const w = await addAndSignIn(h, sup.accessToken, { role: 'worker', mobile: '9800000102', name: 'Lata', awc: 'AWC-102' }, '731641');
  const disabled = await h.call('POST', `/v1/users/${w.id}/disable`, sup.accessToken);
  assert.deepEqual([disabled.status, disabled.body.status, disabled.body.awc], [200, 'disabled', 'AWC-102']);
  const refused = await h.call('GET', '/v1/beneficiaries', w.accessToken);
  assert.deepEqual([refused.status, refused.body.code], [401, 'user_disabled']);
  const row = (await h.ctx.db.query<{ status: string; disabled_by: string }>('SELECT status, disabled_by FROM users WHERE id = $1', [w.id])).rows[0]!;
  assert.deepEqual({ ...row }, { status: 'disabled', disabled_by: sup.id });
  assert.deepEqual(await userChanges(w.id), [{ action: 'user.disabled', actor: sup.id, role: 'supervisor', district: 'D10', details: { role: 'worker', sessionsEnded: 1 } }]);
});

test('the CLI’s MPIN reset (a locked-out admin) ends her sessions and is audited as done by the CLI', async () => {
  const admin = await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9800000110', name: 'Forgot', state: 'S1', district: 'D11' }, '508220');
  const reset = await bootstrapResetMpin(h.ctx.db, h.ctx.mpin, '+919800000110');
  assert.equal(reset.user.mustChangeMpin, true);
  assert.equal((await h.call('GET', '/v1/users', admin.accessToken)).body.code, 'session_revoked');
  assert.deepEqual(await userChanges(admin.user.id), [{ action: 'user.mpin_reset', actor: 'cli', role: 'system', district: 'D11', details: { role: 'district_admin', sessionsEnded: 1 } }]);
  await firstSignIn(h, '9800000110', reset.oneTimeMpin, '508221');
});

test('tokens: iat in the future, a lifetime over 15 min, no session (unless DEV_TOKENS), a disabled user’s development token, a rotated key past its grace', async () => {
  const admin = await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9800000060', name: 'Tokens', state: 'S1', district: 'D6' }, '820461');
  const claims = JSON.parse(Buffer.from(admin.accessToken.split('.')[1]!, 'base64url').toString());
  assert.ok(claims.jti && claims.sid && claims.iat && claims.exp - claims.iat <= 900);
  assert.deepEqual(Object.keys(claims).sort(), ['aud', 'district', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'state', 'sub']);
  const principal = { sub: claims.sub, role: claims.role, state: 'S1', district: 'D6', sid: claims.sid };
  const key = h.ctx.signingKeys.current;
  const get = async (token: string) => (await h.call('GET', '/v1/users', token)).body.code;

  assert.equal(await get(await mintToken(key, principal, 600, new Date(Date.now() + 10 * 60_000))), 'token_invalid', 'iat in the future');
  assert.equal(await get(await mintToken(key, principal, 3600)), 'token_invalid', 'a session token may live 15 min at most');
  assert.equal(await get(await mintToken(key, { ...principal, sid: '00000000-0000-4000-8000-000000000000' }, 600)), 'token_invalid', 'an unknown session');
  const { sid: _sid, ...noSession } = principal;
  const dev = await mintToken(key, noSession, 600);
  assert.equal(await get(dev), 'token_invalid', 'development tokens are refused unless DEV_TOKENS=1');
  h.ctx.devTokens = true;
  try {
    assert.equal((await h.call('GET', '/v1/users', dev)).status, 200);
    const devWorker = await mintToken(key, { sub: 'dev-worker', role: 'worker', awc: 'A', district: 'D6', state: 'S1' }, 600);
    assert.equal((await h.call('GET', '/v1/beneficiaries', devWorker)).status, 200);
    const disabled = (await h.ctx.db.query<{ id: string }>(`SELECT id FROM users WHERE status = 'disabled' LIMIT 1`)).rows[0]!;
    const devDisabled = await mintToken(key, { sub: disabled.id, role: 'worker', awc: 'AWC-050', district: 'D5', state: 'S1' }, 600);
    assert.equal((await h.call('GET', '/v1/beneficiaries', devDisabled)).body.code, 'user_disabled');
  } finally {
    h.ctx.devTokens = false;
  }

  // Rotation: the old key still verifies within its grace, and the JWKS lists both.
  const oldKeys = h.ctx.signingKeys;
  const rotated = await oldKeys.rotated(new Date());
  h.ctx.signingKeys = rotated;
  try {
    assert.equal((await h.call('GET', '/v1/users', admin.accessToken)).status, 200, 'a token signed before the rotation');
    const jwks = await h.call('GET', '/.well-known/jwks.json');
    assert.deepEqual(jwks.body.keys.map((k: { kid: string }) => k.kid).sort(), [key.kid, rotated.current.kid].sort());
    const fresh = await signIn(h, '9800000060', '820461');
    assert.equal(JSON.parse(Buffer.from(fresh.body.accessToken.split('.')[0], 'base64url').toString()).kid, rotated.current.kid);
    const later = new Date(Date.now() + rotated.graceMs + 60_000);
    h.setNow(later);
    assert.equal(await get(await mintToken(key, principal, 600, later)), 'token_invalid', 'the old key past its grace');
  } finally {
    h.setNow(undefined as unknown as Date);
    h.ctx.signingKeys = oldKeys;
  }
  const counts = await rowCounts(h.ctx.db, IDENTITY_TABLES);
  assert.ok(counts.users! > 0);
});

/** Counts the MPIN checks the service runs (a real one, or the dummy for an unknown number) while `fn` runs. */
async function countingKdf<T>(fn: () => Promise<T>): Promise<{ result: T; evaluated: number }> {
  const mpin = h.ctx.mpin;
  const verify = mpin.verify.bind(mpin);
  const burn = mpin.burn.bind(mpin);
  let evaluated = 0;
  mpin.verify = (a, b) => (evaluated++, verify(a, b));
  mpin.burn = (a) => (evaluated++, burn(a));
  try {
    return { result: await fn(), evaluated };
  } finally {
    mpin.verify = verify;
    mpin.burn = burn;
  }
}

/** A sign-in from its own address: the bursts below stay clear of the per-address rate limit, which is not what they test. */
let addresses = 0;
const guess = (mobile: string, mpin: string, deviceId: string) =>
  h.call('POST', '/v1/auth/login', undefined, { mobile, mpin, deviceId }, { ip: `10.9.${Math.floor(++addresses / 250)}.${addresses % 250}` });

test('concurrent wrong MPINs cannot outrun the lock: at most 5 are checked per number, and per device, in a lock window', async () => {
  const { oneTimeMpin } = await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'district_admin', mobile: '9800000070', name: 'Burst', state: 'S1', district: 'D7' });
  await firstSignIn(h, '9800000070', oneTimeMpin, '390517', 'device-burst-home');
  const start = new Date();
  h.setNow(start);
  try {
    // 20 guesses at once, each from its own device: before, 16 were checked and the right MPIN went through as the 20th.
    const wrong = Array.from({ length: 20 }, (_, i) => `${String(100000 + i * 7919).slice(0, 6)}`).filter((m) => m !== '390517');
    const burst = await countingKdf(() => Promise.all(wrong.map((m, i) => guess(i % 2 ? '+919800000070' : '9800000070', m, `device-burst-${i}`))));
    assert.equal(burst.evaluated, 5, 'no more MPINs checked than the lock allows');
    const codes = burst.result.map((r) => r.body.code);
    assert.equal(codes.filter((c) => c === 'invalid_credentials').length, 4);
    assert.equal(codes.filter((c) => c === 'account_locked').length, wrong.length - 4);
    for (const r of burst.result.filter((x) => x.status === 423)) assert.equal(r.headers['retry-after'], '900');

    // Locked: the right MPIN is refused without being checked.
    const right = await countingKdf(() => guess('9800000070', '390517', 'device-burst-home'));
    assert.deepEqual([right.result.status, right.result.body.code, right.evaluated], [423, 'account_locked', 0]);
    const rows = (await h.ctx.db.query<{ failures: number; locked: boolean }>('SELECT failures, locked_until > $1 AS locked FROM signin_throttle WHERE updated_at = $1', [start])).rows;
    assert.equal(rows.filter((r) => r.locked).length, 1, 'one lock: the number’s');
    assert.equal(rows.reduce((n, r) => n + r.failures, 0), 5, 'the five checked guesses, one on each device that made them; refused ones count nowhere');
    const locks = await h.ctx.db.query("SELECT 1 FROM audit_log WHERE action = 'user.locked' AND at = $1", [start]);
    assert.equal(locks.rows.length, 1);

    // One device guessing 12 numbers at once: 5 checked, and the device is then locked for every number.
    const device = await countingKdf(() => Promise.all(Array.from({ length: 12 }, (_, i) => guess(`98444444${10 + i}`, '739164', 'device-burst-one'))));
    assert.equal(device.evaluated, 5);
    assert.equal(device.result.filter((r) => r.status === 423).length, 8);
    const fromDevice = await countingKdf(() => guess('9844444499', '739164', 'device-burst-one'));
    assert.deepEqual([fromDevice.result.body.code, fromDevice.evaluated], ['account_locked', 0]);
    h.setNow(new Date(start.getTime() + 15 * 60_000 + 1000));
    assert.equal((await guess('9800000070', '390517', 'device-burst-home')).status, 200, 'the lock ends after 15 minutes');
  } finally {
    h.setNow(undefined as unknown as Date);
  }
});

test('under concurrent guessing, an unknown number and a known one with wrong MPINs still get the same answers', async () => {
  await bootstrapUser(h.ctx.db, h.ctx.mpin, { role: 'auditor', mobile: '9800000080', name: 'Same answers' });
  h.setNow(new Date());
  try {
    const burst = (mobile: string) => Promise.all(Array.from({ length: 9 }, (_, i) => guess(mobile, '739164', `device-same-${mobile}-${i}`)));
    const answers = (rs: Awaited<ReturnType<typeof burst>>) => rs.map((r) => JSON.stringify([r.status, r.body, r.headers['retry-after'] ?? null])).sort();
    const known = await burst('9800000080');
    const unknown = await burst('9855555555');
    assert.deepEqual(answers(unknown), answers(known));
    assert.deepEqual(new Set(known.map((r) => r.status)), new Set([401, 423]));
    // And once locked, both answer alike too.
    assert.deepEqual(answers([await guess('9855555555', '739164', 'device-same-late-1')]), answers([await guess('9800000080', '739164', 'device-same-late-2')]));
  } finally {
    h.setNow(undefined as unknown as Date);
  }
});

test('sign-out after the access token expired: the refresh token ends the session; an unknown one answers the same and writes nothing', async () => {
  const s = await bootstrapAndSignIn(h, { role: 'district_admin', mobile: '9800000090', name: 'Idle', state: 'S1', district: 'D8' }, '470518');
  const sid = JSON.parse(Buffer.from(s.accessToken.split('.')[1]!, 'base64url').toString()).sid;
  const start = new Date();
  h.setNow(new Date(start.getTime() + 20 * 60_000)); // idle past the 15-minute access token
  try {
    // Before: the bearer alone is refused and the session stays live, refresh token and all.
    const bare = await h.call('POST', '/v1/auth/logout', s.accessToken);
    assert.deepEqual([bare.status, bare.body.code], [401, 'token_expired']);

    const out = await h.call('POST', '/v1/auth/logout', s.accessToken, { refreshToken: s.refreshToken });
    assert.equal(out.status, 204);
    const row = (await h.ctx.db.query<{ revoked_reason: string }>('SELECT revoked_reason FROM sessions WHERE id = $1', [sid])).rows[0]!;
    assert.equal(row.revoked_reason, 'logout');
    const audit = (await h.ctx.db.query<{ actor: string; details: unknown }>("SELECT actor, details FROM audit_log WHERE action = 'user.signed_out' AND subject_id = $1", [sid])).rows;
    assert.deepEqual(audit.map((a) => a.details), [{ with: 'refresh_token' }]);
    const refreshed = await h.call('POST', '/v1/auth/refresh', undefined, { refreshToken: s.refreshToken });
    assert.deepEqual([refreshed.status, refreshed.body.code], [401, 'session_revoked']);

    // Again, with no bearer; an unknown token; a used one: all 204, and nothing more is written.
    const before = await rowCounts(h.ctx.db, IDENTITY_TABLES);
    const revokedAt = (await h.ctx.db.query<{ at: Date }>('SELECT revoked_at AS at FROM sessions WHERE id = $1', [sid])).rows[0]!.at;
    for (const refreshToken of [s.refreshToken, `rt_${'B'.repeat(43)}`]) {
      const again = await h.call('POST', '/v1/auth/logout', undefined, { refreshToken });
      assert.deepEqual([again.status, again.body], [204, undefined]);
    }
    assert.deepEqual(await rowCounts(h.ctx.db, IDENTITY_TABLES), before);
    assert.deepEqual((await h.ctx.db.query<{ at: Date }>('SELECT revoked_at AS at FROM sessions WHERE id = $1', [sid])).rows[0]!.at, revokedAt);

    // Nothing to sign out with: the bearer's own refusal, or token_missing; a malformed token is a 400.
    assert.deepEqual((await h.call('POST', '/v1/auth/logout', undefined, {})).body.code, 'token_missing');
    const malformed = await h.call('POST', '/v1/auth/logout', undefined, { refreshToken: 'not-a-token' });
    assert.deepEqual([malformed.status, malformed.body.code], [400, 'invalid_request']);
    assert.deepEqual(await rowCounts(h.ctx.db, IDENTITY_TABLES), before);
  } finally {
    h.setNow(undefined as unknown as Date);
  }
});
