import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type CryptoKey } from 'jose';
import { readJsonIfExists, writeSecretJson } from '../keys/files.js';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  /** Set when a newer key became current: it then only verifies, for the grace period. */
  retiredAt?: Date;
}

interface StoredSigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
  retiredAt?: string;
}

const FILE = 'jwt-signing-key.json';

export async function generateSigningKey(kidPrefix = 'sig'): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `${kidPrefix}_${randomBytes(6).toString('hex')}`;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

/**
 * The token-signing keys, rotated like the envelope keyring (keys/keyring.ts): one current key
 * signs; a key retired by a rotation still verifies for `graceMs` (at least the longest token
 * lifetime), so tokens signed just before a rotation stay good until they expire. The JWKS lists
 * every key that still verifies; the token header's `kid` picks the key.
 */
export class SigningKeyring {
  private readonly byKid: Map<string, SigningKey>;

  constructor(
    private readonly keys: SigningKey[],
    readonly graceMs: number,
  ) {
    if (!keys.some((k) => !k.retiredAt)) throw new Error('signing keyring has no current key');
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
  }

  get current(): SigningKey {
    return this.keys.find((k) => !k.retiredAt)!;
  }

  /** The public key for a kid, or undefined when unknown or past its grace period. */
  verifyingKey(kid: string | undefined, now: Date): CryptoKey | undefined {
    const key = kid === undefined ? undefined : this.byKid.get(kid);
    if (!key) return undefined;
    if (key.retiredAt && now.getTime() - key.retiredAt.getTime() > this.graceMs) return undefined;
    return key.publicKey;
  }

  jwks(now: Date): JWK[] {
    return this.keys.filter((k) => this.verifyingKey(k.kid, now)).map((k) => k.publicJwk);
  }

  async rotated(now: Date): Promise<SigningKeyring> {
    const kept = this.keys.filter((k) => this.verifyingKey(k.kid, now)).map((k) => (k.retiredAt ? k : { ...k, retiredAt: now }));
    return new SigningKeyring([await generateSigningKey(), ...kept], this.graceMs);
  }

  static async inMemory(graceMs: number): Promise<SigningKeyring> {
    return new SigningKeyring([await generateSigningKey()], graceMs);
  }

  /**
   * Loads DIR/jwt-signing-key.json, creating it (mode 0600) on first run. The file is a list of
   * keys; a file from before rotation existed (one key object) is read as a list of one.
   */
  static async loadOrCreate(dir: string, graceMs: number): Promise<{ keyring: SigningKeyring; created: boolean; path: string }> {
    const path = join(dir, FILE);
    const stored = readJsonIfExists<StoredSigningKey | StoredSigningKey[]>(path);
    if (stored) {
      const list = Array.isArray(stored) ? stored : [stored];
      return { keyring: new SigningKeyring(await Promise.all(list.map(fromStored)), graceMs), created: false, path };
    }
    const keyring = await SigningKeyring.inMemory(graceMs);
    await keyring.save(dir);
    return { keyring, created: true, path };
  }

  async save(dir: string): Promise<void> {
    writeSecretJson(join(dir, FILE), await Promise.all(this.keys.map(toStored)));
  }
}

async function toStored(k: SigningKey): Promise<StoredSigningKey> {
  const privateJwk = { ...(await exportJWK(k.privateKey)), kid: k.kid, alg: 'EdDSA' };
  return { kid: k.kid, privateJwk, publicJwk: k.publicJwk, ...(k.retiredAt ? { retiredAt: k.retiredAt.toISOString() } : {}) };
}

async function fromStored(s: StoredSigningKey): Promise<SigningKey> {
  const privateKey = (await importJWK(s.privateJwk, 'EdDSA', { extractable: true })) as CryptoKey;
  const publicKey = (await importJWK(s.publicJwk, 'EdDSA')) as CryptoKey;
  return { kid: s.kid, privateKey, publicKey, publicJwk: s.publicJwk, ...(s.retiredAt ? { retiredAt: new Date(s.retiredAt) } : {}) };
}

/**
 * One Ed25519 key from DIR, made on first run: the token keyring's current key (what tools that
 * mint development tokens need), or another single-key file (the audit checkpoint key is
 * audit-checkpoint-key.json).
 */
export async function loadOrCreateSigningKey(dir: string, file = FILE, kidPrefix = 'sig'): Promise<{ key: SigningKey; created: boolean; path: string }> {
  if (file === FILE) {
    const { keyring, created, path } = await SigningKeyring.loadOrCreate(dir, 24 * 3600_000);
    return { key: keyring.current, created, path };
  }
  const path = join(dir, file);
  const stored = readJsonIfExists<StoredSigningKey>(path);
  if (stored) return { key: await fromStored(stored), created: false, path };
  const key = await generateSigningKey(kidPrefix);
  writeSecretJson(path, await toStored(key));
  return { key, created: true, path };
}
