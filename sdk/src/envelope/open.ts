import nacl from 'tweetnacl';
import { EnvelopeError } from './errors.js';
import type { ParsedEnvelope } from './format.js';
import { decodePayload, type EnvelopePayload } from './payload.js';

/**
 * The reference opener, plain tweetnacl. The service uses a faster opener with the
 * same bytes (service/src/keys); this one defines what "correct" means for both.
 */
export function openEnvelope(envelope: ParsedEnvelope, secretKey: Uint8Array): EnvelopePayload {
  const plaintext = nacl.box.open(envelope.ct, envelope.nonce, envelope.epk, secretKey);
  if (!plaintext) throw new EnvelopeError('envelope_tampered', 'envelope could not be opened: wrong key or altered ciphertext');
  try {
    return decodePayload(plaintext);
  } finally {
    plaintext.fill(0);
  }
}
