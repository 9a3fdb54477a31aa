import { type Static, Type } from 'typebox';
import { Day, NonBlank, Nullable, Offset, OneOf, SealedEnvelope, Timestamp, Uuid } from './common.js';
import { CHANGE_APPROVALS, CHANGE_KINDS, CHANGE_STATUSES, REVIEW_DECISIONS } from './enums.js';

// Changes that need a second person (issue 10): re-enrolment over an earlier template (asked for
// by POST /v1/beneficiaries/:id/templates), a new mobile number for the OTP, and a further guardian
// for a child (POST /v1/beneficiaries/:id/guardians).

export const MobileChangeBody = Type.Object(
  {
    mobile: Type.String({ pattern: '^\\+?[0-9]{10,13}$' }),
    /** A capture of the beneficiary: if it matches her current template the change applies at once. */
    envelope: Type.Optional(SealedEnvelope),
  },
  { additionalProperties: false },
);

const changeRequestFields = {
  id: Uuid,
  beneficiaryId: Uuid,
  kind: OneOf(CHANGE_KINDS),
  status: OneOf(CHANGE_STATUSES),
  approval: Nullable(OneOf(CHANGE_APPROVALS)),
  /** A mobile change's new number, masked like every mobile. */
  newMobileMasked: Nullable(Type.String()),
  /** A guardian link's guardian, relation and start (beneficiaryId is the child); only on that kind. */
  guardianLink: Type.Optional(Type.Object({ guardianId: Uuid, relation: Type.String(), since: Day }, { additionalProperties: false })),
  requestedBy: Type.String(),
  requestedAt: Timestamp,
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Timestamp),
  decisionNote: Nullable(Type.String()),
  appliedAt: Nullable(Timestamp),
  awc: Type.String(),
  district: Type.String(),
  state: Type.String(),
};

export const ChangeRequest = Type.Object(changeRequestFields, { additionalProperties: false });

export const ChangeQueueQuery = Type.Object({
  status: Type.Optional(OneOf(CHANGE_STATUSES)),
  kind: Type.Optional(OneOf(CHANGE_KINDS)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Offset),
});

export const ChangeQueue = Type.Object(
  { items: Type.Array(Type.Object({ ...changeRequestFields, beneficiaryName: Type.String() }, { additionalProperties: false })) },
  { additionalProperties: false },
);

export const ChangeDecisionBody = Type.Object({ decision: OneOf(REVIEW_DECISIONS), note: NonBlank(500) }, { additionalProperties: false });

export type MobileChangeBody = Static<typeof MobileChangeBody>;
export type ChangeRequest = Static<typeof ChangeRequest>;
export type ChangeQueueQuery = Static<typeof ChangeQueueQuery>;
export type ChangeQueue = Static<typeof ChangeQueue>;
export type ChangeDecisionBody = Static<typeof ChangeDecisionBody>;
