// The wire types, taken from @chehra/contract (the schemas the service validates and serialises
// with), never retyped here: a change to the service's answers changes these types, and code that
// relied on the old shape stops compiling instead of drifting. Type-only imports: nothing of the
// contract is bundled into an app that uses the SDK.
import type * as C from '@chehra/contract';
import type { SealedEnvelope } from '../envelope/index.js';

export type BeneficiaryCategory = C.Category;
/** POST /v1/beneficiaries. A child needs `guardian`; AWC, district and state come from the token. */
export type NewBeneficiary = C.NewBeneficiaryBody;
/** A beneficiary as the service shows her: the mobile number only masked. */
export type Beneficiary = C.Beneficiary;
export type BeneficiaryDetail = C.BeneficiaryDetail;

export type ConsentInput = C.ConsentBody;
export type Consent = C.Consent;
export type WithdrawConsentInput = C.WithdrawConsentBody;
/** The withdrawal, and how many face templates were deleted in the same transaction. */
export type ConsentWithdrawal = C.ConsentWithdrawal;

/** `replaced` counts the earlier templates of the same model this one replaced (0 on a first enrolment). */
export type Enrolment = C.Enrolment;

/** A guardian and the children she collects for with one capture of her face. */
export type GuardianLinkInput = C.GuardianLinkBody;
export type Guardianship = C.Guardianship;
export type GuardianVisitInput = Omit<C.GuardianVisitBody, 'envelope'> & { envelope: SealedEnvelope };
export type GuardianVisit = C.GuardianVisit;

export type VerificationOutcome = C.VerificationOutcome;
/** The envelope is the SDK's own type (what `sealEnvelope` makes); the rest is the contract's. */
export type VerifyInput = Omit<C.VerifyBody, 'envelope'> & { envelope: SealedEnvelope };
/** A decision (match, no_match, liveness_failed); `fallback` when the face step did not decide. */
export type Verification = C.Verification;
export type IdentifyInput = Omit<C.IdentifyBody, 'envelope'> & { envelope: SealedEnvelope };
export type Identification = C.Identification;

/** What the service suggests when the face step cannot decide: the ration is still delivered. */
export type FallbackAdvice = C.FallbackAdvice;
/** Why a visit goes by the fallback: a face step that failed, or one the worker says cannot be done. */
export type FallbackReason = C.FallbackReason;
export type OpenFallbackCaseInput = C.OpenFallbackCaseBody;
/** One beneficiary's fallback for one scheme and month: delivered at once, reviewed afterwards. */
export type FallbackCase = C.FallbackCase;
export type OtpSent = C.OtpSent;
export type AttestationReason = C.AttestationReason;
export type AttestationInput = C.AttestationBody;
export type ReviewQueueQuery = C.ReviewQueueQuery;
export type ReviewQueueItem = C.ReviewQueueItem;
export type ReviewQueue = C.ReviewQueue;

/** The service's envelope keys; seal to the one whose kid is `current`. */
export type ServiceKeys = C.ServiceKeys;
export type PublicServiceKey = C.ServiceKeys['keys'][number];
export type Health = C.Health;

/** POST /v1/auth/login: the worker's mobile number, MPIN and this device's stable id. */
export type LoginInput = C.LoginBody;
export type ChangeMpinInput = C.ChangeMpinBody;
/** Sign-in, refresh and MPIN change: tokens (access ≤ 15 min; refresh good once) and the account. */
export type SignedIn = C.SignedIn;
export type SignedInUser = C.User;
