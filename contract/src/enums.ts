/**
 * Every enumeration on the wire, once. The service's request validation, its SQL CHECK constraints
 * (asserted by service/test/contract-checks.test.ts), the SDK and the console all read these lists.
 * Adding a value here and not in a migration (or the reverse) fails that test.
 */

/** guardian: registered only to collect for a child (her own face and consent), no THR of her own. */
export const CATEGORIES = ['pregnant', 'lactating', 'child_6m_3y', 'child_3_6y', 'adolescent_girl', 'guardian'] as const;
export type Category = (typeof CATEGORIES)[number];
/** Registered with a guardian, whose consent and mobile number stand for the child's. */
export const CHILD_CATEGORIES = ['child_6m_3y', 'child_3_6y'] as const satisfies readonly Category[];
export const isChild = (c: Category): boolean => (CHILD_CATEGORIES as readonly Category[]).includes(c);

export const ROLES = ['worker', 'supervisor', 'district_admin', 'state_admin', 'auditor'] as const;
export type Role = (typeof ROLES)[number];
export const USER_STATUSES = ['active', 'disabled'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];
/** Why a sign-in session ended before its time. */
export const SESSION_END_REASONS = ['logout', 'refresh_reused', 'user_disabled', 'mpin_reset', 'mpin_changed'] as const;
export type SessionEndReason = (typeof SESSION_END_REASONS)[number];

/** Take-home ration is the only scheme so far; the field exists so another can be added. */
export const SCHEMES = ['THR'] as const;

export const CONSENT_PURPOSES = ['face_verification'] as const;
export type ConsentPurpose = (typeof CONSENT_PURPOSES)[number];
export const CONSENT_GIVERS = ['self', 'guardian'] as const;
export type ConsentGiver = (typeof CONSENT_GIVERS)[number];
export const CONSENT_METHODS = ['verbal', 'signature', 'thumb_impression'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/**
 * What a 1:1 verification ended in. `already_distributed` is a refusal, not a face decision;
 * `face_attempts_exhausted` too: the day's face attempts for the beneficiary are used up.
 */
export const VERIFICATION_OUTCOMES = ['match', 'no_match', 'liveness_failed', 'no_consent', 'not_enrolled', 'template_expired', 'already_distributed', 'face_attempts_exhausted'] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];

/** Why the face step could not deliver a decision. Each one still ends with a ration. */
export const FACE_FAILURE_REASONS = ['no_consent', 'no_match', 'liveness_failed', 'not_enrolled', 'template_expired'] as const;
/** Reasons a worker states herself, when no face attempt is possible or fair. */
export const DECLARED_REASONS = ['poor_quality', 'camera_fault', 'child_too_young', 'disability_or_injury', 'refused_biometrics'] as const;
export const FALLBACK_REASONS = [...FACE_FAILURE_REASONS, ...DECLARED_REASONS] as const;
export type FaceFailureReason = (typeof FACE_FAILURE_REASONS)[number];
export type DeclaredReason = (typeof DECLARED_REASONS)[number];
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

/** The ways offered to the worker to finish a visit without a face match (words for people). */
export const FALLBACK_OPTIONS = ['otp', 'supervisor_attestation'] as const;
export type FallbackOption = (typeof FALLBACK_OPTIONS)[number];
/** How a fallback case was completed, as stored on the case. */
export const FALLBACK_CASE_METHODS = ['otp', 'attestation'] as const;
export type FallbackCaseMethod = (typeof FALLBACK_CASE_METHODS)[number];
/** How a month's ration was handed over. */
export const DISTRIBUTION_METHODS = ['face', ...FALLBACK_CASE_METHODS] as const;
export type DistributionMethod = (typeof DISTRIBUTION_METHODS)[number];

/** Why a supervisor vouches for a beneficiary the face step could not confirm. */
export const ATTESTATION_REASONS = ['known_to_supervisor', 'identity_document_verified', 'home_visit', 'community_witness'] as const;
export type AttestationReason = (typeof ATTESTATION_REASONS)[number];

export const REVIEW_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];
export const REVIEW_DECISIONS = ['approve', 'reject'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/**
 * Changes that need a second person: re-enrolment over a template, a new OTP mobile number, and a
 * further guardian for a child who has one (whoever is linked can collect the child's ration).
 */
export const CHANGE_KINDS = ['re_enrolment', 'mobile_change', 'guardian_link'] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];
/** pending -> approved (a re-enrolment may now be made) -> applied; or rejected. */
export const CHANGE_STATUSES = ['pending', 'approved', 'rejected', 'applied'] as const;
export type ChangeStatus = (typeof CHANGE_STATUSES)[number];
/** Who was the second person: a supervisor, or the beneficiary's own face matching her template. */
export const CHANGE_APPROVALS = ['supervisor', 'face_match'] as const;
export type ChangeApproval = (typeof CHANGE_APPROVALS)[number];

/** Which rate-limit counter refused a request. */
export const RATE_LIMIT_SCOPES = ['user', 'source'] as const;

export const DUPLICATE_FLAG_STATUSES = ['open', 'resolved'] as const;
export type DuplicateFlagStatus = (typeof DUPLICATE_FLAG_STATUSES)[number];
/** A district admin's decision on a possible duplicate (service/src/domain/duplicate-decision.ts). */
export const DUPLICATE_DECISIONS = ['different_people', 'same_person', 'fraud_suspected'] as const;
export type DuplicateDecision = (typeof DUPLICATE_DECISIONS)[number];

/** The first link of the audit chain that does not hold, by kind. */
export const CHAIN_BREAK_REASONS = ['hash_mismatch', 'prev_hash_mismatch', 'sequence_gap', 'head_mismatch'] as const;
export type ChainBreakReason = (typeof CHAIN_BREAK_REASONS)[number];
/**
 * Why /v1/audit/verify is not ok, in the order it checks: a broken link; the chain does not pass
 * through the auditor's checkpoint (rewritten, or shorter than it: truncated); a stored checkpoint
 * that is not signed or not on the chain; business rows without their audit entry.
 */
export const AUDIT_FAILURE_REASONS = [...CHAIN_BREAK_REASONS, 'checkpoint_mismatch', 'checkpoint_beyond_chain', 'stored_checkpoint_invalid', 'missing_audit_entries'] as const;
export type AuditFailureReason = (typeof AUDIT_FAILURE_REASONS)[number];

export const DATABASE_KINDS = ['pglite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

/** Why /healthz says the service is not ready. */
export const HEALTH_PROBLEMS = ['database_unavailable', 'disk_full', 'storage_read_only', 'storage_missing', 'storage_unavailable'] as const;
export type HealthProblemCode = (typeof HEALTH_PROBLEMS)[number];

/** What an SMS gateway says about one message. */
export const SMS_STATUSES = ['accepted', 'delivered', 'failed', 'unknown'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];
