import type { AttestationReason, FallbackCaseMethod } from '@chehra/contract';
import { appendAudit } from '../db/repositories/audit.js';
import { getBeneficiary } from '../db/repositories/beneficiaries.js';
import { completeFallbackCase, type FallbackCase } from '../db/repositories/fallback-cases.js';
import { recordDistribution } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import type { Principal } from '../auth/principal.js';
import { conflict } from '../errors.js';

export interface Delivery {
  method: FallbackCaseMethod;
  attestationReason?: AttestationReason;
  attestationNote?: string | null;
}

/** The ration is handed over now, marked with its method; the district admin reviews afterwards. */
export async function deliverByFallback(tx: Queryable, c: FallbackCase, actor: Principal, d: Delivery, now: Date): Promise<FallbackCase> {
  // Read under the case's row lock: a case opened just before its record was merged is not closed
  // by the merge, and no ration may be delivered on a closed record (it counts on the kept one).
  if ((await getBeneficiary(tx, c.beneficiaryId))?.closedAt) throw conflict('beneficiary_closed', 'this record was merged into another; open a case on the record it was merged into');
  const distributionId = await recordDistribution(tx, { beneficiaryId: c.beneficiaryId, scheme: c.scheme, month: c.month, method: d.method, verificationId: c.verificationId, worker: actor.sub, awc: c.awc, district: c.district, state: c.state });
  if (!distributionId) throw conflict('already_distributed', "this month's ration was already given to this beneficiary");
  const done = await completeFallbackCase(tx, c.id, {
    method: d.method,
    distributionId,
    ...(d.method === 'attestation' ? { attestedBy: actor.sub, attestationReason: d.attestationReason!, attestationNote: d.attestationNote ?? null } : {}),
  });
  await appendAudit(tx, { actor: actor.sub, role: actor.role, action: 'fallback.completed', subjectType: 'fallback_case', subjectId: c.id, district: c.district, details: { method: d.method, distributionId, beneficiaryId: c.beneficiaryId, ...(d.attestationReason ? { attestationReason: d.attestationReason } : {}) } }, now);
  return done;
}
