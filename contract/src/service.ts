import { type Static, Type } from 'typebox';
import { OneOf, Timestamp } from './common.js';
import { DATABASE_KINDS, HEALTH_PROBLEMS } from './enums.js';

export const Health = Type.Object({ status: Type.Literal('ok'), database: OneOf(DATABASE_KINDS) }, { additionalProperties: false });

export const HealthProblem = Type.Object({ code: OneOf(HEALTH_PROBLEMS), message: Type.String() }, { additionalProperties: false });

/** 503 from /healthz: every problem named; `code` and `message` are the first one's, as in any error body. */
export const HealthUnavailable = Type.Object(
  {
    code: OneOf(HEALTH_PROBLEMS),
    message: Type.String(),
    status: Type.Literal('unavailable'),
    database: OneOf(DATABASE_KINDS),
    problems: Type.Array(HealthProblem, { minItems: 1 }),
  },
  { additionalProperties: false },
);

/** GET /v1/dev/outbox (development sender only): messages as the phones would have received them. */
export const DevOutbox = Type.Object(
  {
    development: Type.Literal(true),
    warning: Type.String(),
    messages: Type.Array(Type.Object({ id: Type.String(), to: Type.String(), text: Type.String(), at: Timestamp }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export const DevOutboxQuery = Type.Object(
  {
    to: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{6,15}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200 })),
  },
  { additionalProperties: false },
);

/** GET /metrics: Prometheus's text exposition format. */
export const MetricsText = Type.String({ description: 'Prometheus text exposition format 0.0.4' });

/** The service's X25519 keys that devices seal embeddings to; retired keys are listed until their grace ends. */
export const ServiceKeys = Type.Object(
  {
    current: Type.String(),
    keys: Type.Array(
      Type.Object(
        {
          kid: Type.String(),
          /** base64, 32 bytes. */
          publicKey: Type.String(),
          alg: Type.Literal('x25519-xsalsa20poly1305'),
          current: Type.Boolean(),
          notAfter: Type.Optional(Timestamp),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The token-signing public key. Only public members are listed, so a private `d` could never leave. */
export const Jwks = Type.Object(
  {
    keys: Type.Array(
      Type.Object(
        {
          kty: Type.Optional(Type.String()),
          crv: Type.Optional(Type.String()),
          x: Type.Optional(Type.String()),
          kid: Type.Optional(Type.String()),
          alg: Type.Optional(Type.String()),
          use: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type Health = Static<typeof Health>;
export type HealthProblem = Static<typeof HealthProblem>;
export type HealthUnavailable = Static<typeof HealthUnavailable>;
export type DevOutbox = Static<typeof DevOutbox>;
export type ServiceKeys = Static<typeof ServiceKeys>;
export type Jwks = Static<typeof Jwks>;
