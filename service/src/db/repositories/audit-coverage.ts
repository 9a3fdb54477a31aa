import type { Queryable } from '../types.js';

/**
 * Business rows that must each have an audit entry: a row written behind the service's back (a
 * verification, a ration, a consent inserted by someone with a database login) has none, and a
 * deleted audit entry leaves its row uncovered. One rule per kind of row; the entry is found by
 * its action and by the row's id, either as the entry's subject or as a field of its details.
 */
export interface CoverageRule {
  /** What the auditor reads in the report. */
  record: string;
  table: string;
  /** Which rows of the table the rule covers (SQL over alias r), e.g. only face deliveries. */
  where?: string;
  action: string;
  /** Where the entry names the row: its subject id, or a key of its details. */
  by: { subject: true } | { detail: string };
}

export const COVERAGE_RULES: readonly CoverageRule[] = [
  { record: 'beneficiary registered', table: 'beneficiaries', action: 'beneficiary.registered', by: { subject: true } },
  { record: 'consent granted', table: 'consents', action: 'consent.granted', by: { detail: 'consentId' } },
  { record: 'consent withdrawn', table: 'consents', where: 'r.withdrawn_at IS NOT NULL', action: 'consent.withdrawn', by: { detail: 'consentId' } },
  { record: 'template enrolled', table: 'templates', action: 'template.enrolled', by: { detail: 'templateId' } },
  { record: 'verification', table: 'verifications', action: 'verification.attempted', by: { detail: 'verificationId' } },
  { record: 'ration delivered by face', table: 'distributions', where: "r.method = 'face'", action: 'verification.attempted', by: { detail: 'distributionId' } },
  { record: 'ration delivered by fallback', table: 'distributions', where: "r.method <> 'face'", action: 'fallback.completed', by: { detail: 'distributionId' } },
  { record: 'fallback case opened', table: 'fallback_cases', action: 'fallback.opened', by: { subject: true } },
  { record: 'fallback case approved', table: 'fallback_cases', where: "r.review_status = 'approved'", action: 'fallback.approved', by: { subject: true } },
  { record: 'fallback case rejected', table: 'fallback_cases', where: "r.review_status = 'rejected'", action: 'fallback.rejected', by: { subject: true } },
  { record: 'OTP sent', table: 'otp_challenges', action: 'fallback.otp_sent', by: { detail: 'challengeId' } },
  { record: 'duplicate enrolment flagged', table: 'duplicate_flags', action: 'enrolment.duplicate_flagged', by: { detail: 'duplicateFlagId' } },
];

export interface Uncovered {
  record: string;
  table: string;
  count: number;
  /** A few row ids to start from. */
  sample: string[];
}

/** Rows without their audit entry, per rule that has any (a hash anti-join per rule: an auditor's scan, not a hot path). */
export async function findUncovered(db: Queryable, rules: readonly CoverageRule[] = COVERAGE_RULES): Promise<Uncovered[]> {
  const out: Uncovered[] = [];
  for (const rule of rules) {
    const key = 'subject' in rule.by ? 'a.subject_id' : `a.details ->> '${rule.by.detail}'`;
    const { rows } = await db.query<{ n: string; sample: string[] | null }>(
      `SELECT count(*) AS n, (array_agg(r.id::text ORDER BY r.id))[1:5] AS sample
       FROM ${rule.table} r
       WHERE ${rule.where ?? 'true'}
         AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = $1 AND ${key} = r.id::text)`,
      [rule.action],
    );
    const n = Number(rows[0]!.n);
    if (n > 0) out.push({ record: rule.record, table: rule.table, count: n, sample: rows[0]!.sample ?? [] });
  }
  return out;
}
