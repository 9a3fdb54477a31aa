import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fromBase64, openEnvelope, parseEnvelope } from '@chehra/sdk/envelope';
import { openSealedEnvelope } from '../src/keys/open-envelope.js';
import { Keyring } from '../src/keys/keyring.js';

// The service's libsodium opener must be byte-compatible with the SDK's tweetnacl sealing.
test('the service opener and the reference opener agree on every test vector', () => {
  const v = JSON.parse(readFileSync(new URL('../../fixtures/envelope-vectors.json', import.meta.url), 'utf8'));
  const secretKey = fromBase64(v.service.secretKey)!;
  const keyring = new Keyring([{ kid: v.service.kid, secretKey, publicKey: fromBase64(v.service.publicKey)!, createdAt: new Date() }], 0);
  for (const c of v.cases) {
    const fast = openSealedEnvelope(c.envelope, keyring, new Date());
    const reference = openEnvelope(parseEnvelope(c.envelope), secretKey);
    assert.deepEqual({ ...fast, embedding: Array.from(fast.embedding) }, { ...reference, embedding: Array.from(reference.embedding) });
    assert.deepEqual(Array.from(fast.embedding), Array.from(new Float32Array(fromBase64(c.payload.embedding)!.buffer)));
  }
});
