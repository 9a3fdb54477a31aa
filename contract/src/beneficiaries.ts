import { type Static, Type } from 'typebox';
import { Day, NonBlank, Nullable, OneOf, SealedEnvelope, Timestamp, Uuid } from './common.js';
import { CATEGORIES } from './enums.js';

const Guardian = Type.Object(
  { name: NonBlank(200), relation: NonBlank(50) },
  { additionalProperties: false },
);

export const NewBeneficiaryBody = Type.Object(
  {
    category: OneOf(CATEGORIES),
    name: NonBlank(200),
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
    /** Set when a duplicate decision merged this record into another (mergedInto); it keeps its history. */
    closedAt: Type.Optional(Nullable(Timestamp)),
    mergedInto: Type.Optional(Nullable(Uuid)),
  },
  { additionalProperties: false },
);

/** A row of the day's list: the beneficiary, and whether this month's take-home ration was given (by face or a fallback), so the worker sees who is still to come. */
export const BeneficiaryListItem = Type.Object({ ...Beneficiary.properties, rationGivenThisMonth: Type.Boolean() }, { additionalProperties: false });

export const BeneficiaryList = Type.Object({ items: Type.Array(BeneficiaryListItem) }, { additionalProperties: false });

export const BeneficiaryDetail = Type.Object(
  {
    ...Beneficiary.properties,
    consentActive: Type.Boolean(),
    templates: Type.Array(Type.Object({ modelId: Type.String(), expiresAt: Nullable(Timestamp) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);

/** pregnant → lactating and the like: the same record, consent and template. */
export const CategoryChangeBody = Type.Object({ category: OneOf(CATEGORIES) }, { additionalProperties: false });

export const GuardianLinkBody = Type.Object(
  {
    guardianId: Uuid,
    /** mother, father, grandmother…: words a person writes, so not blank (as at registration). */
    relation: NonBlank(50),
    /**
     * Since when she is the child's guardian; default today. A day of 1900–2099 like every day on
     * the wire; the service also refuses one in the future or before the child's birth
     * (`400 invalid_since`, as a birth date in the future is `invalid_birth_date`).
     */
    since: Type.Optional(Day),
    /**
     * A child who has a guardian already gets another only with a second person: a capture of
     * that guardian (`envelope`; `existingGuardianId` says which one when there are several)
     * that matches her template links at once, else a supervisor decides the change request
     * (`409 guardian_link_needs_approval`, `changeRequestId`). The first guardian needs neither.
     */
    existingGuardianId: Type.Optional(Uuid),
    envelope: Type.Optional(SealedEnvelope),
  },
  { additionalProperties: false },
);

export const Guardianship = Type.Object(
  { childId: Uuid, guardianId: Uuid, relation: Type.String(), since: Day, createdBy: Type.String(), createdAt: Timestamp },
  { additionalProperties: false },
);
export const GuardianshipList = Type.Object({ items: Type.Array(Guardianship) }, { additionalProperties: false });

export type CategoryChangeBody = Static<typeof CategoryChangeBody>;
export type GuardianLinkBody = Static<typeof GuardianLinkBody>;
export type Guardianship = Static<typeof Guardianship>;
export type GuardianshipList = Static<typeof GuardianshipList>;
export type NewBeneficiaryBody = Static<typeof NewBeneficiaryBody>;
export type Beneficiary = Static<typeof Beneficiary>;
export type BeneficiaryList = Static<typeof BeneficiaryList>;
export type BeneficiaryListItem = Static<typeof BeneficiaryListItem>;
export type BeneficiaryDetail = Static<typeof BeneficiaryDetail>;
