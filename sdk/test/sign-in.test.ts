import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { DEFAULT_IDENTITY_POLICY } from '../../service/src/identity/signin.js';
import { ADMIN, createHarness, syntheticFace, type Harness } from '../../service/test/harness.js';
import { ChehraApiError } from '../src/client.js';
import { ChehraSessionError, heldBuffersForTesting, WorkerSession, type SealableCapture } from '../src/session.js';

// WorkerSession.signIn against the real service: mobile + MPIN, the first-use MPIN change,
// refresh (explicit and on token_expired), and a logout that ends the session in the service.

let h: Harness;
let baseUrl: string;
let oneTime: string;
const MOBILE = '9400000001';
const DEVICE = 'phone-test-0001';

before(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  const added = await h.call('POST', '/v1/users', await h.token(ADMIN), { role: 'worker', mobile: MOBILE, name: 'Sunita', awc: 'AWC-001' });
  assert.equal(added.status, 201);
  oneTime = added.body.oneTimeMpin;
});
after(() => h.close());

/** Passes requests to the real fetch and remembers the last bearer token the SDK sent. */
function watchingFetch() {
  const seen = { token: '' };
  const f: typeof fetch = (input, init) => {
    const auth = new Headers(init?.headers).get('authorization');
    if (auth) seen.token = auth.slice('Bearer '.length);
    return fetch(input, init);
  };
  return { fetch: f, seen };
}

const capture = (seed: number): SealableCapture => ({ ok: true, embedding: syntheticFace(seed, h.dim), modelId: h.modelId, quality: 0.8, liveness: 0.97 });

test('a wrong MPIN is invalid_credentials and the error holds no MPIN', async () => {
  const err = await WorkerSession.signIn({ baseUrl, mobile: MOBILE, mpin: '918273', deviceId: DEVICE }).then(
    () => assert.fail('signed in with a wrong MPIN'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ChehraApiError);
  assert.deepEqual([err.status, err.code], [401, 'invalid_credentials']);
  assert.doesNotMatch(JSON.stringify({ ...err, message: err.message, stack: err.stack }), /918273/);
});

test('sign in with the one-time MPIN → must change it → works; refresh; logout ends the session in the service', async () => {
  const watch = watchingFetch();
  const session = await WorkerSession.signIn({ baseUrl, mobile: `+91${MOBILE}`, mpin: oneTime, deviceId: DEVICE, fetch: watch.fetch });
  assert.equal(session.mustChangeMpin, true);
  assert.equal(session.user?.awc, 'AWC-001');
  assert.equal(session.worker, session.user?.id);
  const blocked = await session.api.createBeneficiary({ category: 'pregnant', name: 'Asha' }).catch((e: unknown) => e);
  assert.ok(blocked instanceof ChehraApiError && blocked.code === 'mpin_change_required');

  const weak = await session.changeMpin(oneTime, '111111').catch((e: unknown) => e);
  assert.ok(weak instanceof ChehraApiError && weak.code === 'weak_mpin');
  await session.changeMpin(oneTime, '815263');
  assert.equal(session.mustChangeMpin, false);
  const b = await session.api.createBeneficiary({ category: 'pregnant', name: 'Asha' });
  await session.api.recordConsent(b.id, { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1', language: 'hi', method: 'verbal' });

  const before = watch.seen.token;
  await session.refresh();
  await session.api.getBeneficiary(b.id);
  assert.notEqual(watch.seen.token, before, 'the next call uses the refreshed token');
  assert.equal((await h.call('GET', `/v1/beneficiaries/${b.id}`, before)).status, 200, 'the earlier access token lives until it expires (≤ 15 min)');

  // An access token that expires mid-visit is refreshed once and the capture sent again.
  h.ctx.identity = { ...DEFAULT_IDENTITY_POLICY, accessTtlSeconds: 5 };
  await session.refresh();
  h.setNow(new Date(Date.now() + 40_000)); // past the 5 s token and the 30 s clock tolerance, inside the capture window
  try {
    const enrolled = await session.enrol(b.id, capture(31));
    assert.equal(enrolled.replaced, 0);
  } finally {
    h.ctx.identity = DEFAULT_IDENTITY_POLICY;
  }
  h.setNow(undefined as unknown as Date);
  await session.refresh();

  const { serviceKey } = heldBuffersForTesting(session);
  assert.equal(await session.logout(), true, 'the service confirmed');
  const last = watch.seen.token; // the token the logout call carried: the session's last
  assert.ok(serviceKey && serviceKey.every((x) => x === 0), 'memory wiped as before');
  const refused = await h.call('GET', `/v1/beneficiaries/${b.id}`, last);
  assert.deepEqual([refused.status, refused.body.code], [401, 'session_revoked'], 'the last token is refused by the service');
  assert.equal((await session.refresh().catch((e: unknown) => e) as ChehraSessionError).code, 'session_closed');
  assert.equal(await session.logout(), false, 'twice is harmless');
});

test('a session opened with a bare token cannot refresh, and leaves ending the sign-in to whoever signed in', async () => {
  const token = await h.token(ADMIN);
  const session = await WorkerSession.open({ baseUrl, token });
  assert.equal((await session.refresh().catch((e: unknown) => e) as ChehraSessionError).code, 'refresh_unavailable');
  assert.equal(await session.logout(), false, 'not its sign-in to end');
  assert.equal((await h.call('GET', '/v1/review/cases', token)).status, 200);
});

test('logout after the access token has expired (idle past 15 minutes) still ends the session in the service', async () => {
  const added = await h.call('POST', '/v1/users', await h.token(ADMIN), { role: 'worker', mobile: '9400000002', name: 'Rekha', awc: 'AWC-001' });
  assert.equal(added.status, 201);
  const session = await WorkerSession.signIn({ baseUrl, mobile: '9400000002', mpin: added.body.oneTimeMpin, deviceId: 'phone-test-0002' });
  await session.changeMpin(added.body.oneTimeMpin, '306158');
  const userId = session.worker;
  h.setNow(new Date(Date.now() + 20 * 60_000));
  try {
    assert.equal(await session.logout(), true, 'the service confirmed, though the access token had expired');
  } finally {
    h.setNow(undefined as unknown as Date);
  }
  const live = await h.ctx.db.query<{ revoked_reason: string | null }>('SELECT revoked_reason FROM sessions WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1', [userId]);
  assert.deepEqual(live.rows, [{ revoked_reason: 'logout' }], 'her last session is ended, refresh token and all');
});
