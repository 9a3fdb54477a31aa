import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readJsonIfExists, writeSecretJson } from './files.js';

/** A 32-byte random secret kept in KEYS_DIR/name (mode 0600), made on first use. */
export function loadOrCreateSecret(dir: string, name: string): Uint8Array {
  const path = join(dir, name);
  const stored = readJsonIfExists<{ secret: string }>(path);
  if (stored) return new Uint8Array(Buffer.from(stored.secret, 'base64'));
  const secret = randomBytes(32);
  writeSecretJson(path, { secret: secret.toString('base64') });
  return new Uint8Array(secret);
}
