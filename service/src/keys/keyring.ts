import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { fromBase64, toBase64 } from '@chehra/sdk/envelope';
import { readJsonIfExists, writeSecretJson } from './files.js';

interface StoredBoxKey {
  kid: string;
  publicKey: string;
  secretKey: string;
  createdAt: string;
  /** Set when a newer key became current; the key still opens envelopes for the grace period. */
  retiredAt?: string;
}

export interface BoxKey {
  kid: string;
  publicKey: Uint8Array;
  secretKey: Uint8Array;
  createdAt: Date;
  retiredAt?: Date;
}

export interface PublicBoxKey {
  kid: string;
  publicKey: string;
  alg: 'x25519-xsalsa20poly1305';
  current: boolean;
  /** When the service stops opening envelopes sealed to this key (retired keys only). */
  notAfter?: string;
}

const FILE = 'box-keys.json';
const newKid = () => `k_${randomBytes(6).toString('hex')}`;

function generate(now: Date): BoxKey {
  const kp = nacl.box.keyPair();
  return { kid: newKid(), publicKey: kp.publicKey, secretKey: kp.secretKey, createdAt: now };
}

/**
 * The service's X25519 keys. One is current (handed to devices); keys retired by a
 * rotation still open envelopes for `graceMs`, so devices holding the old key are not cut off.
 */
export class Keyring {
  private readonly byKid: Map<string, BoxKey>;

  constructor(
    private readonly keys: BoxKey[],
    readonly graceMs: number,
  ) {
    if (!keys.some((k) => !k.retiredAt)) throw new Error('keyring has no current key');
    this.byKid = new Map(keys.map((k) => [k.kid, k]));
  }

  get current(): BoxKey {
    return this.keys.find((k) => !k.retiredAt)!;
  }

  /** The secret key for a kid, or undefined when unknown or past its grace period. */
  secretKeyFor(kid: string, now: Date): Uint8Array | undefined {
    const key = this.byKid.get(kid);
    if (!key) return undefined;
    if (key.retiredAt && now.getTime() - key.retiredAt.getTime() > this.graceMs) return undefined;
    return key.secretKey;
  }

  publicKeys(now: Date): PublicBoxKey[] {
    return this.keys
      .filter((k) => this.secretKeyFor(k.kid, now))
      .map((k) => ({
        kid: k.kid,
        publicKey: toBase64(k.publicKey),
        alg: 'x25519-xsalsa20poly1305' as const,
        current: !k.retiredAt,
        ...(k.retiredAt ? { notAfter: new Date(k.retiredAt.getTime() + this.graceMs).toISOString() } : {}),
      }));
  }

  /** A new current key; the old current key enters its grace period. Keys past grace are dropped. */
  rotated(now: Date): Keyring {
    const kept = this.keys
      .filter((k) => this.secretKeyFor(k.kid, now))
      .map((k) => (k.retiredAt ? k : { ...k, retiredAt: now }));
    return new Keyring([generate(now), ...kept], this.graceMs);
  }

  static inMemory(graceMs: number, now = new Date()): Keyring {
    return new Keyring([generate(now)], graceMs);
  }

  /** Loads DIR/box-keys.json, creating it with a fresh key on first run. */
  static loadOrCreate(dir: string, graceMs: number, now = new Date()): { keyring: Keyring; created: boolean; path: string } {
    const path = join(dir, FILE);
    const stored = readJsonIfExists<StoredBoxKey[]>(path);
    if (stored) return { keyring: new Keyring(stored.map(fromStored), graceMs), created: false, path };
    const keyring = Keyring.inMemory(graceMs, now);
    keyring.save(dir);
    return { keyring, created: true, path };
  }

  save(dir: string): void {
    writeSecretJson(join(dir, FILE), this.keys.map(toStored));
  }
}

function toStored(k: BoxKey): StoredBoxKey {
  return {
    kid: k.kid,
    publicKey: toBase64(k.publicKey),
    secretKey: toBase64(k.secretKey),
    createdAt: k.createdAt.toISOString(),
    ...(k.retiredAt ? { retiredAt: k.retiredAt.toISOString() } : {}),
  };
}

function fromStored(s: StoredBoxKey): BoxKey {
  const publicKey = fromBase64(s.publicKey);
  const secretKey = fromBase64(s.secretKey);
  if (!publicKey || publicKey.length !== 32 || !secretKey || secretKey.length !== 32) throw new Error(`box key ${s.kid} is corrupt`);
  return {
    kid: s.kid,
    publicKey,
    secretKey,
    createdAt: new Date(s.createdAt),
    ...(s.retiredAt ? { retiredAt: new Date(s.retiredAt) } : {}),
  };
}
