import { type Static, Type } from 'typebox';
import { Nullable, OneOf, Timestamp } from './common.js';
import { CHAIN_BREAK_REASONS } from './enums.js';

export const AuditQuery = Type.Object({
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

/** One link of the hash chain. `details` never holds biometric data, OTPs or full mobile numbers. */
export const AuditRecord = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    at: Timestamp,
    actor: Type.String(),
    role: Type.String(),
    action: Type.String(),
    subjectType: Type.String(),
    subjectId: Type.String(),
    district: Nullable(Type.String()),
    details: Type.Object({}, { additionalProperties: true }),
    prevHash: Type.String(),
    hash: Type.String(),
  },
  { additionalProperties: false },
);

export const AuditList = Type.Object({ items: Type.Array(AuditRecord) }, { additionalProperties: false });

export const ChainReport = Type.Object(
  {
    ok: Type.Boolean(),
    entries: Type.Integer({ minimum: 0 }),
    headSeq: Type.Integer({ minimum: 0 }),
    /** When broken: the first link that does not hold, and why. */
    firstBrokenSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    reason: Type.Optional(OneOf(CHAIN_BREAK_REASONS)),
  },
  { additionalProperties: false },
);

export type AuditQuery = Static<typeof AuditQuery>;
export type AuditRecord = Static<typeof AuditRecord>;
export type AuditList = Static<typeof AuditList>;
export type ChainReport = Static<typeof ChainReport>;
