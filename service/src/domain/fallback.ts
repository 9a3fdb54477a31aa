/** Why the face step could not deliver a decision. Each one still ends with a ration. */
export const FACE_FAILURE_REASONS = ['no_consent', 'no_match', 'liveness_failed', 'not_enrolled', 'template_expired'] as const;
/** Reasons a worker states herself, when no face attempt is possible or fair. */
export const DECLARED_REASONS = ['poor_quality', 'camera_fault', 'child_too_young', 'disability_or_injury', 'refused_biometrics'] as const;
export const FALLBACK_REASONS = [...FACE_FAILURE_REASONS, ...DECLARED_REASONS] as const;

export type FaceFailureReason = (typeof FACE_FAILURE_REASONS)[number];
export type FallbackReason = (typeof FALLBACK_REASONS)[number];

export const FALLBACK_METHODS = ['otp', 'supervisor_attestation'] as const;

/** Reasons another capture could fix; the others open a case at once. */
export const RETRYABLE: ReadonlySet<FallbackReason> = new Set(['no_match', 'liveness_failed']);

export interface FallbackAdvice {
  reason: FallbackReason;
  options: readonly string[];
  message: string;
  /** Face attempts left in this visit, for retryable reasons. */
  attemptsLeft?: number;
  /** The case the fallback completes, once one is open. */
  fallbackCaseId?: string;
}

const MESSAGES: Record<FallbackReason, string> = {
  no_consent: 'No active consent for face verification: complete the visit by OTP or supervisor attestation.',
  no_match: 'The face did not match: retry, or complete the visit by OTP or supervisor attestation.',
  liveness_failed: 'The capture did not look live: retry, or complete the visit by OTP or supervisor attestation.',
  not_enrolled: 'No face template is enrolled: complete the visit by OTP or supervisor attestation, and enrol later.',
  template_expired: "The face template has expired (children's faces change): re-enrol, and complete this visit by OTP or supervisor attestation.",
  poor_quality: 'The photo quality stayed too poor: complete the visit by OTP or supervisor attestation.',
  camera_fault: 'The camera does not work: complete the visit by OTP or supervisor attestation.',
  child_too_young: 'The child is too young for a stable face template: complete the visit by OTP or supervisor attestation.',
  disability_or_injury: 'A disability or injury prevents face capture: complete the visit by OTP or supervisor attestation.',
  refused_biometrics: 'The beneficiary declined face capture: complete the visit by OTP or supervisor attestation.',
};

export function fallbackFor(reason: FallbackReason, extra: Pick<FallbackAdvice, 'attemptsLeft' | 'fallbackCaseId'> = {}): FallbackAdvice {
  return { reason, options: FALLBACK_METHODS, message: MESSAGES[reason], ...extra };
}
