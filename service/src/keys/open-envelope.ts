import sodium from 'sodium-native';
import { decodePayload, EnvelopeError, parseEnvelope, TAG_BYTES, type EnvelopePayload } from '@chehra/sdk/envelope';
import type { Keyring } from './keyring.js';

/**
 * Opens what the SDK sealed with tweetnacl's box. libsodium's crypto_box_open_easy is the
 * same construction (X25519, HSalsa20, XSalsa20-Poly1305) byte for byte, and an order of
 * magnitude faster than tweetnacl's pure-JS scalar multiplication (benchmarks/envelope-open.ts).
 */
export function openSealedEnvelope(input: unknown, keyring: Keyring, now: Date): EnvelopePayload {
  const envelope = parseEnvelope(input);
  const secretKey = keyring.secretKeyFor(envelope.kid, now);
  if (!secretKey) throw new EnvelopeError('envelope_unknown_key', 'envelope is sealed to a key this service does not hold; fetch GET /v1/keys');
  const plaintext = Buffer.alloc(envelope.ct.length - TAG_BYTES);
  const opened = sodium.crypto_box_open_easy(
    plaintext,
    Buffer.from(envelope.ct.buffer, envelope.ct.byteOffset, envelope.ct.byteLength),
    Buffer.from(envelope.nonce.buffer, envelope.nonce.byteOffset, envelope.nonce.byteLength),
    Buffer.from(envelope.epk.buffer, envelope.epk.byteOffset, envelope.epk.byteLength),
    Buffer.from(secretKey.buffer, secretKey.byteOffset, secretKey.byteLength),
  );
  try {
    if (!opened) throw new EnvelopeError('envelope_tampered', 'envelope could not be opened: wrong key or altered ciphertext');
    return decodePayload(plaintext);
  } finally {
    plaintext.fill(0);
  }
}
