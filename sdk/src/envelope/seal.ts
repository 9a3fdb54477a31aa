import nacl from 'tweetnacl';
import { toBase64 } from './base64.js';
import { ENVELOPE_VERSION, KEY_BYTES, NONCE_BYTES, type SealedEnvelope } from './format.js';
import { encodePayload, type EnvelopePayload } from './payload.js';

export interface RecipientKey {
  kid: string;
  /** The service's X25519 public key, 32 bytes. */
  publicKey: Uint8Array;
}

/** Fixed randomness, for test vectors only. */
export interface SealRandomness {
  ephemeralSecretKey: Uint8Array;
  nonce: Uint8Array;
}

/**
 * nacl.box from a fresh ephemeral key pair: the device keeps no long-term key,
 * and a captured envelope cannot be opened by anyone but the service.
 */
export function sealEnvelope(payload: EnvelopePayload, recipient: RecipientKey, fixed?: SealRandomness): SealedEnvelope {
  if (recipient.publicKey.length !== KEY_BYTES) throw new TypeError('recipient public key must be 32 bytes');
  const ephemeral = fixed
    ? nacl.box.keyPair.fromSecretKey(fixed.ephemeralSecretKey.slice())
    : nacl.box.keyPair();
  const nonce = fixed ? fixed.nonce.slice() : nacl.randomBytes(NONCE_BYTES);
  const plaintext = encodePayload(payload);
  const ct = nacl.box(plaintext, nonce, recipient.publicKey, ephemeral.secretKey);
  plaintext.fill(0);
  ephemeral.secretKey.fill(0);
  return { v: ENVELOPE_VERSION, kid: recipient.kid, epk: toBase64(ephemeral.publicKey), nonce: toBase64(nonce), ct: toBase64(ct) };
}

export function newRequestNonce(): string {
  return toBase64(nacl.randomBytes(16));
}
