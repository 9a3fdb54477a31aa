import type { Principal } from '../auth/principal.js';
import { assertInScope } from '../auth/scope.js';
import { getBeneficiary, type Beneficiary } from '../db/repositories/beneficiaries.js';
import type { Queryable } from '../db/types.js';
import { notFound } from '../errors.js';

/** 404 if there is no such beneficiary, 403 if she is not the caller's to see. */
export async function beneficiaryInScope(db: Queryable, id: string, principal: Principal): Promise<Beneficiary> {
  const b = await getBeneficiary(db, id);
  if (!b) throw notFound('beneficiary_not_found', 'no beneficiary with this id');
  assertInScope(principal, b);
  return b;
}

/** What leaves the service about a beneficiary: the mobile number only masked. */
export function beneficiaryView(b: Beneficiary) {
  return {
    id: b.id,
    category: b.category,
    name: b.name,
    birthDate: b.birthDate,
    awc: b.awc,
    district: b.district,
    state: b.state,
    mobileMasked: b.mobile ? `******${b.mobile.slice(-4)}` : null,
    guardian: b.guardianName ? { name: b.guardianName, relation: b.guardianRelation } : null,
    createdAt: b.createdAt.toISOString(),
    closedAt: b.closedAt?.toISOString() ?? null,
    mergedInto: b.mergedInto,
  };
}
