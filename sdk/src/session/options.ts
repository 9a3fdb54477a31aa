import type { CallOptions } from '../client.js';

export interface WorkerSessionOptions {
  /** The service, e.g. https://chehra.example.gov.in */
  baseUrl: string;
  /** The worker's bearer token from sign-in. */
  token: string;
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
