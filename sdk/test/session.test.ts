import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { mintToken } from '../../service/src/auth/tokens.js';
import { Keyring } from '../../service/src/keys/keyring.js';
import { createHarness, syntheticFace, OTHER_AWC_WORKER, WORKER, type Harness } from '../../service/test/harness.js';
import { ChehraApiError, type ConsentInput } from '../src/client.js';
import { ChehraSessionError, heldBuffersForTesting, WorkerSession, type SealableCapture } from '../src/session.js';

// The worker session against the real service on a real port.

const CONSENT: ConsentInput = { purpose: 'face_verification', givenBy: 'self', noticeVersion: 'v1.0', language: 'hi', method: 'verbal' };

let h: Harness;
let baseUrl: string;
let token: string;
let otherWorkerToken: string;

before(async () => {
  h = await createHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  baseUrl = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
  token = await h.token(WORKER);
  otherWorkerToken = await h.token(OTHER_AWC_WORKER);
});
after(() => h.close());

/** What the pipeline hands over on success (FaceSuccess has these fields and more). */
function capture(seed: number, noise = 0, noiseSeed = 0): SealableCapture & { embedding: Float32Array } {
  return {
    ok: true,
    embedding: syntheticFace(seed, h.dim, noise, noiseSeed),
    modelId: h.modelId,
    quality: { score: 0.8 },
    liveness: { score: 0.97 },
  };
}

async function consentedBeneficiary(session: WorkerSession, name = 'Rekha'): Promise<string> {
  const b = await session.api.createBeneficiary({ category: 'lactating', name });
  await session.api.recordConsent(b.id, CONSENT);
  return b.id;
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<Error & { code: string }> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (err) {
    assert.ok(err instanceof Error && typeof (err as { code?: unknown }).code === 'string', `expected a coded error, got ${String(err)}`);
    return err as Error & { code: string };
  }
  assert.fail('expected a failure');
}

const allZero = (a: ArrayLike<number>) => Array.prototype.every.call(a, (x: number) => x === 0);

/** Counts requests per route and passes them to the real fetch. */
function countingFetch(): { fetch: typeof fetch; count: (path: string) => number } {
  const seen: string[] = [];
  return {
    fetch: (input, init) => {
      seen.push(new URL(String(input)).pathname);
      return fetch(input, init);
    },
    count: (path) => seen.filter((p) => p === path).length,
  };
}

test('open → enrol → verify: sealed to the current key with the token’s worker id; embeddings zeroed after sealing', async () => {
  const session = await WorkerSession.open({ baseUrl, token });
  assert.equal(session.worker, WORKER.sub);
  assert.equal(session.serviceKeyId, h.ctx.keyring.current.kid);
  assert.ok(session.tokenExpiresAt && session.tokenExpiresAt.getTime() > Date.now());
  const id = await consentedBeneficiary(session);

  const enrolCapture = capture(21);
  const enrolment = await session.enrol(id, enrolCapture);
  assert.equal(enrolment.modelId, h.modelId);
  assert.ok(allZero(enrolCapture.embedding), 'the caller’s embedding is zeroed once sealed');

  const probe = capture(21, 0.3, 1);
  const sealed = await session.seal(probe);
  assert.ok(allZero(probe.embedding));
  assert.equal(sealed.kid, h.ctx.keyring.current.kid);
  assert.ok(Math.abs(sealed.capturedAt - Date.now()) < 2000);
  assert.deepEqual(session.pending().map((p) => p.id), [sealed.id]);
  const held = heldBuffersForTesting(session).embeddings;
  assert.equal(held.length, 1);
  assert.ok(!allZero(held[0]!), 'the session keeps its own copy until the service answers (to re-seal after a key rotation)');

  const v = await session.verify(id, sealed);
  assert.equal(v.outcome, 'match');
  assert.ok(v.distributionId);
  assert.deepEqual(session.pending(), [], 'an answered capture is dropped');
  assert.ok(allZero(held[0]!), 'and its copy zeroed');
  assert.equal((await failure(session.verify(id, sealed))).code, 'capture_unknown', 'a sent capture cannot be sent twice');

  // The service’s refusal still consumes the capture and surfaces its code and fallback.
  const refused = await failure(session.verify(id, capture(21, 0.3, 2)));
  assert.ok(refused instanceof ChehraApiError);
  assert.equal(refused.code, 'already_distributed');
  assert.deepEqual(session.pending(), []);
  session.logout();
});

test('pending captures expire: dropped, zeroed, and refused with capture_expired', async () => {
  const session = await WorkerSession.open({ baseUrl, token, pendingTtlMs: 80 });
  const id = await consentedBeneficiary(session, 'Expiry');
  const sealed = await session.seal(capture(22));
  const held = heldBuffersForTesting(session).embeddings[0]!;
  assert.equal(sealed.expiresAt - Date.now() <= 80, true);
  await delay(150);
  assert.ok(allZero(held), 'the timer zeroed the embedding without anyone asking');
  assert.deepEqual(session.pending(), []);
  assert.deepEqual(heldBuffersForTesting(session).embeddings, []);
  const err = await failure(session.enrol(id, sealed));
  assert.ok(err instanceof ChehraSessionError);
  assert.equal(err.code, 'capture_expired');
  assert.equal((await session.api.getBeneficiary(id)).templates.length, 0, 'nothing was sent');

  // Default TTL is shorter than the service's 300 s capture window; checked with a device clock.
  let now = Date.now();
  const clocked = await WorkerSession.open({ baseUrl, token, now: () => now });
  const c = await clocked.seal(capture(23));
  assert.ok(c.expiresAt - now < 300_000 && c.expiresAt - now >= 60_000, `default TTL ${c.expiresAt - now} ms`);
  now = c.expiresAt; // the moment it expires, even if the timer has not fired yet
  assert.equal((await failure(clocked.verify(id, c))).code, 'capture_expired');
  clocked.logout();
  session.logout();
});

test('logout zeroes the service key and every held embedding, aborts what is in flight, and refuses further use', async () => {
  const session = await WorkerSession.open({ baseUrl, token });
  const id = await consentedBeneficiary(session, 'Logout');
  const a = await session.seal(capture(24));
  await session.seal(capture(25));
  const { serviceKey, embeddings } = heldBuffersForTesting(session);
  assert.ok(serviceKey && !allZero(serviceKey));
  assert.equal(embeddings.length, 2);

  const inFlight = session.enrol(id, a);
  session.logout();
  assert.equal(session.closed, true);
  assert.ok(allZero(serviceKey!), 'service key bytes zeroed');
  for (const e of embeddings) assert.ok(allZero(e), 'embedding zeroed');
  assert.equal((await failure(inFlight)).code, 'session_closed', 'a request cut short by logout says so');

  const refusals = [
    () => session.seal(capture(26)),
    () => session.verify(id, capture(26)),
    () => session.enrol(id, a),
    () => session.refreshKeys(),
    () => session.pending(),
    () => session.api,
    () => session.worker,
    () => session.replaceToken(token),
    () => session.envelopeOf(a),
  ];
  for (const call of refusals) {
    const err = await failure(call);
    assert.ok(err instanceof ChehraSessionError);
    assert.equal(err.code, 'session_closed');
  }
  assert.doesNotThrow(() => session.logout(), 'logout twice is harmless');
});

test('a key rotated past its grace period: envelope_unknown_key → refetch once → re-seal → accepted', async () => {
  const counter = countingFetch();
  const session = await WorkerSession.open({ baseUrl, token, fetch: counter.fetch });
  const id = await consentedBeneficiary(session, 'Rotation');
  const oldKid = session.serviceKeyId;
  const sealed = await session.seal(capture(27));

  const original = h.ctx.keyring;
  h.ctx.keyring = Keyring.inMemory(original.graceMs); // the old key is gone entirely
  try {
    const enrolment = await session.enrol(id, sealed);
    assert.equal(enrolment.modelId, h.modelId);
    assert.notEqual(session.serviceKeyId, oldKid);
    assert.equal(session.serviceKeyId, h.ctx.keyring.current.kid);
    assert.equal(counter.count('/v1/keys'), 2);
    assert.equal(counter.count('/v1/beneficiaries/' + id + '/templates'), 2, 'one refused, one accepted');
  } finally {
    h.ctx.keyring = original;
  }
  session.logout();
});

test('re-seal happens once: a key the service still does not hold surfaces envelope_unknown_key', async () => {
  // The keys route is answered with a key the service never had (a misconfigured mirror).
  const bogus = Keyring.inMemory(1000);
  const lying: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    lyingCalls.push(url.pathname);
    if (url.pathname === '/v1/keys') {
      return new Response(JSON.stringify({ current: bogus.current.kid, keys: bogus.publicKeys(new Date()) }), { headers: { 'content-type': 'application/json' } });
    }
    return fetch(input, init);
  };
  const lyingCalls: string[] = [];
  const session = await WorkerSession.open({ baseUrl, token, fetch: lying });
  const id = await consentedBeneficiary(session, 'Bogus key');
  const err = await failure(session.enrol(id, capture(28)));
  assert.ok(err instanceof ChehraApiError);
  assert.equal(err.status, 400);
  assert.equal(err.code, 'envelope_unknown_key');
  assert.equal(lyingCalls.filter((p) => p === '/v1/keys').length, 2, 'initial fetch + one refetch');
  assert.equal(lyingCalls.filter((p) => p.endsWith('/templates')).length, 2, 'first send + one re-sealed send, no loop');
  assert.deepEqual(session.pending(), []);
  session.logout();
});

test('an expired token: the service’s token_expired code surfaces, and a fresh token for the same worker continues', async () => {
  const expired = await mintToken(h.ctx.signingKeys.current, WORKER, 60, new Date(Date.now() - 3_600_000));
  const session = await WorkerSession.open({ baseUrl, token: expired }); // keys are public
  assert.ok(session.tokenExpiresAt!.getTime() < Date.now());
  const err = await failure(session.enrol('00000000-0000-4000-8000-000000000000', capture(29)));
  assert.ok(err instanceof ChehraApiError);
  assert.equal(err.status, 401);
  assert.equal(err.code, 'token_expired');
  assert.deepEqual(session.pending(), [], 'an answered (refused) capture is dropped');

  assert.equal((await failure(() => session.replaceToken(otherWorkerToken))).code, 'token_worker_mismatch');
  session.replaceToken(await h.token(WORKER));
  const b = await session.api.createBeneficiary({ category: 'lactating', name: 'After re-login' });
  assert.equal(b.awc, WORKER.awc);
  session.logout();
});

test('a token that is not a JWT is refused locally, without echoing it', async () => {
  for (const bad of ['not-a-token', 'a.b.c', `x.${Buffer.from('{"role":"worker"}').toString('base64url')}.y`]) {
    const err = await failure(() => new WorkerSession({ baseUrl, token: bad }));
    assert.equal(err.code, 'token_malformed');
    assert.ok(!err.message.includes(bad));
  }
});

test('the pipeline’s failure or a malformed capture cannot be sealed, and the message holds no values', async () => {
  const session = await WorkerSession.open({ baseUrl, token });
  const good = capture(30);
  const cases: SealableCapture[] = [
    { ...good, ok: false },
    { ...good, embedding: new Float32Array(0) },
    { ...good, quality: 1.5 },
    { ...good, liveness: { score: Number.NaN } },
    { ...good, modelId: '' },
  ];
  for (const c of cases) {
    const err = await failure(session.seal(c));
    assert.equal(err.code, 'capture_invalid');
    assert.ok(!/\d\.\d{3}/.test(err.message), 'no embedding value in the message');
  }
  await session.seal(good);
  assert.equal((await failure(session.seal(good))).code, 'capture_invalid', 'an embedding zeroed by sealing cannot be sealed again');
  session.logout();
});

test('device clock 10 minutes slow: captures are dated by the service clock and accepted', async () => {
  const slow = () => Date.now() - 10 * 60_000;
  const corrected = await WorkerSession.open({ baseUrl, token, now: slow });
  const id = await consentedBeneficiary(corrected, 'Clock');
  const enrolled = await corrected.enrol(id, capture(31));
  assert.equal(enrolled.modelId, h.modelId);

  const naive = await WorkerSession.open({ baseUrl, token, now: slow, useServerClock: false });
  const err = await failure(naive.verify(id, capture(31, 0.3, 1)));
  assert.equal(err.code, 'capture_time_out_of_window', 'without the correction the service refuses: proves the correction matters');
  corrected.logout();
  naive.logout();
});

/** A TCP-level stand-in for the village network between the phone and the service. */
async function flakyLink(target: string): Promise<{ url: string; down: boolean; close: () => Promise<void> }> {
  const link = { url: '', down: false, close: async () => {} };
  const server: Server = createServer((req, res) => {
    if (link.down) {
      req.socket.destroy();
      return;
    }
    const t = new URL(target);
    const upstream = httpRequest({ host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  link.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  link.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return link;
}

test('network drops during verify: network_error, the capture stays pending, and resending it completes', async () => {
  const link = await flakyLink(baseUrl);
  try {
    const session = await WorkerSession.open({ baseUrl: link.url, token });
    const id = await consentedBeneficiary(session, 'Flaky');
    await session.enrol(id, capture(32));

    link.down = true;
    const err = await failure(session.verify(id, capture(32, 0.3, 1)));
    assert.ok(err instanceof ChehraApiError);
    assert.equal(err.code, 'network_error');
    assert.equal(err.status, 0);
    assert.ok(err.capture, 'the error names the capture still pending');
    assert.deepEqual(session.pending().map((p) => p.id), [err.capture.id]);

    link.down = false;
    const v = await session.verify(id, err.capture);
    assert.equal(v.outcome, 'match');
    assert.deepEqual(session.pending(), []);
    session.logout();
  } finally {
    await link.close();
  }
});

test('service unreachable at sign-in: open() fails with network_error and nothing is held', async () => {
  const link = await flakyLink(baseUrl);
  const url = link.url;
  await link.close();
  const err = await failure(WorkerSession.open({ baseUrl: url, token, fetch: (i, init) => fetch(i, init) }));
  assert.equal(err.code, 'network_error');
});
