import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SigningKeyring } from '../src/auth/signing-key.js';
import { ACCESS_TOKEN_MAX_SECONDS, mintToken, verifyToken } from '../src/auth/tokens.js';
import type { Principal } from '../src/auth/principal.js';

// A token is verified in full once per keyring and then remembered (tokens.ts); these are the
// checks a remembered token must still fail.
const WORKER: Principal = { sub: 'w-cache', role: 'worker', awc: 'AWC-001', district: 'D1', state: 'S1', sid: 'sess-1' };
const code = (p: Promise<unknown>) => p.then(() => 'accepted', (err: { code?: string }) => err.code ?? 'thrown');

test('a remembered token still expires, and a retired key past its grace still ends it', async () => {
  const keys = await SigningKeyring.inMemory(60_000);
  const t0 = new Date();
  const token = await mintToken(keys.current, WORKER, ACCESS_TOKEN_MAX_SECONDS, t0);
  assert.equal((await verifyToken(token, keys, t0)).sub, WORKER.sub);
  assert.equal((await verifyToken(token, keys, new Date(t0.getTime() + 1000))).sub, WORKER.sub, 'the second use is the remembered one');
  assert.equal(await code(verifyToken(token, keys, new Date(t0.getTime() + (ACCESS_TOKEN_MAX_SECONDS + 60) * 1000))), 'token_expired');
  assert.equal(await code(verifyToken(token, keys, new Date(t0.getTime() - 3600_000))), 'token_invalid', 'issued ahead of the clock');

  // Rotation: within the grace the old key's token is accepted; past it, refused though remembered.
  const rotated = await keys.rotated(t0);
  assert.equal((await verifyToken(token, rotated, t0)).sub, WORKER.sub);
  assert.equal(await code(verifyToken(token, rotated, new Date(t0.getTime() + 120_000))), 'token_invalid');
});

test('only the exact bytes are remembered: a changed signature or claim is checked in full and refused', async () => {
  const keys = await SigningKeyring.inMemory(60_000);
  const token = await mintToken(keys.current, WORKER, 600);
  await verifyToken(token, keys);
  const [h, p, s] = token.split('.') as [string, string, string];
  // A character inside the signature: every one of its 6 bits is signature (the last character of
  // 64 bytes in base64url carries 2 bits and 4 of padding, so changing it can leave the bytes as they were).
  const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
  assert.equal(await code(verifyToken(flipped, keys)), 'token_invalid');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'state_admin' })).toString('base64url')}.${s}`;
  assert.equal(await code(verifyToken(forged, keys)), 'token_invalid');
  // Another keyring (another service's keys) has not seen it: checked in full, refused.
  assert.equal(await code(verifyToken(token, await SigningKeyring.inMemory(60_000))), 'token_invalid');
});
