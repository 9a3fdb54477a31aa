import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../db/repositories/audit.js';
import { flagFraud, getBeneficiaries, type Beneficiary } from '../db/repositories/beneficiaries.js';
import { decideDuplicateFlag, enrolmentsByWorker, getDuplicateFlag, rememberDistinct, type DuplicateDecision, type DuplicateFlag } from '../db/repositories/duplicates.js';
import type { Queryable } from '../db/types.js';
import { conflict, forbidden, notFound } from '../errors.js';
import { mergeRecords, type MergeSummary } from './merge.js';

/**
 * A district admin's decision on a possible duplicate, in the caller's transaction:
 * - different_people: the pair is remembered, so the next enrolment of the flagged beneficiary is
 *   not stopped by the same face again; the worker captures again (nothing biometric waited).
 * - same_person: the record enrolled first is kept; the flagged one is closed and points to it.
 *   Nothing is deleted; its guardian links, undelivered fallback cases and this month's ration
 *   move to the kept record (domain/merge.ts).
 * - fraud_suspected: both records are flagged, and the enrolling worker's other enrolments in the
 *   district are returned for follow-up.
 * Decided once (409 duplicate_already_decided), by an admin of the flag's own state and district.
 */
export interface DecisionOutcome {
  flag: DuplicateFlag;
  kept?: string;
  closed?: string;
  merge?: MergeSummary;
  workerEnrolments?: Awaited<ReturnType<typeof enrolmentsByWorker>>;
}

/** The flag and both records, if the admin may see them: the whole state/district path is compared. */
export async function duplicateInScope(db: Queryable, id: string, p: Principal, opts: { forUpdate?: boolean } = {}): Promise<{ flag: DuplicateFlag; flagged: Beneficiary; candidate: Beneficiary }> {
  const flag = await getDuplicateFlag(db, id, opts);
  if (!flag) throw notFound('duplicate_flag_not_found', 'no duplicate flag with this id');
  const [flagged, candidate] = await getBeneficiaries(db, [flag.beneficiaryId, flag.candidateBeneficiaryId]);
  if (!flagged || !candidate) throw notFound('duplicate_flag_not_found', 'no duplicate flag with this id');
  const inDistrict = (b: Beneficiary) => b.state === p.state && b.district === p.district;
  if (flag.state !== p.state || flag.district !== p.district || !inDistrict(flagged) || !inDistrict(candidate)) throw forbidden('out_of_scope', 'this duplicate flag is outside your district');
  return { flag, flagged, candidate };
}

export async function decideDuplicate(tx: Queryable, id: string, decision: DuplicateDecision, note: string, p: Principal, now: Date): Promise<DecisionOutcome> {
  const { flag, flagged, candidate } = await duplicateInScope(tx, id, p, { forUpdate: true });
  if (flag.status !== 'open') throw conflict('duplicate_already_decided', `this pair was already decided (${flag.decision})`);
  const decided = (await decideDuplicateFlag(tx, flag.id, { decision, by: p.sub, note, at: now }))!;
  const out: DecisionOutcome = { flag: decided };
  if (decision === 'different_people') await rememberDistinct(tx, flagged.id, candidate.id, flag.id, p.sub);
  if (decision === 'same_person') {
    out.merge = await mergeRecords(tx, { closed: flagged, kept: candidate, flagId: flag.id, admin: p, now });
    out.kept = candidate.id;
    out.closed = flagged.id;
  }
  if (decision === 'fraud_suspected') {
    await flagFraud(tx, [flagged.id, candidate.id], now);
    out.workerEnrolments = await enrolmentsByWorker(tx, flag.createdBy, flagged.state, flagged.district);
  }
  await appendAudit(tx, {
    actor: p.sub,
    role: p.role,
    action: `duplicate.${decision}`,
    subjectType: 'duplicate_flag',
    subjectId: flag.id,
    district: flag.district,
    details: { beneficiaryId: flagged.id, candidateBeneficiaryId: candidate.id, ...(out.kept ? { kept: out.kept, closed: out.closed, ...out.merge } : {}), enrollingWorker: flag.createdBy },
  }, now);
  return out;
}
