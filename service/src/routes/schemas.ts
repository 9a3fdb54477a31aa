import { Type } from 'typebox';

export const Uuid = Type.String({ format: 'uuid' });
export const IdParams = Type.Object({ id: Uuid });

/** Shape only; the envelope module checks sizes and decodes (one definition of the format). */
export const SealedEnvelopeSchema = Type.Object(
  {
    v: Type.Integer(),
    kid: Type.String({ minLength: 1, maxLength: 64 }),
    epk: Type.String({ maxLength: 64 }),
    nonce: Type.String({ maxLength: 64 }),
    ct: Type.String({ maxLength: 24 * 1024 }),
  },
  { additionalProperties: false },
);

export const Page = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export const Scheme = Type.Union([Type.Literal('THR')], { default: 'THR' });
