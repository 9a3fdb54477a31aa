import { type Static, Type, type TEnum, type TSchema, type TSchemaOptions } from 'typebox';
import { FALLBACK_OPTIONS, FALLBACK_REASONS, RATE_LIMIT_SCOPES, SCHEMES } from './enums.js';

/**
 * One of a closed list of strings, as a JSON Schema `enum`: validation errors can then name the
 * allowed values ("category must be one of: pregnant, ..."), and OpenAPI lists them.
 */
export const OneOf = <const T extends readonly string[]>(values: T, options: TSchemaOptions = {}): TEnum<[...T]> =>
  Type.Enum<[...T]>([...values], { type: 'string', ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const Uuid = Type.String({ format: 'uuid' });
/** An instant, as ISO 8601 in UTC. */
export const Timestamp = Type.String({ format: 'date-time' });
/**
 * A calendar day, YYYY-MM-DD, between 1900 and 2099: year 0 or 9999 is a typo, and PostgreSQL
 * refuses some such dates (a 500 before). Rules that depend on today (a birth date not in the
 * future) are the route's.
 */
export const Day = Type.String({ format: 'date', pattern: '^(19|20)[0-9]{2}-' });

/** Text a person must actually write: not empty, not only spaces. */
export const NonBlank = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });

/** Offsets stay inside int4: past that PostgreSQL refuses the number (a 500 before), and no one reads such a page. */
export const Offset = Type.Integer({ minimum: 0, maximum: 2_147_483_647, default: 0 });
/** A distribution month, YYYY-MM (India time). */
export const Month = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$' });

export const IdParams = Type.Object({ id: Uuid });

export const Page = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Offset),
});

export const Scheme = OneOf(SCHEMES, { default: 'THR' });

/** Shape only; the envelope module checks sizes and decodes (one definition of the format). */
export const SealedEnvelope = Type.Object(
  {
    v: Type.Integer(),
    kid: Type.String({ minLength: 1, maxLength: 64 }),
    epk: Type.String({ maxLength: 64 }),
    nonce: Type.String({ maxLength: 64 }),
    ct: Type.String({ maxLength: 24 * 1024 }),
  },
  { additionalProperties: false },
);

/** What the worker can do next when the face step did not deliver. */
export const FallbackAdvice = Type.Object(
  {
    reason: OneOf(FALLBACK_REASONS),
    options: Type.Array(OneOf(FALLBACK_OPTIONS)),
    message: Type.String(),
    /** Face attempts left in this visit, for retryable reasons. */
    attemptsLeft: Type.Optional(Type.Integer({ minimum: 0 })),
    /** The case the fallback completes, once one is open. */
    fallbackCaseId: Type.Optional(Uuid),
  },
  { additionalProperties: false },
);

/**
 * Every 4xx and 5xx body: `code` for programs, `message` for people, and the few extra fields
 * some refusals carry. A field not listed here is dropped on the way out: add it here first.
 */
export const ErrorBody = Type.Object(
  {
    code: Type.String(),
    message: Type.String(),
    /** consent_required: how to finish the visit without a face. */
    fallback: Type.Optional(FallbackAdvice),
    /** possible_duplicate: the review that was opened. */
    duplicateFlagId: Type.Optional(Uuid),
    /** otp_incorrect: tries left on this code. */
    attemptsLeft: Type.Optional(Type.Integer({ minimum: 0 })),
    /** account_locked, rate_limited: seconds until a retry may pass (also the retry-after header). */
    retryAfter: Type.Optional(Type.Integer({ minimum: 1 })),
    /** A refused batch of review decisions: the case that could not be decided. */
    caseId: Type.Optional(Uuid),
    /** Guardian visits: the children a refusal is about (not linked, already collected, own face due…). */
    childIds: Type.Optional(Type.Array(Uuid)),
    /** beneficiary_closed, not_a_child: the records a refusal is about. */
    beneficiaryIds: Type.Optional(Type.Array(Uuid)),
    /** beneficiary_closed: the record this one was merged into. */
    mergedInto: Type.Optional(Nullable(Uuid)),
    /** reenrolment_needs_approval, guardian_link_needs_approval: the request a supervisor decides. */
    changeRequestId: Type.Optional(Uuid),
    /** rate_limited: which counter ran out: this account's, or this address's. */
    limit: Type.Optional(OneOf(RATE_LIMIT_SCOPES)),
  },
  { additionalProperties: false },
);

export type Uuid = Static<typeof Uuid>;
export type Timestamp = Static<typeof Timestamp>;
export type Day = Static<typeof Day>;
export type Month = Static<typeof Month>;
export type IdParams = Static<typeof IdParams>;
export type Page = Static<typeof Page>;
export type Scheme = Static<typeof Scheme>;
export type SealedEnvelope = Static<typeof SealedEnvelope>;
export type FallbackAdvice = Static<typeof FallbackAdvice>;
export type ErrorBody = Static<typeof ErrorBody>;
