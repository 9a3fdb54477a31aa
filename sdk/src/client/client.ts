import type { SealedEnvelope } from '../envelope/index.js';
import { HttpTransport, type CallOptions, type ChehraClientOptions } from './transport.js';
import type {
  AttestationInput,
  Beneficiary,
  BeneficiaryDetail,
  Consent,
  ConsentInput,
  ConsentWithdrawal,
  Enrolment,
  GuardianLinkInput,
  Guardianship,
  GuardianVisit,
  GuardianVisitInput,
  FallbackCase,
  ChangeMpinInput,
  Health,
  Identification,
  IdentifyInput,
  LoginInput,
  NewBeneficiary,
  OpenFallbackCaseInput,
  OtpSent,
  ReviewQueue,
  ReviewQueueQuery,
  ServiceKeys,
  SignedIn,
  Verification,
  VerifyInput,
  WithdrawConsentInput,
} from './wire.js';

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

export class ChehraClient {
  private readonly http: HttpTransport;

  constructor(options: ChehraClientOptions) {
    this.http = new HttpTransport(options);
  }

  /** The service's address, normalised (no trailing slash). */
  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /**
   * The service's clock minus this device's, in ms, from the `Date` header of the last answer
   * (±1 s). Phones in the field are often minutes off; capture times are checked against the
   * service's clock, so the session dates captures with this correction. Undefined until the
   * first answer.
   */
  get serverClockOffsetMs(): number | undefined {
    return this.http.serverClockOffsetMs;
  }

  health(opts?: CallOptions): Promise<Health> {
    return this.http.request<Health>('GET', '/healthz', '/healthz', undefined, false, opts);
  }

  /** The service's public encryption keys; seal to the one whose kid is `current`. */
  keys(opts?: CallOptions): Promise<ServiceKeys> {
    return this.http.request<ServiceKeys>('GET', '/v1/keys', '/v1/keys', undefined, false, opts);
  }

  /**
   * Mobile + MPIN sign-in (no token needed). An unknown number and a wrong MPIN are the same
   * `invalid_credentials` (401); `account_locked` (423) after 5 wrong MPINs, with `retryAfter`.
   * The MPIN is sent in the body only; it is never part of an error.
   */
  login(input: LoginInput, opts?: CallOptions): Promise<SignedIn> {
    return this.http.request<SignedIn>('POST', '/v1/auth/login', '/v1/auth/login', input, false, opts);
  }

  /** A new access token and refresh token for the session; the old refresh token is spent. */
  refresh(refreshToken: string, opts?: CallOptions): Promise<SignedIn> {
    return this.http.request<SignedIn>('POST', '/v1/auth/refresh', '/v1/auth/refresh', { refreshToken }, false, opts);
  }

  /** Changes the MPIN (required after a one-time MPIN); answers a fresh session's tokens. */
  changeMpin(input: ChangeMpinInput, opts?: CallOptions): Promise<SignedIn> {
    return this.http.request<SignedIn>('POST', '/v1/auth/mpin', '/v1/auth/mpin', input, true, opts);
  }

  /**
   * Ends the session in the service: its refresh token and every access token are refused from
   * now on. With the session's refresh token it works after the access token has expired too
   * (the service answers 204 alike for a token that named no live session).
   */
  async logout(refreshToken?: string, opts?: CallOptions): Promise<void> {
    await this.http.request<unknown>('POST', '/v1/auth/logout', '/v1/auth/logout', refreshToken ? { refreshToken } : undefined, true, opts);
  }

  createBeneficiary(input: NewBeneficiary, opts?: CallOptions): Promise<Beneficiary> {
    return this.http.request<Beneficiary>('POST', '/v1/beneficiaries', '/v1/beneficiaries', input, true, opts);
  }

  getBeneficiary(beneficiaryId: string, opts?: CallOptions): Promise<BeneficiaryDetail> {
    return this.http.request<BeneficiaryDetail>('GET', `/v1/beneficiaries/${seg(beneficiaryId)}`, '/v1/beneficiaries/:id', undefined, true, opts);
  }

  recordConsent(beneficiaryId: string, input: ConsentInput, opts?: CallOptions): Promise<Consent> {
    return this.http.request<Consent>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/consents`, '/v1/beneficiaries/:id/consents', input, true, opts);
  }

  /** Withdraws consent; the service deletes the face templates in the same transaction. */
  withdrawConsent(beneficiaryId: string, input: WithdrawConsentInput = {}, opts?: CallOptions): Promise<ConsentWithdrawal> {
    return this.http.request<ConsentWithdrawal>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/consents/withdraw`, '/v1/beneficiaries/:id/consents/withdraw', input, true, opts);
  }

  /** Enrols (or replaces) the beneficiary's face template from a sealed capture. */
  enrolTemplate(beneficiaryId: string, envelope: SealedEnvelope, opts?: CallOptions): Promise<Enrolment> {
    return this.http.request<Enrolment>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/templates`, '/v1/beneficiaries/:id/templates', { envelope }, true, opts);
  }

  /** Enrols from 2–3 sealed captures of one person; the service checks they agree and stores their mean. */
  enrolTemplates(beneficiaryId: string, envelopes: SealedEnvelope[], opts?: CallOptions): Promise<Enrolment> {
    return this.http.request<Enrolment>('POST', `/v1/beneficiaries/${seg(beneficiaryId)}/templates`, '/v1/beneficiaries/:id/templates', { envelopes }, true, opts);
  }

  /**
   * Links a child to a guardian of her AWC, who can then collect for her by her own face. A child
   * who has a guardian already gets another only with a second person: pass that guardian's capture
   * (`envelope`, and `existingGuardianId` when there are several), else the service answers
   * 409 guardian_link_needs_approval with the `changeRequestId` a supervisor decides.
   */
  linkGuardian(childId: string, input: GuardianLinkInput, opts?: CallOptions): Promise<Guardianship> {
    return this.http.request<Guardianship>('POST', `/v1/beneficiaries/${seg(childId)}/guardians`, '/v1/beneficiaries/:id/guardians', input, true, opts);
  }

  /** One capture of a guardian's face collects for her children: one distribution per child. */
  guardianVisit(input: GuardianVisitInput, opts?: CallOptions): Promise<GuardianVisit> {
    return this.http.request<GuardianVisit>('POST', '/v1/guardian-visits', '/v1/guardian-visits', input, true, opts);
  }

  /**
   * 1:1 verification. A decision (match, no_match, liveness_failed) is a result; a refusal
   * (already_distributed, consent_required, not_enrolled, template_expired) is a 409
   * ChehraApiError whose `details` carry the verification record and `fallback`.
   */
  verify(input: VerifyInput, opts?: CallOptions): Promise<Verification> {
    return this.http.request<Verification>('POST', '/v1/verifications', '/v1/verifications', input, true, opts);
  }

  /** 1:N search within the caller's district (district_admin tokens only). */
  identify(input: IdentifyInput, opts?: CallOptions): Promise<Identification> {
    return this.http.request<Identification>('POST', '/v1/identifications', '/v1/identifications', input, true, opts);
  }

  /**
   * Opens this month's fallback case for a beneficiary (worker): the face step failed or cannot
   * be done. Idempotent: the month's open case is returned if there is one. `already_distributed`
   * (409) when the ration was already given.
   */
  openFallbackCase(input: OpenFallbackCaseInput, opts?: CallOptions): Promise<FallbackCase> {
    return this.http.request<FallbackCase>('POST', '/v1/fallback-cases', '/v1/fallback-cases', input, true, opts);
  }

  /** A fallback case in the caller's scope (worker, supervisor, district_admin). */
  getFallbackCase(caseId: string, opts?: CallOptions): Promise<FallbackCase> {
    return this.http.request<FallbackCase>('GET', `/v1/fallback-cases/${seg(caseId)}`, '/v1/fallback-cases/:id', undefined, true, opts);
  }

  /**
   * Sends a one-time code to the beneficiary's registered mobile (worker). Refusals:
   * `no_registered_mobile` (409: use attestation), `otp_send_limit` (429), `sms_failed` (502).
   */
  sendFallbackOtp(caseId: string, opts?: CallOptions): Promise<OtpSent> {
    return this.http.request<OtpSent>('POST', `/v1/fallback-cases/${seg(caseId)}/otp`, '/v1/fallback-cases/:id/otp', undefined, true, opts);
  }

  /**
   * Checks the code the beneficiary read out (worker); the right one delivers the ration at once.
   * Refusals: `otp_incorrect` (400, `details.attemptsLeft`), `otp_expired` (400),
   * `otp_attempts_exceeded` (429), `otp_not_sent` and `fallback_already_completed` (409).
   * The code is sent in the body only; it is never part of an error.
   */
  verifyFallbackOtp(caseId: string, otp: string, opts?: CallOptions): Promise<FallbackCase> {
    return this.http.request<FallbackCase>('POST', `/v1/fallback-cases/${seg(caseId)}/otp/verify`, '/v1/fallback-cases/:id/otp/verify', { otp }, true, opts);
  }

  /** The supervisor attests the beneficiary's identity (supervisor tokens only); delivers the ration at once. */
  attestFallback(caseId: string, input: AttestationInput, opts?: CallOptions): Promise<FallbackCase> {
    return this.http.request<FallbackCase>('POST', `/v1/fallback-cases/${seg(caseId)}/attestation`, '/v1/fallback-cases/:id/attestation', input, true, opts);
  }

  /** The district admin's review queue, oldest first (district_admin tokens only). */
  reviewQueue(query: ReviewQueueQuery = {}, opts?: CallOptions): Promise<ReviewQueue> {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    const qs = params.toString() ? `?${params.toString()}` : '';
    return this.http.request<ReviewQueue>('GET', `/v1/review/cases${qs}`, '/v1/review/cases', undefined, true, opts);
  }
}

/** A path segment: ids are uuids, but never let a value change the route. */
function seg(id: string): string {
  return encodeURIComponent(id);
}
