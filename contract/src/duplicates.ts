import { type Static, Type } from 'typebox';
import { Day, Nullable, OneOf, Timestamp, Uuid } from './common.js';
import { CATEGORIES, DUPLICATE_DECISIONS, DUPLICATE_FLAG_STATUSES } from './enums.js';

// The district admin's duplicates queue: enrolments stopped by `409 possible_duplicate`.
// Both records side by side — who, where, when and by whom — never a face, an embedding or a score.

export const DuplicateQueueQuery = Type.Object({
  status: Type.Optional(OneOf(DUPLICATE_FLAG_STATUSES)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

const DuplicateSide = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    category: OneOf(CATEGORIES),
    birthDate: Nullable(Day),
    awc: Type.String(),
    registeredAt: Timestamp,
    registeredBy: Type.String(),
    /** The enrolment of her current template; for the flagged side, the attempt that raised the flag. */
    enrolledBy: Nullable(Type.String()),
    enrolledAt: Nullable(Timestamp),
    closedAt: Nullable(Timestamp),
    mergedInto: Nullable(Uuid),
    fraudFlagged: Type.Boolean(),
  },
  { additionalProperties: false },
);

const WorkerEnrolment = Type.Object(
  { beneficiaryId: Uuid, name: Type.String(), awc: Type.String(), category: OneOf(CATEGORIES), enrolledAt: Timestamp },
  { additionalProperties: false },
);

const pairFields = {
  id: Uuid,
  status: OneOf(DUPLICATE_FLAG_STATUSES),
  flaggedAt: Timestamp,
  /** The beneficiary whose enrolment was stopped. */
  flagged: DuplicateSide,
  /** The one already enrolled whose face it resembled. */
  candidate: DuplicateSide,
  decision: Nullable(OneOf(DUPLICATE_DECISIONS)),
  decidedBy: Nullable(Type.String()),
  decidedAt: Nullable(Timestamp),
  decisionNote: Nullable(Type.String()),
};

export const DuplicatePair = Type.Object(pairFields, { additionalProperties: false });
export const DuplicateList = Type.Object({ items: Type.Array(DuplicatePair) }, { additionalProperties: false });

/** What a "same person, merge" moved to the kept record or closed (ids, no faces). */
const MergeSummary = Type.Object(
  {
    /** The closed record's guardian links made again on the kept record (one it had already is not counted). */
    guardianLinksMoved: Type.Integer({ minimum: 0 }),
    /** The closed record's fallback cases never delivered, now closed. */
    fallbackCasesClosed: Type.Array(Uuid),
    /** This month's rations given on the closed record, now counted for the kept one. */
    distributionsMoved: Type.Array(Uuid),
    /** Rations on the closed record in a month in which the kept record had one too: collected twice. */
    rationsTwiceInAMonth: Type.Array(Uuid),
  },
  { additionalProperties: false },
);

/** One pair, with the enrolling worker; after "fraud suspected", her other enrolments in the district. */
export const DuplicateDetail = Type.Object(
  {
    ...pairFields,
    enrollingWorker: Type.String(),
    /** same_person: the record kept and the one closed. */
    kept: Type.Optional(Uuid),
    closed: Type.Optional(Uuid),
    merge: Type.Optional(MergeSummary),
    workerEnrolments: Type.Optional(Type.Array(WorkerEnrolment)),
  },
  { additionalProperties: false },
);

export const DuplicateDecisionBody = Type.Object(
  { decision: OneOf(DUPLICATE_DECISIONS), note: Type.String({ maxLength: 1000 }) },
  { additionalProperties: false },
);

export type DuplicateQueueQuery = Static<typeof DuplicateQueueQuery>;
export type DuplicatePair = Static<typeof DuplicatePair>;
export type DuplicateList = Static<typeof DuplicateList>;
export type DuplicateDetail = Static<typeof DuplicateDetail>;
export type DuplicateDecisionBody = Static<typeof DuplicateDecisionBody>;
