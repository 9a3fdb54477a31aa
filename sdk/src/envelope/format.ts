import { fromBase64 } from './base64.js';
import { EnvelopeError } from './errors.js';

export const ENVELOPE_VERSION = 1;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
/** Poly1305 tag that nacl.box prepends to the ciphertext. */
export const TAG_BYTES = 16;
/** Generous ceiling for a 1024-d embedding plus metadata; anything bigger is not ours. */
export const MAX_CIPHERTEXT_BYTES = 16 * 1024;

/** What travels: JSON with base64 fields. */
export interface SealedEnvelope {
  v: typeof ENVELOPE_VERSION;
  kid: string;
  epk: string;
  nonce: string;
  ct: string;
}

/** The envelope with its binary fields decoded and sizes checked. */
export interface ParsedEnvelope {
  v: typeof ENVELOPE_VERSION;
  kid: string;
  epk: Uint8Array;
  nonce: Uint8Array;
  ct: Uint8Array;
}

export function parseEnvelope(input: unknown): ParsedEnvelope {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new EnvelopeError('envelope_malformed', 'envelope must be an object {v, kid, epk, nonce, ct}');
  }
  const e = input as Record<string, unknown>;
  if (e.v !== ENVELOPE_VERSION) {
    throw new EnvelopeError('envelope_unsupported_version', `envelope version must be ${ENVELOPE_VERSION}`);
  }
  if (typeof e.kid !== 'string' || e.kid.length === 0 || e.kid.length > 64) {
    throw new EnvelopeError('envelope_malformed', 'envelope kid must be a non-empty string');
  }
  const epk = typeof e.epk === 'string' ? fromBase64(e.epk) : null;
  if (!epk || epk.length !== KEY_BYTES) {
    throw new EnvelopeError('envelope_malformed', `envelope epk must be ${KEY_BYTES} bytes of base64`);
  }
  const nonce = typeof e.nonce === 'string' ? fromBase64(e.nonce) : null;
  if (!nonce || nonce.length !== NONCE_BYTES) {
    throw new EnvelopeError('envelope_malformed', `envelope nonce must be ${NONCE_BYTES} bytes of base64`);
  }
  const ct = typeof e.ct === 'string' && e.ct.length <= (MAX_CIPHERTEXT_BYTES * 4) / 3 + 4 ? fromBase64(e.ct) : null;
  if (!ct || ct.length <= TAG_BYTES || ct.length > MAX_CIPHERTEXT_BYTES) {
    throw new EnvelopeError('envelope_malformed', 'envelope ct must be base64 ciphertext of a plausible size');
  }
  return { v: ENVELOPE_VERSION, kid: e.kid, epk, nonce, ct };
}
