export { toBase64, fromBase64 } from './base64.js';
export { EnvelopeError, type EnvelopeErrorCode } from './errors.js';
export {
  ENVELOPE_VERSION,
  KEY_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  MAX_CIPHERTEXT_BYTES,
  parseEnvelope,
  type SealedEnvelope,
  type ParsedEnvelope,
} from './format.js';
export { encodePayload, decodePayload, MAX_EMBEDDING_DIM, type EnvelopePayload } from './payload.js';
export { sealEnvelope, newRequestNonce, type RecipientKey, type SealRandomness } from './seal.js';
export { openEnvelope } from './open.js';
