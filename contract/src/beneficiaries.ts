import { type Static, Type } from 'typebox';
import { Day, Nullable, OneOf, Timestamp, Uuid } from './common.js';
import { CATEGORIES } from './enums.js';

const Guardian = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 200 }), relation: Type.String({ minLength: 1, maxLength: 50 }) },
  { additionalProperties: false },
);

export const NewBeneficiaryBody = Type.Object(
  {
    category: OneOf(CATEGORIES),
    name: Type.String({ minLength: 1, maxLength: 200 }),
    birthDate: Type.Optional(Day),
    mobile: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{10,13}$' })),
    /** Required for a child. */
    guardian: Type.Optional(Guardian),
  },
  { additionalProperties: false },
);

/** A beneficiary as she leaves the service: the mobile number only masked, never whole. */
export const Beneficiary = Type.Object(
  {
    id: Uuid,
    category: OneOf(CATEGORIES),
    name: Type.String(),
    birthDate: Nullable(Day),
    awc: Type.String(),
    district: Type.String(),
    state: Type.String(),
    /** The last four digits, e.g. ******3210. */
    mobileMasked: Nullable(Type.String({ pattern: '^\\*{6}[0-9]{4}$' })),
    guardian: Nullable(Type.Object({ name: Type.String(), relation: Nullable(Type.String()) }, { additionalProperties: false })),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);

export const BeneficiaryList = Type.Object({ items: Type.Array(Beneficiary) }, { additionalProperties: false });

export const BeneficiaryDetail = Type.Object(
  {
    ...Beneficiary.properties,
    consentActive: Type.Boolean(),
    templates: Type.Array(Type.Object({ modelId: Type.String(), expiresAt: Nullable(Timestamp) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

export type NewBeneficiaryBody = Static<typeof NewBeneficiaryBody>;
export type Beneficiary = Static<typeof Beneficiary>;
export type BeneficiaryList = Static<typeof BeneficiaryList>;
export type BeneficiaryDetail = Static<typeof BeneficiaryDetail>;
