export type EnvelopeErrorCode =
  | 'envelope_malformed'
  | 'envelope_unsupported_version'
  | 'envelope_unknown_key'
  | 'envelope_tampered'
  | 'payload_invalid';

/**
 * Messages name what is wrong with the envelope's shape, never its contents:
 * the plaintext holds an embedding and must not reach a log or a response.
 */
export class EnvelopeError extends Error {
  constructor(
    readonly code: EnvelopeErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EnvelopeError';
  }
}
