import { type Static, Type } from 'typebox';
import { NonBlank, Nullable, OneOf, Timestamp, Uuid } from './common.js';
import { CONSENT_GIVERS, CONSENT_METHODS, CONSENT_PURPOSES } from './enums.js';

export const ConsentBody = Type.Object(
  {
    purpose: OneOf(CONSENT_PURPOSES),
    /** A child's consent is given by the guardian. */
    givenBy: OneOf(CONSENT_GIVERS),
    noticeVersion: NonBlank(32),
    /** BCP 47 tag of the language the notice was given in, e.g. hi, en, mr, ta. */
    language: Type.String({ pattern: '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$' }),
    method: OneOf(CONSENT_METHODS),
  },
  { additionalProperties: false },
);

export const WithdrawConsentBody = Type.Object(
  { purpose: Type.Optional(OneOf(CONSENT_PURPOSES)), reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);

export const Consent = Type.Object(
  {
    id: Uuid,
    beneficiaryId: Uuid,
    purpose: OneOf(CONSENT_PURPOSES),
    givenBy: OneOf(CONSENT_GIVERS),
    noticeVersion: Type.String(),
    language: Type.String(),
    method: OneOf(CONSENT_METHODS),
    recordedBy: Type.String(),
    grantedAt: Timestamp,
    withdrawnAt: Nullable(Timestamp),
    withdrawnBy: Nullable(Type.String()),
    withdrawalReason: Nullable(Type.String()),
    active: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const ConsentList = Type.Object({ items: Type.Array(Consent) }, { additionalProperties: false });

/** Withdrawal deletes the face templates in the same transaction. */
export const ConsentWithdrawal = Type.Object({ consent: Consent, templatesDeleted: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });

export type ConsentBody = Static<typeof ConsentBody>;
export type WithdrawConsentBody = Static<typeof WithdrawConsentBody>;
export type Consent = Static<typeof Consent>;
export type ConsentList = Static<typeof ConsentList>;
export type ConsentWithdrawal = Static<typeof ConsentWithdrawal>;
