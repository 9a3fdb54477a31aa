import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { readJsonIfExists, writeSecretJson } from '../keys/files.js';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

const FILE = 'jwt-signing-key.json';

export async function generateSigningKey(kidPrefix = 'sig'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `${kidPrefix}_${randomBytes(6).toString('hex')}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

/**
 * Loads DIR/jwt-signing-key.json (or another Ed25519 key file: the audit checkpoint key is
 * audit-checkpoint-key.json), creating it (mode 0600) on first run.
 */
export async function loadOrCreateSigningKey(dir: string, file = FILE, kidPrefix = 'sig'): Promise<{ key: SigningKey; created: boolean; path: string }> {
  const path = join(dir, file);
  const stored = readJsonIfExists<StoredSigningKey>(path);
  if (stored) {
    const privateKey = (await importJWK(stored.privateJwk, 'EdDSA')) as CryptoKey;
    const publicKey = (await importJWK(stored.publicJwk, 'EdDSA')) as CryptoKey;
    return { key: { kid: stored.kid, privateKey, publicKey, publicJwk: stored.publicJwk }, created: false, path };
  }
  const key = await generateSigningKey(kidPrefix);
  const privateJwk = { ...(await exportJWK(key.privateKey)), kid: key.kid, alg: 'EdDSA' };
  writeSecretJson(path, { kid: key.kid, privateJwk, publicJwk: key.publicJwk } satisfies StoredSigningKey);
  return { key, created: true, path };
}
