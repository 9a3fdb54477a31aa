import { type Static, Type } from 'typebox';
import { Month, NonBlank, Nullable, OneOf, Scheme, Timestamp, Uuid } from './common.js';
import { ATTESTATION_REASONS, FALLBACK_CASE_METHODS, FALLBACK_REASONS, REVIEW_STATUSES, SCHEMES } from './enums.js';

export const OpenFallbackCaseBody = Type.Object(
  {
    beneficiaryId: Uuid,
    reason: OneOf(FALLBACK_REASONS),
    scheme: Type.Optional(Scheme),
    /** The failed verification that led here, if any. */
    verificationId: Type.Optional(Uuid),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);

export const AttestationBody = Type.Object(
  { reasonCode: OneOf(ATTESTATION_REASONS), note: NonBlank(500) },
  { additionalProperties: false },
);

export const OtpBody = Type.Object({ otp: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });

const fallbackCaseFields = {
  id: Uuid,
  beneficiaryId: Uuid,
  scheme: OneOf(SCHEMES),
  month: Month,
  reason: OneOf(FALLBACK_REASONS),
  verificationId: Nullable(Uuid),
  openedBy: Type.String(),
  awc: Type.String(),
  district: Type.String(),
  state: Type.String(),
  workerNote: Nullable(Type.String()),
  openedAt: Timestamp,
  method: Nullable(OneOf(FALLBACK_CASE_METHODS)),
  distributionId: Nullable(Uuid),
  completedAt: Nullable(Timestamp),
  attestedBy: Nullable(Type.String()),
  attestationReason: Nullable(OneOf(ATTESTATION_REASONS)),
  attestationNote: Nullable(Type.String()),
  reviewStatus: OneOf(REVIEW_STATUSES),
  reviewedBy: Nullable(Type.String()),
  reviewedAt: Nullable(Timestamp),
  reviewNote: Nullable(Type.String()),
  /** The ration was handed over (by OTP or attestation); review comes after. */
  delivered: Type.Boolean(),
  /** Closed undelivered when a "same person, merge" decision (this duplicate flag) closed its record. */
  closedAt: Nullable(Timestamp),
  closedByDuplicateFlag: Nullable(Uuid),
};

export const FallbackCase = Type.Object(fallbackCaseFields, { additionalProperties: false });

export const OtpSent = Type.Object(
  {
    challengeId: Uuid,
    expiresAt: Timestamp,
    /** The registered mobile, masked: ******3210. */
    sentTo: Type.String({ pattern: '^\\*{6}[0-9]{4}$' }),
    sendsLeft: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);

export { fallbackCaseFields };

export type OpenFallbackCaseBody = Static<typeof OpenFallbackCaseBody>;
export type AttestationBody = Static<typeof AttestationBody>;
export type OtpBody = Static<typeof OtpBody>;
export type FallbackCase = Static<typeof FallbackCase>;
export type OtpSent = Static<typeof OtpSent>;
