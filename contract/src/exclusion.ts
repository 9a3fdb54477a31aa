import { type Static, Type } from 'typebox';
import { Day, Nullable, Timestamp } from './common.js';
import { FALLBACK_REASONS } from './enums.js';

/** Whole days in India, both ends included; default: the last 30 days. */
export const PeriodQuery = Type.Object({
  from: Type.Optional(Day),
  to: Type.Optional(Day),
});

/** Fallbacks per reason; a reason that did not occur is absent. */
export const ReasonCounts = Type.Object(
  Object.fromEntries(FALLBACK_REASONS.map((r) => [r, Type.Optional(Type.Integer({ minimum: 0 }))])) as Record<(typeof FALLBACK_REASONS)[number], ReturnType<typeof Type.Optional<ReturnType<typeof Type.Integer>>>>,
  { additionalProperties: false },
);

const countFields = {
  awc: Type.String(),
  attempts: Type.Integer({ minimum: 0 }),
  faceMatches: Type.Integer({ minimum: 0 }),
  fallbacks: Type.Integer({ minimum: 0 }),
  byReason: ReasonCounts,
  /** fallbacks / (face matches + fallbacks); null with no visits. */
  fallbackRate: Nullable(Type.Number()),
  /** Beneficiary-days on which the face attempts ran out and the face path closed. */
  faceLockouts: Type.Optional(Type.Integer({ minimum: 0 })),
  /** Face tries refused after it closed: a camera that fails everyone, or a probe tried again and again. */
  refusedAfterLockout: Type.Optional(Type.Integer({ minimum: 0 })),
};

export const AwcExclusion = Type.Object(
  {
    ...countFields,
    /** The rate the AWC is compared with: the district's other AWCs, steadied towards the expected rate. */
    baselineRate: Nullable(Type.Number()),
    /** Chance of this many fallbacks or more at the baseline rate (exact one-sided binomial test). */
    pValue: Nullable(Type.Number()),
    /** Standard errors above the baseline rate. */
    zScore: Nullable(Type.Number()),
    /** pValue below 0.001 with at least 5 visits. */
    flagged: Type.Boolean(),
  },
  { additionalProperties: false },
);

export const ExclusionMetrics = Type.Object(
  {
    district: Type.String(),
    period: Type.Object({ from: Timestamp, to: Timestamp }, { additionalProperties: false }),
    /** The district as a whole (awc '*'). */
    total: Type.Object(countFields, { additionalProperties: false }),
    awcs: Type.Array(AwcExclusion),
  },
  { additionalProperties: false },
);

const { awc: _awc, ...weekCounts } = countFields;

/** GET /v1/metrics/exclusion/weekly: the last `weeks` weeks (Monday to Sunday, India), this one included. */
export const WeeklyQuery = Type.Object({ weeks: Type.Optional(Type.Integer({ minimum: 1, maximum: 52, default: 12 })) }, { additionalProperties: false });

export const ExclusionWeek = Type.Object(
  {
    /** The Monday the week starts on. */
    weekStart: Day,
    ...weekCounts,
    /** AWCs flagged on that week's figures alone. */
    flaggedAwcs: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

export const ExclusionWeekly = Type.Object(
  {
    district: Type.String(),
    period: Type.Object({ from: Timestamp, to: Timestamp }, { additionalProperties: false }),
    /** Every week of the period, oldest first, weeks without visits included (zeros, rate null). */
    weeks: Type.Array(ExclusionWeek),
  },
  { additionalProperties: false },
);

export type PeriodQuery = Static<typeof PeriodQuery>;
export type WeeklyQuery = Static<typeof WeeklyQuery>;
export type ExclusionWeek = Static<typeof ExclusionWeek>;
export type ExclusionWeekly = Static<typeof ExclusionWeekly>;
export type ReasonCounts = Static<typeof ReasonCounts>;
export type AwcExclusion = Static<typeof AwcExclusion>;
export type ExclusionMetrics = Static<typeof ExclusionMetrics>;
