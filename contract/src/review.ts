import { type Static, Type } from 'typebox';
import { Beneficiary } from './beneficiaries.js';
import { Day, Nullable, Offset, OneOf, Timestamp, Uuid } from './common.js';
import { CATEGORIES, DISTRIBUTION_METHODS, FALLBACK_REASONS, REVIEW_DECISIONS, REVIEW_STATUSES, SMS_STATUSES, VERIFICATION_OUTCOMES } from './enums.js';
import { FallbackCase, fallbackCaseFields } from './fallback.js';

export const ReviewQueueQuery = Type.Object({
  status: Type.Optional(OneOf(REVIEW_STATUSES)),
  awc: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  reason: Type.Optional(OneOf(FALLBACK_REASONS)),
  /** Only cases opened at least this many days ago. */
  minAgeDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
  /** A beneficiary's name (any part, any case) or her id, or a case id. */
  q: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  /** Cases opened on or after this day, and on or before that one (India). */
  from: Type.Optional(Day),
  to: Type.Optional(Day),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Offset),
});

export const ReviewQueueItem = Type.Object(
  { ...fallbackCaseFields, beneficiaryName: Type.String(), beneficiaryCategory: OneOf(CATEGORIES) },
  { additionalProperties: false },
);

export const ReviewQueue = Type.Object({ total: Type.Integer({ minimum: 0 }), items: Type.Array(ReviewQueueItem) }, { additionalProperties: false });

/** Everything the admin needs to decide one case. The admin may see the face score; workers never do. */
export const ReviewCaseDetail = Type.Object(
  {
    case: FallbackCase,
    beneficiary: Beneficiary,
    verification: Nullable(
      Type.Object(
        { outcome: OneOf(VERIFICATION_OUTCOMES), score: Nullable(Type.Number()), threshold: Nullable(Type.Number()), createdAt: Timestamp },
        { additionalProperties: false },
      ),
    ),
    otp: Type.Object(
      {
        sent: Type.Integer({ minimum: 0 }),
        verified: Type.Boolean(),
        /**
         * Each OTP message, oldest first: when it was sent and what the SMS gateway says of it now
         * (asked when the case is fetched; `unknown` when the gateway has no delivery reports, did not
         * answer in time, or the send failed). Never the code, the number or the gateway's id.
         */
        messages: Type.Array(Type.Object({ sentAt: Timestamp, delivery: OneOf(SMS_STATUSES) }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    distribution: Nullable(
      Type.Object(
        { id: Uuid, method: OneOf(DISTRIBUTION_METHODS), createdAt: Timestamp, recoveryFlaggedAt: Nullable(Timestamp) },
        { additionalProperties: false },
      ),
    ),
    /** Display names of the people on the case (the worker who opened it, the attesting supervisor, the reviewer), by user id; an id without an account (a development token) is absent. */
    people: Type.Record(Type.String(), Type.String()),
  },
  { additionalProperties: false },
);

export const DecisionBody = Type.Object(
  {
    decision: OneOf(REVIEW_DECISIONS),
    /** Required to reject. */
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

/** One decision and one note for many cases: all of them are decided, or none (a case that cannot be is named). */
export const BulkDecisionBody = Type.Object(
  {
    caseIds: Type.Array(Uuid, { minItems: 1, maxItems: 100, uniqueItems: true }),
    decision: OneOf(REVIEW_DECISIONS),
    /** Required to reject; the same note goes on every case. */
    note: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const BulkDecisionResult = Type.Object({ decided: Type.Integer({ minimum: 1 }), cases: Type.Array(FallbackCase) }, { additionalProperties: false });

export type ReviewQueueQuery = Static<typeof ReviewQueueQuery>;
export type BulkDecisionBody = Static<typeof BulkDecisionBody>;
export type BulkDecisionResult = Static<typeof BulkDecisionResult>;
export type ReviewQueueItem = Static<typeof ReviewQueueItem>;
export type ReviewQueue = Static<typeof ReviewQueue>;
export type ReviewCaseDetail = Static<typeof ReviewCaseDetail>;
export type DecisionBody = Static<typeof DecisionBody>;
