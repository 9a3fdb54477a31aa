import { FACE_FAILURE_REASONS, DECLARED_REASONS, FALLBACK_OPTIONS, FALLBACK_REASONS, type FallbackAdvice, type FaceFailureReason, type FallbackReason } from '@chehra/contract';

// The reasons are the contract's (one list for the service, its CHECKs, the SDK and the console).
export { FACE_FAILURE_REASONS, DECLARED_REASONS, FALLBACK_REASONS, type FallbackAdvice, type FaceFailureReason, type FallbackReason };

/** Reasons another capture could fix; the others open a case at once. */
export const RETRYABLE: ReadonlySet<FallbackReason> = new Set(['no_match', 'liveness_failed']);

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
  return { reason, options: [...FALLBACK_OPTIONS], message: MESSAGES[reason], ...extra };
}
