/** Why the face step could not deliver a decision. Each one still ends with a ration. */
export type FallbackReason = 'no_consent' | 'no_match' | 'liveness_failed' | 'not_enrolled' | 'template_expired';

export const FALLBACK_METHODS = ['otp', 'supervisor_attestation'] as const;

export interface FallbackAdvice {
  reason: FallbackReason;
  options: readonly string[];
  message: string;
}

const MESSAGES: Record<FallbackReason, string> = {
  no_consent: 'No active consent for face verification: complete the visit by OTP or supervisor attestation.',
  no_match: 'The face did not match: retry, or complete the visit by OTP or supervisor attestation.',
  liveness_failed: 'The capture did not look live: retry, or complete the visit by OTP or supervisor attestation.',
  not_enrolled: 'No face template is enrolled: complete the visit by OTP or supervisor attestation, and enrol later.',
  template_expired: "The face template has expired (children's faces change): re-enrol, and complete this visit by OTP or supervisor attestation.",
};

export function fallbackFor(reason: FallbackReason): FallbackAdvice {
  return { reason, options: FALLBACK_METHODS, message: MESSAGES[reason] };
}
