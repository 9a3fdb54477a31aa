import type { CallOptions } from '../client.js';

export interface WorkerSessionOptions {
  /** The service, e.g. https://chehra.example.gov.in */
  baseUrl: string;
  /** The worker's bearer token from sign-in. */
  token: string;
  /**
   * The refresh token of the same sign-in, held in memory only: an access token that expires
   * (15 min) is then refreshed once, transparently. `WorkerSession.signIn` sets it.
   */
  refreshToken?: string;
  /**
   * How long a sealed capture may wait for its answer before it is dropped (and its embedding
   * zeroed). Default 120 s: well inside the service's 300 s capture window, with room for a
   * slow upload and some clock error.
   */
  pendingTtlMs?: number;
  /** Per-request timeout for the client. Default 30 s. */
  timeoutMs?: number;
  /** Date capture times by the service's clock (from the `Date` header). Default true. */
  useServerClock?: boolean;
  /** Device clock, for tests. Default Date.now. */
  now?: () => number;
  fetch?: typeof fetch;
}

export interface SendOptions extends CallOptions {}

export interface VerifyOptions extends SendOptions {
  scheme?: 'THR';
  /** This device's id: the service counts failed face attempts per beneficiary and device. */
  deviceId?: string;
}

/** `WorkerSession.signIn`: everything a session needs, with the worker's credentials instead of a token. */
export interface SignInOptions extends Omit<WorkerSessionOptions, 'token' | 'refreshToken'> {
  /** Her user id: the 10-digit mobile number (+91 allowed). */
  mobile: string;
  /** 4–6 digits; sent once, never kept. */
  mpin: string;
  /** This phone's stable id (8–128 of A–Z a–z 0–9 . _ : -): failed MPINs are counted per device too. */
  deviceId: string;
}
