import { type Static, Type } from 'typebox';
import { ErrorBody, FallbackAdvice, Month, Nullable, OneOf, Scheme, SealedEnvelope, Timestamp, Uuid } from './common.js';
import { SCHEMES, VERIFICATION_OUTCOMES } from './enums.js';

// The three routes that take a sealed face embedding: enrolment, 1:1 verification, 1:N search.

/** Captures of one person at enrolment; the service checks they agree and stores their mean. */
export const MAX_ENROLMENT_CAPTURES = 3;

/** `envelopes`: 2–3 captures of the same person (the SDK guides them); `envelope`: one, as older apps send. Exactly one of the two. */
export const EnrolBody = Type.Object(
  {
    envelope: Type.Optional(SealedEnvelope),
    envelopes: Type.Optional(Type.Array(SealedEnvelope, { minItems: 1, maxItems: MAX_ENROLMENT_CAPTURES })),
  },
  { additionalProperties: false },
);

export const Enrolment = Type.Object(
  {
    templateId: Uuid,
    modelId: Type.String(),
    /** How many earlier templates of the same model this one replaced (0 on a first enrolment). */
    replaced: Type.Integer({ minimum: 0 }),
    /** Captures the template was built from (their normalised mean). */
    captures: Type.Integer({ minimum: 1, maximum: MAX_ENROLMENT_CAPTURES }),
    expiresAt: Timestamp,
  },
  { additionalProperties: false },
);

export const VerifyBody = Type.Object(
  {
    beneficiaryId: Uuid,
    scheme: Type.Optional(Scheme),
    envelope: SealedEnvelope,
    /** The capturing device, recorded (the face retry limit is per beneficiary and day, whatever the device). */
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

const verificationFields = {
  verificationId: Uuid,
  outcome: OneOf(VERIFICATION_OUTCOMES),
  match: Type.Boolean(),
  // Never a score or a threshold: a score is an oracle a probe can be climbed with. The service
  // keeps both for the verification row and the admin's case view.
  scheme: OneOf(SCHEMES),
  month: Month,
  /** Set when this verification delivered the month's ration. */
  distributionId: Nullable(Uuid),
  fallback: Type.Optional(FallbackAdvice),
};

export const Verification = Type.Object(verificationFields, { additionalProperties: false });

/**
 * A 409 from POST /v1/verifications: a refusal (already distributed, no consent, not enrolled,
 * expired template) carries the recorded verification with it; a replayed envelope or a model
 * mismatch carries only {code, message}.
 */
export const VerificationRefusal = Type.Object(
  { ...ErrorBody.properties, ...Type.Partial(Type.Object(verificationFields)).properties },
  { additionalProperties: false },
);

export const IdentifyBody = Type.Object(
  { envelope: SealedEnvelope, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 20, default: 5 })) },
  { additionalProperties: false },
);

/** Only the beneficiaries whose face the model calls the same person, nearest first; no scores. */
export const Identification = Type.Object(
  { candidates: Type.Array(Type.Object({ beneficiaryId: Uuid }, { additionalProperties: false })) },
  { additionalProperties: false },
);

/** One capture of a guardian's face collects for each of the children named (a household, not a list). */
export const GuardianVisitBody = Type.Object(
  {
    guardianId: Uuid,
    childIds: Type.Array(Uuid, { minItems: 1, maxItems: 6, uniqueItems: true }),
    scheme: Type.Optional(Scheme),
    envelope: SealedEnvelope,
    deviceId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);

/** The decision for the guardian's face, and per child her verification and distribution. No score. */
export const GuardianVisit = Type.Object(
  {
    visitId: Uuid,
    guardianId: Uuid,
    outcome: OneOf(VERIFICATION_OUTCOMES),
    match: Type.Boolean(),
    scheme: OneOf(SCHEMES),
    month: Month,
    children: Type.Array(
      Type.Object(
        { childId: Uuid, verificationId: Uuid, outcome: OneOf(VERIFICATION_OUTCOMES), distributionId: Nullable(Uuid), fallback: Type.Optional(FallbackAdvice) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/**
 * A 409 from POST /v1/guardian-visits. When the face path is closed for today (the guardian's
 * attempts or a child's are used up: face_attempts_exhausted) the visit's unscored rows come with
 * it, each child's case named in her fallback, as a direct verification's refusal carries its row;
 * every other refusal (not linked, no consent, already given…) carries only {code, message, …}.
 */
export const GuardianVisitRefusal = Type.Object(
  { ...ErrorBody.properties, ...Type.Partial(GuardianVisit).properties },
  { additionalProperties: false },
);

export type EnrolBody = Static<typeof EnrolBody>;
export type GuardianVisitRefusal = Static<typeof GuardianVisitRefusal>;
export type GuardianVisitBody = Static<typeof GuardianVisitBody>;
export type GuardianVisit = Static<typeof GuardianVisit>;
export type Enrolment = Static<typeof Enrolment>;
export type VerifyBody = Static<typeof VerifyBody>;
export type Verification = Static<typeof Verification>;
export type VerificationRefusal = Static<typeof VerificationRefusal>;
export type IdentifyBody = Static<typeof IdentifyBody>;
export type Identification = Static<typeof Identification>;
