import type { FallbackAdvice } from './wire.js';

/** Codes the client itself produces; the service's own codes come through unchanged. */
export type ClientErrorCode =
  /** The service could not be reached (DNS, refused, reset, offline). `status` is 0. */
  | 'network_error'
  /** No complete answer within `timeoutMs`. `status` is 0. The request may have been done. */
  | 'timeout'
  /** The caller's AbortSignal fired. `status` is 0. */
  | 'aborted'
  /** The answer was not the service's JSON (a captive portal, a proxy's error page). */
  | 'invalid_response';

/** Base class of every error the SDK throws on purpose. */
export class ChehraError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ChehraError';
  }
}

export class ChehraApiError extends ChehraError {
  /** HTTP status; 0 when no answer arrived (network_error, timeout, aborted). */
  readonly status: number;
  /** The route as a template, e.g. `POST /v1/beneficiaries/:id/templates` (no ids, no bodies). */
  readonly route: string;
  /** The rest of the service's error body beyond {code, message}, e.g. `fallback`, `duplicateFlagId`. */
  readonly details: Readonly<Record<string, unknown>>;
  /** errno-style code of a network failure (ECONNREFUSED, ENOTFOUND…), when known. */
  readonly networkCode?: string;
  /**
   * Set by WorkerSession when no answer arrived: the sealed capture is still pending and may be
   * sent again with `session.verify(id, err.capture)` until it expires (a resend of the same
   * envelope is harmless — if the first one did arrive, the service answers `envelope_replayed`).
   */
  capture?: { readonly id: string; readonly kid: string; readonly capturedAt: number; readonly expiresAt: number };

  constructor(init: { status: number; code: string; message: string; route: string; details?: Record<string, unknown>; networkCode?: string }) {
    super(init.code, `${init.route}: ${init.message}${init.status ? ` (HTTP ${init.status} ${init.code})` : ` (${init.code})`}`);
    this.name = 'ChehraApiError';
    this.status = init.status;
    this.route = init.route;
    this.details = Object.freeze({ ...(init.details ?? {}) });
    if (init.networkCode) this.networkCode = init.networkCode;
  }

  /** The fallback the service offered with a refusal (consent_required, not_enrolled, template_expired…). */
  get fallback(): FallbackAdvice | undefined {
    const f = this.details.fallback;
    return f && typeof f === 'object' ? (f as FallbackAdvice) : undefined;
  }

  /** True when no answer arrived: the worker is offline or the network is too slow. */
  get isNetworkFailure(): boolean {
    return this.status === 0 && (this.code === 'network_error' || this.code === 'timeout');
  }
}
