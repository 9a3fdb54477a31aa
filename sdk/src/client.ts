import type { SealedEnvelope } from './envelope/index.js';

/**
 * Typed HTTP client for the Chehra service, on the platform's `fetch` (Node 20 or a browser).
 *
 * What it promises:
 * - every failure is a `ChehraError` with a machine-readable `code`; answers of the service
 *   (4xx/5xx) are `ChehraApiError` with the HTTP `status` and the service's own `code`;
 * - no error message, property or cause ever holds a request body (envelopes, names, mobiles);
 * - every request has a timeout; only idempotent reads are retried, never a POST (a POST that
 *   timed out may have been done: the caller decides, and the envelope's nonce makes a resend
 *   of the *same* envelope harmless — the service answers `envelope_replayed`).
 */

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

/** What the service suggests when the face step cannot decide: the ration is still delivered. */
export interface FallbackAdvice {
  reason: 'no_consent' | 'no_match' | 'liveness_failed' | 'not_enrolled' | 'template_expired';
  options: readonly string[];
  message: string;
  /** Face attempts left in this visit (no_match, liveness_failed); at 0 the service opened a case. */
  attemptsLeft?: number;
  /** The fallback case the service opened for this visit: complete it by OTP or attestation. */
  fallbackCaseId?: string;
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

// ---------------------------------------------------------------------------------------------
// Wire types (the service's routes are the contract: service/src/routes/*.ts)

export type BeneficiaryCategory = 'pregnant' | 'lactating' | 'child_6m_3y' | 'child_3_6y' | 'adolescent_girl';

export interface NewBeneficiary {
  category: BeneficiaryCategory;
  name: string;
  /** YYYY-MM-DD */
  birthDate?: string;
  /** Registered mobile for OTP fallback, 10–13 digits, optional leading +. */
  mobile?: string;
  /** Required for children. */
  guardian?: { name: string; relation: string };
}

export interface Beneficiary {
  id: string;
  category: BeneficiaryCategory;
  name: string;
  birthDate: string | null;
  awc: string;
  district: string;
  state: string;
  /** Only the last four digits leave the service. */
  mobileMasked: string | null;
  guardian: { name: string; relation: string | null } | null;
  createdAt: string;
}

export interface BeneficiaryDetail extends Beneficiary {
  consentActive: boolean;
  templates: Array<{ modelId: string; expiresAt: string | null }>;
}

export interface ConsentInput {
  purpose: 'face_verification';
  givenBy: 'self' | 'guardian';
  noticeVersion: string;
  /** BCP 47 tag of the language the notice was given in (hi, en, mr, ta…). */
  language: string;
  method: 'verbal' | 'signature' | 'thumb_impression';
}

export interface Consent extends ConsentInput {
  id: string;
  beneficiaryId: string;
  recordedBy: string;
  grantedAt: string;
  withdrawnAt: string | null;
  withdrawnBy: string | null;
  withdrawalReason: string | null;
  active: boolean;
}

export interface WithdrawConsentInput {
  purpose?: 'face_verification';
  reason?: string;
}

export interface ConsentWithdrawal {
  consent: Consent;
  /** Face templates deleted in the same transaction as the withdrawal. */
  templatesDeleted: number;
}

export interface Enrolment {
  templateId: string;
  modelId: string;
  /** True when an earlier template of this beneficiary was replaced. */
  replaced: boolean;
  /** Children's templates expire (faces change); null when the template does not. */
  expiresAt: string | null;
}

export type VerificationOutcome = 'match' | 'no_match' | 'liveness_failed' | 'no_consent' | 'not_enrolled' | 'template_expired' | 'already_distributed';

export interface VerifyInput {
  beneficiaryId: string;
  scheme?: 'THR';
  envelope: SealedEnvelope;
  /** The capturing device: the service counts failed face attempts per beneficiary and device. */
  deviceId?: string;
}

export interface Verification {
  verificationId: string;
  outcome: VerificationOutcome;
  match: boolean;
  /** Cosine score, absent (null) when no comparison was made (e.g. liveness failed). */
  score: number | null;
  threshold: number | null;
  scheme: string;
  /** Distribution month, YYYY-MM. */
  month: string;
  /** Set when this verification delivered the month's ration. */
  distributionId: string | null;
  /** Present when the face step did not decide: the ration goes ahead by OTP or attestation. */
  fallback?: FallbackAdvice;
}

export interface IdentifyInput {
  envelope: SealedEnvelope;
  limit?: number;
}

export interface Identification {
  threshold: number;
  candidates: Array<{ beneficiaryId: string; score: number; match: boolean }>;
}

/** Why a visit goes by the fallback: a face step that failed, or one the worker says cannot be done. */
export type FallbackReason =
  | FallbackAdvice['reason']
  | 'poor_quality'
  | 'camera_fault'
  | 'child_too_young'
  | 'disability_or_injury'
  | 'refused_biometrics';

export interface OpenFallbackCaseInput {
  beneficiaryId: string;
  reason: FallbackReason;
  scheme?: 'THR';
  /** The failed verification that led here, when there was one. */
  verificationId?: string;
  /** The worker's note for the reviewer (≤ 500 characters). */
  note?: string;
}

/** One beneficiary's fallback for one scheme and month: delivered at once, reviewed afterwards. */
export interface FallbackCase {
  id: string;
  beneficiaryId: string;
  scheme: string;
  /** Distribution month, YYYY-MM. */
  month: string;
  reason: FallbackReason;
  verificationId: string | null;
  openedBy: string;
  awc: string;
  district: string;
  state: string;
  workerNote: string | null;
  openedAt: string;
  /** How the ration was delivered; null while the case is open. */
  method: 'otp' | 'attestation' | null;
  distributionId: string | null;
  completedAt: string | null;
  attestedBy: string | null;
  attestationReason: AttestationReason | null;
  attestationNote: string | null;
  reviewStatus: 'pending' | 'approved' | 'rejected';
  reviewedBy: string | null;
  reviewedAt: string | null;
  reviewNote: string | null;
  /** True once the ration was delivered (by OTP or attestation). */
  delivered: boolean;
}

export interface OtpSent {
  challengeId: string;
  expiresAt: string;
  /** The registered mobile, masked to its last four digits. */
  sentTo: string;
  /** OTPs that may still be sent for this case. */
  sendsLeft: number;
}

export type AttestationReason = 'known_to_supervisor' | 'identity_document_verified' | 'home_visit' | 'community_witness';

export interface AttestationInput {
  reasonCode: AttestationReason;
  /** Required, ≤ 500 characters. */
  note: string;
}

export interface ReviewQueueQuery {
  status?: 'pending' | 'approved' | 'rejected';
  awc?: string;
  reason?: FallbackReason;
  /** Only cases opened at least this many days ago. */
  minAgeDays?: number;
  limit?: number;
  offset?: number;
}

export interface ReviewQueueItem extends FallbackCase {
  beneficiaryName: string;
  beneficiaryCategory: BeneficiaryCategory;
}

export interface ReviewQueue {
  /** Cases matching the filter (the page holds at most `limit`). */
  total: number;
  items: ReviewQueueItem[];
}

export interface PublicServiceKey {
  kid: string;
  /** X25519 public key, base64 (32 bytes). */
  publicKey: string;
  alg: 'x25519-xsalsa20poly1305';
  current: boolean;
  /** When a retired key stops opening envelopes. */
  notAfter?: string;
}

export interface ServiceKeys {
  /** kid of the key to seal to. */
  current: string;
  keys: PublicServiceKey[];
}

export interface Health {
  status: 'ok';
  database: string;
}

// ---------------------------------------------------------------------------------------------

export interface ChehraClientOptions {
  /** e.g. https://chehra.example.gov.in — without a trailing path. */
  baseUrl: string;
  /**
   * The bearer token, or a function returning it (so the token can live in a session and be
   * dropped on logout). Public routes (keys, health) are sent without it.
   */
  token?: string | (() => string | undefined);
  /**
   * Per-attempt timeout. Default 30 s: an envelope is ~4 KB, which crawls over 2G in a
   * village but arrives well within this; a hung connection does not hold the worker forever.
   */
  timeoutMs?: number;
  /** Extra attempts for idempotent GETs after a network failure, timeout or 5xx. Default 2. POSTs are never retried. */
  getRetries?: number;
  /** Pause before the first GET retry, doubled each time. Default 500 ms. */
  retryDelayMs?: number;
  /** Injected for tests or unusual platforms; default the global fetch. */
  fetch?: typeof fetch;
  /** This device's clock (for `serverClockOffsetMs`); default Date.now. */
  now?: () => number;
}

export interface CallOptions {
  /** Cancels the request (e.g. the worker left the screen); the error's code is `aborted`. */
  signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  timeoutMs?: number;
}

type Method = 'GET' | 'POST';

const DEFAULT_TIMEOUT_MS = 30_000;

export class ChehraClient {
  readonly baseUrl: string;
  private readonly token: ChehraClientOptions['token'];
  private readonly timeoutMs: number;
  private readonly getRetries: number;
  private readonly retryDelayMs: number;
  private readonly fetchImpl: typeof fetch;
  private readonly now: () => number;
  private clockOffset: number | undefined;

  constructor(options: ChehraClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new ChehraError('invalid_base_url', 'baseUrl must be an absolute http(s) URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ChehraError('invalid_base_url', 'baseUrl must be an absolute http(s) URL');
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.token = options.token;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.getRetries = options.getRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.now = options.now ?? Date.now;
  }

  /**
   * The service's clock minus this device's, in ms, from the `Date` header of the last answer
   * (±1 s). Phones in the field are often minutes off; capture times are checked against the
   * service's clock, so the session dates captures with this correction. Undefined until the
   * first answer.
   */
  get serverClockOffsetMs(): number | undefined {
    return this.clockOffset;
  }

  health(opts?: CallOptions): Promise<Health> {
    return this.request<Health>('GET', '/healthz', '/healthz', undefined, false, opts);
  }

  /** The service's public encryption keys; seal to the one whose kid is `current`. */
  keys(opts?: CallOptions): Promise<ServiceKeys> {
    return this.request<ServiceKeys>('GET', '/v1/keys', '/v1/keys', undefined, false, opts);
  }

  createBeneficiary(input: NewBeneficiary, opts?: CallOptions): Promise<Beneficiary> {
    return this.request<Beneficiary>('POST', '/v1/beneficiaries', '/v1/beneficiaries', input, true, opts);
  }

  getBeneficiary(beneficiaryId: string, opts?: CallOptions): Promise<BeneficiaryDetail> {
    return this.request<BeneficiaryDetail>('GET', `/v1/beneficiaries/${seg(beneficiaryId)}`, '/v1/beneficiaries/:id', undefined, true, opts);
  }

  recordConsent(beneficiaryId: string, input: ConsentInput, opts?: CallOptions): Promise<Consent> {
    return this.request<Consent>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/consents`, '/v1/beneficiaries/:id/consents', input, true, opts);
  }

  /** Withdraws consent; the service deletes the face templates in the same transaction. */
  withdrawConsent(beneficiaryId: string, input: WithdrawConsentInput = {}, opts?: CallOptions): Promise<ConsentWithdrawal> {
    return this.request<ConsentWithdrawal>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/consents/withdraw`, '/v1/beneficiaries/:id/consents/withdraw', input, true, opts);
  }

  /** Enrols (or replaces) the beneficiary's face template from a sealed capture. */
  async enrolTemplate(beneficiaryId: string, envelope: SealedEnvelope, opts?: CallOptions): Promise<Enrolment> {
    const r = await this.request<Enrolment>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/templates`, '/v1/beneficiaries/:id/templates', { envelope }, true, opts);
    // The service currently sends `replaced` as a row count (0/1); the contract is a boolean.
    return { ...r, replaced: Boolean(r.replaced) };
  }

  /**
   * 1:1 verification. A decision (match, no_match, liveness_failed) is a result; a refusal
   * (already_distributed, consent_required, not_enrolled, template_expired) is a 409
   * ChehraApiError whose `details` carry the verification record and `fallback`.
   */
  verify(input: VerifyInput, opts?: CallOptions): Promise<Verification> {
    return this.request<Verification>('POST', '/v1/verifications', '/v1/verifications', input, true, opts);
  }

  /** 1:N search within the caller's district (district_admin tokens only). */
  identify(input: IdentifyInput, opts?: CallOptions): Promise<Identification> {
    return this.request<Identification>('POST', '/v1/identifications', '/v1/identifications', input, true, opts);
  }

  /**
   * Opens this month's fallback case for a beneficiary (worker): the face step failed or cannot
   * be done. Idempotent: the month's open case is returned if there is one. `already_distributed`
   * (409) when the ration was already given.
   */
  openFallbackCase(input: OpenFallbackCaseInput, opts?: CallOptions): Promise<FallbackCase> {
    return this.request<FallbackCase>('POST', '/v1/fallback-cases', '/v1/fallback-cases', input, true, opts);
  }

  /** A fallback case in the caller's scope (worker, supervisor, district_admin). */
  getFallbackCase(caseId: string, opts?: CallOptions): Promise<FallbackCase> {
    return this.request<FallbackCase>('GET', `/v1/fallback-cases/${seg(caseId)}`, '/v1/fallback-cases/:id', undefined, true, opts);
  }

  /**
   * Sends a one-time code to the beneficiary's registered mobile (worker). Refusals:
   * `no_registered_mobile` (409: use attestation), `otp_send_limit` (429), `sms_failed` (502).
   */
  sendFallbackOtp(caseId: string, opts?: CallOptions): Promise<OtpSent> {
    return this.request<OtpSent>('POST', `/v1/fallback-cases/${seg(caseId)}/otp`, '/v1/fallback-cases/:id/otp', undefined, true, opts);
  }

  /**
   * Checks the code the beneficiary read out (worker); the right one delivers the ration at once.
   * Refusals: `otp_incorrect` (400, `details.attemptsLeft`), `otp_expired` (400),
   * `otp_attempts_exceeded` (429), `otp_not_sent` and `fallback_already_completed` (409).
   * The code is sent in the body only; it is never part of an error.
   */
  verifyFallbackOtp(caseId: string, otp: string, opts?: CallOptions): Promise<FallbackCase> {
    return this.request<FallbackCase>('POST', `/v1/fallback-cases/${seg(caseId)}/otp/verify`, '/v1/fallback-cases/:id/otp/verify', { otp }, true, opts);
  }

  /** The supervisor attests the beneficiary's identity (supervisor tokens only); delivers the ration at once. */
  attestFallback(caseId: string, input: AttestationInput, opts?: CallOptions): Promise<FallbackCase> {
    return this.request<FallbackCase>('POST', `/v1/fallback-cases/${seg(caseId)}/attestation`, '/v1/fallback-cases/:id/attestation', input, true, opts);
  }

  /** The district admin's review queue, oldest first (district_admin tokens only). */
  reviewQueue(query: ReviewQueueQuery = {}, opts?: CallOptions): Promise<ReviewQueue> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString() ? `?${params.toString()}` : '';
    return this.request<ReviewQueue>('GET', `/v1/review/cases${qs}`, '/v1/review/cases', undefined, true, opts);
  }

  private async request<T>(method: Method, path: string, template: string, body: unknown, auth: boolean, opts: CallOptions = {}): Promise<T> {
    const route = `${method} ${template}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) {
      const token = typeof this.token === 'function' ? this.token() : this.token;
      if (token) headers.authorization = `Bearer ${token}`;
    }
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    const attempts = method === 'GET' ? 1 + Math.max(0, this.getRetries) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once<T>(method, path, route, headers, payload, opts);
      } catch (err) {
        const retriable = err instanceof ChehraApiError && (err.isNetworkFailure || err.status >= 500);
        if (!retriable || attempt >= attempts || opts.signal?.aborted) throw err;
        await sleep(this.retryDelayMs * 2 ** (attempt - 1), opts.signal);
      }
    }
  }

  private async once<T>(method: Method, path: string, route: string, headers: Record<string, string>, payload: string | undefined, opts: CallOptions): Promise<T> {
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const fail = (code: ClientErrorCode, message: string, networkCode?: string) =>
      new ChehraApiError({ status: 0, code, message, route, ...(networkCode ? { networkCode } : {}) });
    const sentAt = this.now();
    let res: Response;
    let text: string;
    try {
      res = await this.fetchImpl(`${this.baseUrl}${path}`, { method, headers, ...(payload === undefined ? {} : { body: payload }), signal });
      // The timeout covers the body too: a connection that stalls mid-answer is a timeout.
      text = await res.text();
    } catch (err) {
      // Never pass the underlying error on: keep only what says why the network failed.
      if (opts.signal?.aborted) throw fail('aborted', 'the request was cancelled');
      if (timeout.aborted) throw fail('timeout', `no answer from the service within ${Math.round((opts.timeoutMs ?? this.timeoutMs) / 1000)} s; check the connection`);
      const networkCode = errnoOf(err);
      throw fail('network_error', `could not reach the service${networkCode ? ` (${networkCode})` : ''}; check the connection`, networkCode);
    }
    this.noteServerTime(res.headers.get('date'), sentAt);

    let json: unknown;
    try {
      json = text.length ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) {
      if (json === null || typeof json !== 'object') {
        throw new ChehraApiError({ status: res.status, code: 'invalid_response', message: 'the answer was not the service JSON (a proxy or captive portal?)', route });
      }
      return json as T;
    }
    if (json && typeof json === 'object' && typeof (json as Record<string, unknown>).code === 'string') {
      const { code, message, ...details } = json as Record<string, unknown>;
      throw new ChehraApiError({ status: res.status, code: code as string, message: typeof message === 'string' ? message : 'the service refused the request', route, details });
    }
    throw new ChehraApiError({
      status: res.status,
      code: res.status >= 500 ? 'server_error' : 'invalid_response',
      message: res.status >= 500 ? 'the service failed; try again later' : 'the answer was not the service JSON (a proxy or captive portal?)',
      route,
    });
  }

  private noteServerTime(date: string | null, sentAt: number): void {
    if (!date) return;
    const server = Date.parse(date);
    if (!Number.isFinite(server)) return;
    // The header has 1 s resolution and is stamped somewhere between sending and receiving.
    this.clockOffset = server + 500 - (sentAt + this.now()) / 2;
  }
}

/** A path segment: ids are uuids, but never let a value change the route. */
function seg(id: string): string {
  return encodeURIComponent(id);
}

function errnoOf(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{2,40}$/.test(code)) return code;
  }
  return undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
