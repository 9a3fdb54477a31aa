import type { Principal } from '../auth/principal.js';
import { appendAudit } from '../db/repositories/audit.js';
import { closeAsMerged, getBeneficiaries, type Beneficiary } from '../db/repositories/beneficiaries.js';
import { closeUndeliveredCases } from '../db/repositories/fallback-cases.js';
import { endLinksOf, insertGuardianship } from '../db/repositories/guardianships.js';
import { moveMonthsRations, rationsInSameMonths } from '../db/repositories/verifications.js';
import type { Queryable } from '../db/types.js';
import { conflict } from '../errors.js';
import { lockAttemptsInOrder } from './attempt-locks.js';
import { distributionMonth } from './calendar.js';
import { isChild } from './categories.js';

/** What a merge moved or closed: in the decision's answer and its audit entry (ids only). */
export interface MergeSummary {
  /** Links of the closed record made again on the kept one (a link the kept record had already is not counted). */
  guardianLinksMoved: number;
  /** The closed record's fallback cases never delivered, now closed. */
  fallbackCasesClosed: string[];
  /** This month's rations given on the closed record, now counted for the kept one. */
  distributionsMoved: string[];
  /** Rations on the closed record in a month in which the kept record had one too: she collected twice. */
  rationsTwiceInAMonth: string[];
}

/** Refusals before anything is written: a merge joins two open records of one kind of person. */
function assertMergeable(closed: Beneficiary, kept: Beneficiary): void {
  const already = [closed, kept].filter((b) => b.closedAt);
  if (already.length > 0) {
    throw conflict('beneficiary_closed', 'a record of this pair was already merged into another: decide the pair it was merged into', { beneficiaryIds: already.map((b) => b.id) });
  }
  // A child's guardian links (and a guardian's children) would not fit the other kind of record.
  if (isChild(closed.category) !== isChild(kept.category)) {
    throw conflict('merge_child_with_adult', "a child's record and an adult's cannot be one person: decide 'different people' or 'fraud suspected'");
  }
}

/**
 * "Same person, merge" in the caller's transaction: the closed record points to the kept one and
 * keeps its history (consents, templates, verifications, earlier rations), and what still acts
 * moves to the kept record:
 * - guardian links, as child or as guardian, are ended and made again on the kept record; a link
 *   the kept record already has stays once;
 * - fallback cases never delivered are closed with the decision (the ration goes through the kept
 *   record); delivered ones stay as they are, open to review;
 * - this month's ration given on the closed record counts for the kept one, so she cannot collect
 *   twice in the month; earlier months stay where they were given.
 * Each link ended or made is audited like a link; the rest is named in the decision's entry.
 */
export async function mergeRecords(tx: Queryable, m: { closed: Beneficiary; kept: Beneficiary; flagId: string; admin: Principal; now: Date }): Promise<MergeSummary> {
  const { closed, kept, flagId, admin, now } = m;
  // Face attempts for either record wait on these rows, and re-read the record after them: none can
  // deliver on the closed record once this commits, and one that committed first is moved below.
  await lockAttemptsInOrder(tx, [closed, kept], now);
  // Read again under the locks: another decision may have merged either record while this one waited.
  const [closedNow, keptNow] = await getBeneficiaries(tx, [closed.id, kept.id]);
  assertMergeable(closedNow!, keptNow!);
  await closeAsMerged(tx, closed.id, kept.id, now);

  let guardianLinksMoved = 0;
  for (const old of await endLinksOf(tx, closed.id, now)) {
    const audit = (action: string, childId: string, guardianId: string, details: object) =>
      appendAudit(tx, { actor: admin.sub, role: admin.role, action, subjectType: 'beneficiary', subjectId: childId, district: closed.district, details: { guardianId, relation: old.relation, since: old.since, duplicateFlagId: flagId, ...details } }, now);
    await audit('guardian.link_ended', old.childId, old.guardianId, { reason: 'merged', mergedInto: kept.id });
    const childId = old.childId === closed.id ? kept.id : old.childId;
    const guardianId = old.guardianId === closed.id ? kept.id : old.guardianId;
    const made = await insertGuardianship(tx, { childId, guardianId, relation: old.relation, since: old.since, createdBy: admin.sub });
    if (!made) continue;
    guardianLinksMoved++;
    await audit('guardian.linked', childId, guardianId, { mergedFrom: closed.id });
  }
  // Cases first: a fallback delivery in flight holds its case row, so this waits for it and the
  // ration it delivered is then moved with the month's others.
  const fallbackCasesClosed = await closeUndeliveredCases(tx, closed.id, flagId, now);
  const distributionsMoved = await moveMonthsRations(tx, closed.id, kept.id, distributionMonth(now));
  const rationsTwiceInAMonth = await rationsInSameMonths(tx, closed.id, kept.id);
  return { guardianLinksMoved, fallbackCasesClosed, distributionsMoved, rationsTwiceInAMonth };
}
