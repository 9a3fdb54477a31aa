import type { ServiceKeys } from '../client.js';
import { fromBase64, KEY_BYTES } from '../envelope/index.js';
import { ChehraSessionError } from './errors.js';

/** The service's current X25519 public key, decoded: what captures are sealed to. */
export interface ServiceKey {
  kid: string;
  publicKey: Uint8Array;
}

/** The `current` key of GET /v1/keys, checked; anything unusable is `service_key_invalid` (and zeroed). */
export function currentServiceKey(keys: ServiceKeys): ServiceKey {
  const entry = Array.isArray(keys.keys) ? keys.keys.find((k) => k.kid === keys.current) : undefined;
  const publicKey = entry && typeof entry.publicKey === 'string' ? fromBase64(entry.publicKey) : null;
  if (!entry || entry.alg !== 'x25519-xsalsa20poly1305' || !publicKey || publicKey.length !== KEY_BYTES) {
    publicKey?.fill(0);
    throw new ChehraSessionError('service_key_invalid', 'the service did not offer a usable current encryption key');
  }
  return { kid: entry.kid, publicKey };
}
