import { type Static, Type } from 'typebox';
import { Nullable, OneOf, Timestamp } from './common.js';
import { AUDIT_FAILURE_REASONS } from './enums.js';

export const AuditQuery = Type.Object({
  afterSeq: Type.Optional(Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 })),
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

/** A compact JWS (EdDSA): three base64url parts. Its signature is checked, not just its shape. */
const Jws = Type.String({ minLength: 1, maxLength: 2048, pattern: '^[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$' });

export const AuditVerifyQuery = Type.Object({ checkpoint: Type.Optional(Jws) }, { additionalProperties: false });

/** A signed head of the chain: `jws` carries {v, seq, hash, at, kid}; the other fields repeat it for reading. */
export const AuditCheckpoint = Type.Object(
  { seq: Type.Integer({ minimum: 1 }), hash: Type.String(), at: Timestamp, kid: Type.String(), jws: Jws },
  { additionalProperties: false },
);
export const AuditCheckpointList = Type.Object(
  {
    /** The Ed25519 public key (JWK) that verifies every checkpoint, with any JOSE library. */
    publicJwk: Type.Object({ kty: Type.String(), crv: Type.String(), x: Type.String(), kid: Type.String(), alg: Type.String(), use: Type.Optional(Type.String()) }),
    items: Type.Array(AuditCheckpoint),
  },
  { additionalProperties: false },
);

export const AuditReport = Type.Object(
  {
    ok: Type.Boolean(),
    entries: Type.Integer({ minimum: 0 }),
    headSeq: Type.Integer({ minimum: 0 }),
    /** Entries committed after this verification sealed the log: not chained yet, not an error. */
    unsealed: Type.Integer({ minimum: 0 }),
    /** When not ok: the first thing that does not hold, and where on the chain. */
    reason: Type.Optional(OneOf(AUDIT_FAILURE_REASONS)),
    firstBrokenSeq: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The auditor's checkpoint, when supplied: the chain must pass through it. */
    checkpoint: Nullable(Type.Object({ seq: Type.Integer({ minimum: 0 }), at: Type.String(), matches: Type.Boolean() }, { additionalProperties: false })),
    storedCheckpoints: Type.Object(
      { count: Type.Integer({ minimum: 0 }), latestSeq: Type.Integer({ minimum: 0 }), invalidSeqs: Type.Array(Type.Integer()), otherKeySeqs: Type.Array(Type.Integer()) },
      { additionalProperties: false },
    ),
    /** Business rows without their audit entry, by kind, with a few ids. */
    missing: Type.Array(Type.Object({ record: Type.String(), table: Type.String(), count: Type.Integer({ minimum: 1 }), sample: Type.Array(Type.String()) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export type AuditQuery = Static<typeof AuditQuery>;
export type AuditRecord = Static<typeof AuditRecord>;
export type AuditList = Static<typeof AuditList>;
export type AuditVerifyQuery = Static<typeof AuditVerifyQuery>;
export type AuditCheckpoint = Static<typeof AuditCheckpoint>;
export type AuditCheckpointList = Static<typeof AuditCheckpointList>;
export type AuditReport = Static<typeof AuditReport>;
