import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import nacl from 'tweetnacl';
import { EnvelopeError, fromBase64, newRequestNonce, openEnvelope, parseEnvelope, sealEnvelope, toBase64 } from '../src/envelope/index.js';

const vectors = JSON.parse(readFileSync(new URL('../../fixtures/envelope-vectors.json', import.meta.url), 'utf8'));
const serviceSecret = fromBase64(vectors.service.secretKey)!;
const servicePublic = fromBase64(vectors.service.publicKey)!;

const f32 = (b64: string) => new Float32Array(fromBase64(b64)!.buffer);

test('the test vectors seal to exactly the recorded bytes and open to the recorded payload', () => {
  assert.ok(vectors.cases.length >= 2);
  for (const c of vectors.cases) {
    const payload = { ...c.payload, embedding: f32(c.payload.embedding) };
    const sealed = sealEnvelope(payload, { kid: vectors.service.kid, publicKey: servicePublic }, { ephemeralSecretKey: fromBase64(c.ephemeralSecretKey)!, nonce: fromBase64(c.nonce)! });
    assert.deepEqual(sealed, c.envelope, c.name);
    const opened = openEnvelope(parseEnvelope(c.envelope), serviceSecret);
    assert.deepEqual({ ...opened, embedding: Array.from(opened.embedding) }, { ...payload, embedding: Array.from(payload.embedding) }, c.name);
  }
});

test('a fresh seal uses a fresh ephemeral key and nonce', () => {
  const c = vectors.cases[0];
  const payload = { ...c.payload, embedding: f32(c.payload.embedding), requestNonce: newRequestNonce() };
  const a = sealEnvelope(payload, { kid: 'k', publicKey: servicePublic });
  const b = sealEnvelope(payload, { kid: 'k', publicKey: servicePublic });
  assert.notEqual(a.epk, b.epk);
  assert.notEqual(a.nonce, b.nonce);
  assert.notEqual(a.ct, b.ct);
});

test('any altered byte, or the wrong key, fails to open with envelope_tampered', () => {
  const env = parseEnvelope(vectors.cases[0].envelope);
  for (const field of ['epk', 'nonce', 'ct'] as const) {
    for (const at of [0, env[field].length - 1]) {
      const copy = { ...env, [field]: env[field].slice() };
      copy[field][at]! ^= 0x01;
      assert.throws(() => openEnvelope(copy, serviceSecret), (e: unknown) => e instanceof EnvelopeError && e.code === 'envelope_tampered', `${field}[${at}]`);
    }
  }
  assert.throws(() => openEnvelope(env, nacl.box.keyPair().secretKey), (e: unknown) => e instanceof EnvelopeError && e.code === 'envelope_tampered');
});

test('parseEnvelope names what is wrong without echoing contents', () => {
  const good = vectors.cases[0].envelope;
  const cases: Array<[unknown, string]> = [
    [null, 'envelope_malformed'],
    ['x', 'envelope_malformed'],
    [{ ...good, v: 9 }, 'envelope_unsupported_version'],
    [{ ...good, kid: '' }, 'envelope_malformed'],
    [{ ...good, epk: toBase64(new Uint8Array(31)) }, 'envelope_malformed'],
    [{ ...good, nonce: 'zz' }, 'envelope_malformed'],
    [{ ...good, ct: toBase64(new Uint8Array(16)) }, 'envelope_malformed'],
    [{ ...good, ct: toBase64(new Uint8Array(20_000)) }, 'envelope_malformed'],
  ];
  for (const [input, code] of cases) {
    assert.throws(() => parseEnvelope(input), (e: unknown) => e instanceof EnvelopeError && e.code === code && !e.message.includes(good.ct.slice(0, 12)), JSON.stringify(input)?.slice(0, 40));
  }
});
