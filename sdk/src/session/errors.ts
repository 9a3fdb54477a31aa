import { ChehraError } from '../client/errors.js';

export type SessionErrorCode =
  /** The session was logged out; start a new one. */
  | 'session_closed'
  /** The token is not a JWT with a `sub` (it is not verified here: that is the service's job). */
  | 'token_malformed'
  /** A new token belongs to another worker than the session's. */
  | 'token_worker_mismatch'
  /** `refresh()` on a session opened with a token only (no refresh token): sign in again. */
  | 'refresh_unavailable'
  /** The pipeline's result was a failure, or lacks an embedding / model id / scores. */
  | 'capture_invalid'
  /** The sealed capture waited longer than `pendingTtlMs` and was dropped: capture again. */
  | 'capture_expired'
  /** No such pending capture: it was already sent, discarded, or belongs to another session. */
  | 'capture_unknown'
  /** GET /v1/keys did not give a usable current X25519 key. */
  | 'service_key_invalid';

export class ChehraSessionError extends ChehraError {
  declare readonly code: SessionErrorCode;
  constructor(code: SessionErrorCode, message: string) {
    super(code, message);
    this.name = 'ChehraSessionError';
  }
}

export function closedError(): ChehraSessionError {
  return new ChehraSessionError('session_closed', 'the session has been logged out; sign in again');
}
