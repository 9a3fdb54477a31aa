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
  /**
   * The entry's action, one of several (a category: registered with it, or changed to it), or
   * "any action but these": a change request is applied by the change
   * itself (mobile.changed, template.enrolled, whatever a new kind writes), which names the
   * request in its details; its own request and decision entries do not count as applying it.
   */
  action: string | { anyOf: readonly string[] } | { anyBut: readonly string[] };
  /**
   * Where the entry names the row: its subject id, or a key of its details (either compared with
   * r.id); for a row without an id of its own, or named in a list, SQL over the entry (a) and the row (r).
   */
  by: { subject: true } | { detail: string } | { sql: string };
  /** How the report names a row (SQL over r); its id unless said. */
  label?: string;
}

/** A guardian link (child, guardian) has no id: its entry names the child as subject and the guardian in details. */
const LINK = { sql: "a.subject_id = r.child_id::text AND a.details ->> 'guardianId' = r.guardian_id::text" };
const LINK_LABEL = "r.child_id::text || '/' || r.guardian_id::text";
/** A row named in a list of the entry's details (a merge names what it moved). */
const listed = (key: string) => ({ sql: `a.details -> '${key}' @> jsonb_build_array(r.id::text)` });

/** The entry of the change a request allowed: any that names the request, but its request and decisions. */
const APPLYING = { anyBut: ['change.requested', 'change.approved', 'change.rejected'] } as const;

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
  { record: 'guardian linked', table: 'guardianships', action: 'guardian.linked', by: LINK, label: LINK_LABEL },
  { record: 'guardian link ended', table: 'guardianships', where: 'r.ended_at IS NOT NULL', action: 'guardian.link_ended', by: LINK, label: LINK_LABEL },
  // One rule per decision: the entry's action names the decision the row says was made.
  { record: 'duplicate decided: different people', table: 'duplicate_flags', where: "r.decision = 'different_people'", action: 'duplicate.different_people', by: { subject: true } },
  { record: 'duplicate decided: same person', table: 'duplicate_flags', where: "r.decision = 'same_person'", action: 'duplicate.same_person', by: { subject: true } },
  { record: 'duplicate decided: fraud suspected', table: 'duplicate_flags', where: "r.decision = 'fraud_suspected'", action: 'duplicate.fraud_suspected', by: { subject: true } },
  { record: 'pair remembered as different people', table: 'distinct_people', action: 'duplicate.different_people', by: { sql: 'a.subject_id = r.flag_id::text' }, label: "r.a::text || '/' || r.b::text" },
  { record: 'record closed by a merge', table: 'beneficiaries', where: 'r.merged_into IS NOT NULL', action: 'duplicate.same_person', by: { detail: 'closed' } },
  { record: 'ration moved by a merge', table: 'distributions', where: 'r.merged_from IS NOT NULL', action: 'duplicate.same_person', by: listed('distributionsMoved') },
  { record: 'fallback case closed by a merge', table: 'fallback_cases', where: 'r.closed_at IS NOT NULL', action: 'duplicate.same_person', by: listed('fallbackCasesClosed') },
  { record: 'record flagged for fraud', table: 'beneficiaries', where: 'r.fraud_flagged_at IS NOT NULL', action: 'duplicate.fraud_suspected', by: { sql: "r.id::text IN (a.details ->> 'beneficiaryId', a.details ->> 'candidateBeneficiaryId')" } },
  // Accounts. A reset is the latest one (users.mpin_reset_at), its entry written at that instant.
  { record: 'user created', table: 'users', action: 'user.created', by: { subject: true } },
  { record: 'user disabled', table: 'users', where: "r.status = 'disabled'", action: 'user.disabled', by: { subject: true } },
  { record: 'MPIN reset', table: 'users', where: 'r.mpin_reset_at IS NOT NULL', action: 'user.mpin_reset', by: { sql: 'a.subject_id = r.id AND a.at = r.mpin_reset_at' } },
  // Change requests, by what the row says happened, whatever their kind (a new kind is covered as
  // long as it is asked for, decided and applied the same way). A request was asked for unless the
  // beneficiary's face allowed the change at once; a supervisor's approval leaves approval =
  // 'supervisor' (kept if a later change supersedes it), her rejection a decider and no approval.
  // A request superseded by a later change (status rejected, no decider) is named only by that
  // later change's own entry, not checked here.
  { record: 'change requested', table: 'change_requests', where: "r.approval IS DISTINCT FROM 'face_match'", action: 'change.requested', by: { detail: 'changeRequestId' } },
  { record: 'change approved by a supervisor', table: 'change_requests', where: "r.approval = 'supervisor'", action: 'change.approved', by: { subject: true } },
  { record: 'change rejected by a supervisor', table: 'change_requests', where: "r.status = 'rejected' AND r.approval IS NULL AND r.decided_by IS NOT NULL", action: 'change.rejected', by: { subject: true } },
  { record: 'change applied by the beneficiary’s face', table: 'change_requests', where: "r.approval = 'face_match'", action: APPLYING, by: { detail: 'changeRequestId' } },
  // Applied after the approval, by the change it allowed (a re-enrolment); a change applied by the decision itself (a mobile number) has applied_at = decided_at.
  { record: 'approved change applied', table: 'change_requests', where: "r.status = 'applied' AND r.approval = 'supervisor' AND r.applied_at IS DISTINCT FROM r.decided_at", action: APPLYING, by: { detail: 'changeRequestId' } },
  // The current category is the one registered or one a transition moved her to. Written as one
  // anti-join on (subject, category) so it hashes: a per-row lookup of the registration entry
  // scanned the whole log once per beneficiary (hours at a lakh of them and 600k entries).
  {
    record: 'category changed',
    table: 'beneficiaries',
    action: { anyOf: ['beneficiary.registered', 'beneficiary.category_changed'] },
    by: { sql: "a.subject_id = r.id::text AND coalesce(a.details ->> 'to', a.details ->> 'category') = r.category" },
  },
];

export interface Uncovered {
  record: string;
  table: string;
  count: number;
  /** A few row ids to start from. */
  sample: string[];
}

/** The query that counts a rule's rows without their entry: one anti-join of the table against the log. */
export function coverageQuery(rule: CoverageRule): { sql: string; params: [string | string[]] } {
  const names = 'sql' in rule.by ? rule.by.sql : `${'subject' in rule.by ? 'a.subject_id' : `a.details ->> '${rule.by.detail}'`} = r.id::text`;
  const label = rule.label ?? 'r.id::text';
  const [actionSql, actions]: [string, string | string[]] =
    typeof rule.action === 'string' ? ['a.action = $1', rule.action] : 'anyOf' in rule.action ? ['a.action = ANY($1::text[])', [...rule.action.anyOf]] : ['a.action <> ALL($1::text[])', [...rule.action.anyBut]];
  return {
    sql: `SELECT count(*) AS n, (array_agg(${label} ORDER BY ${label}))[1:5] AS sample
       FROM ${rule.table} r
       WHERE ${rule.where ?? 'true'}
         AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE ${actionSql} AND ${names})`,
    params: [actions],
  };
}

/** Rows without their audit entry, per rule that has any (an anti-join per rule: an auditor's scan, not a hot path). */
export async function findUncovered(db: Queryable, rules: readonly CoverageRule[] = COVERAGE_RULES): Promise<Uncovered[]> {
  const out: Uncovered[] = [];
  for (const rule of rules) {
    const q = coverageQuery(rule);
    const { rows } = await db.query<{ n: string; sample: string[] | null }>(q.sql, q.params);
    const n = Number(rows[0]!.n);
    if (n > 0) out.push({ record: rule.record, table: rule.table, count: n, sample: rows[0]!.sample ?? [] });
  }
  return out;
}

/** The plan of a rule's query (EXPLAIN, not run): tests hold every rule to a join, never a lookup per row. */
export async function explainCoverage(db: Queryable, rule: CoverageRule): Promise<string> {
  const q = coverageQuery(rule);
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${q.sql}`, q.params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}
