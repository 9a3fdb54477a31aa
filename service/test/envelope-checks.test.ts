import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nacl from 'tweetnacl';
import { fromBase64, newRequestNonce, sealEnvelope, toBase64 } from '@chehra/sdk/envelope';
import { Keyring } from '../src/keys/keyring.js';
import { createHarness, enrolledBeneficiary, rowCounts, syntheticFace, WORKER, type Harness } from './harness.js';

// Every way a sealed probe can be wrong is refused with its own code, before anything is written.
let h: Harness;
let id: string;
let token: string;
const face = (n = 0) => syntheticFace(21, h.dim, 0.3, n);
before(async () => {
  h = await createHarness();
  ({ id, token } = await enrolledBeneficiary(h, syntheticFace(21, h.dim)));
});
after(() => h.close());

async function refused(envelope: unknown, status: number, code: string) {
  const before = await rowCounts(h.ctx.db);
  const res = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope });
  assert.equal(res.status, status, `${code}: ${JSON.stringify(res.body)}`);
  assert.equal(res.body.code, code);
  assert.equal(typeof res.body.message, 'string');
  assert.deepEqual(await rowCounts(h.ctx.db), before, `${code}: nothing written`);
}

const sealWith = (payload: Partial<Parameters<typeof sealEnvelope>[0]>) =>
  sealEnvelope(
    { embedding: face(), modelId: h.modelId, quality: 0.9, liveness: 0.99, capturedAt: Date.now(), requestNonce: newRequestNonce(), worker: WORKER.sub, ...payload },
    { kid: h.ctx.keyring.current.kid, publicKey: h.ctx.keyring.current.publicKey },
  );

test('malformed envelopes', async () => {
  const good = h.seal(face(), WORKER.sub);
  await refused({ ...good, v: 2 }, 400, 'envelope_unsupported_version');
  await refused({ ...good, epk: 'not base64!' }, 400, 'envelope_malformed');
  await refused({ ...good, nonce: toBase64(new Uint8Array(12)) }, 400, 'envelope_malformed');
  await refused({ ...good, ct: toBase64(new Uint8Array(8)) }, 400, 'envelope_malformed');
  await refused({ ...good, extra: 1 }, 400, 'invalid_request');
});

test('unknown key id, tampered ciphertext, wrong recipient key', async () => {
  const good = h.seal(face(), WORKER.sub);
  await refused({ ...good, kid: 'k_unknown' }, 400, 'envelope_unknown_key');
  const ct = fromBase64(good.ct)!;
  ct[ct.length - 1]! ^= 1;
  await refused({ ...good, ct: toBase64(ct) }, 400, 'envelope_tampered');
  const stranger = nacl.box.keyPair();
  const misaddressed = sealEnvelope(
    { embedding: face(), modelId: h.modelId, quality: 0.9, liveness: 0.99, capturedAt: Date.now(), requestNonce: newRequestNonce(), worker: WORKER.sub },
    { kid: h.ctx.keyring.current.kid, publicKey: stranger.publicKey },
  );
  await refused(misaddressed, 400, 'envelope_tampered');
});

test('a replayed envelope is refused and the first use stands', async () => {
  const envelope = h.seal(face(1), WORKER.sub);
  const first = await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope });
  assert.equal(first.status, 200);
  await refused(envelope, 409, 'envelope_replayed');
  // Same request nonce in a freshly sealed envelope: still a replay.
  const nonce = newRequestNonce();
  await h.call('POST', '/v1/verifications', token, { beneficiaryId: id, envelope: sealWith({ requestNonce: nonce }) });
  await refused(sealWith({ requestNonce: nonce }), 409, 'envelope_replayed');
});

test('capture time outside the window, another worker, wrong model or dimension, bad values', async () => {
  await refused(sealWith({ capturedAt: Date.now() - 10 * 60_000 }), 400, 'capture_time_out_of_window');
  await refused(sealWith({ capturedAt: Date.now() + 10 * 60_000 }), 400, 'capture_time_out_of_window');
  await refused(sealWith({ worker: 'worker-2' }), 403, 'envelope_worker_mismatch');
  await refused(sealWith({ modelId: 'someone/else@1' }), 422, 'unknown_model');
  await refused(sealWith({ embedding: syntheticFace(21, 128) }), 422, 'embedding_dimension_mismatch');
  await refused(sealWith({ embedding: face().map((x) => x * 3) }), 422, 'embedding_not_normalised');
  const nan = face();
  nan[7] = Number.NaN;
  await refused(sealWith({ embedding: nan }), 400, 'payload_invalid');
  const inf = face();
  inf[3] = Number.POSITIVE_INFINITY;
  await refused(sealWith({ embedding: inf }), 400, 'payload_invalid');
  await refused(sealWith({ liveness: 7 }), 400, 'payload_invalid');
});

test('key rotation: the new key is current, the old one opens envelopes during its grace period only', async () => {
  const graceMs = 3600_000;
  const t0 = new Date();
  const old = Keyring.inMemory(graceMs, t0);
  const rotated = old.rotated(new Date(t0.getTime() + 1000));
  assert.notEqual(rotated.current.kid, old.current.kid);
  const inGrace = new Date(t0.getTime() + graceMs / 2);
  assert.ok(rotated.secretKeyFor(old.current.kid, inGrace), 'old key still opens during grace');
  assert.equal(rotated.secretKeyFor(old.current.kid, new Date(t0.getTime() + 2 * graceMs)), undefined, 'old key refused after grace');
  const listed = rotated.publicKeys(inGrace);
  assert.deepEqual(listed.map((k) => k.current), [true, false]);
  assert.ok(listed[1]!.notAfter);

  // Through the service: an envelope sealed to the retired key is opened while in grace.
  const h2 = await createHarness({ keyring: old });
  try {
    const { id: bid, token: tok } = await enrolledBeneficiary(h2, syntheticFace(31, h2.dim));
    const sealedToOld = h2.seal(syntheticFace(31, h2.dim, 0.3, 5), WORKER.sub);
    h2.ctx.keyring = old.rotated(new Date());
    const keys = await h2.call('GET', '/v1/keys');
    assert.equal(keys.body.current, h2.ctx.keyring.current.kid);
    assert.equal(keys.body.keys.length, 2);
    const res = await h2.call('POST', '/v1/verifications', tok, { beneficiaryId: bid, envelope: sealedToOld });
    assert.equal(res.status, 200);
    assert.equal(res.body.match, true);
  } finally {
    await h2.close();
  }
});
