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
};

export const AwcExclusion = Type.Object(
  {
    ...countFields,
    /** Standard errors above the district's rate. */
    zScore: Nullable(Type.Number()),
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

export type PeriodQuery = Static<typeof PeriodQuery>;
export type ReasonCounts = Static<typeof ReasonCounts>;
export type AwcExclusion = Static<typeof AwcExclusion>;
export type ExclusionMetrics = Static<typeof ExclusionMetrics>;
