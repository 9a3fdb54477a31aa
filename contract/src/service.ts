import { type Static, Type } from 'typebox';
import { OneOf, Timestamp } from './common.js';
import { DATABASE_KINDS } from './enums.js';

export const Health = Type.Object({ status: Type.Literal('ok'), database: OneOf(DATABASE_KINDS) }, { additionalProperties: false });

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
export type ServiceKeys = Static<typeof ServiceKeys>;
export type Jwks = Static<typeof Jwks>;
