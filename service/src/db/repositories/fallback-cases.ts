import type { AttestationReason, Category, FallbackCaseMethod, FallbackReason, ReviewStatus, Scheme } from '@chehra/contract';
import type { Queryable } from '../types.js';

export interface FallbackCase {
  id: string;
  beneficiaryId: string;
  scheme: Scheme;
  month: string;
  reason: FallbackReason;
  verificationId: string | null;
  openedBy: string;
  awc: string;
  district: string;
  state: string;
  workerNote: string | null;
  openedAt: Date;
  method: FallbackCaseMethod | null;
  distributionId: string | null;
  completedAt: Date | null;
  attestedBy: string | null;
  attestationReason: AttestationReason | null;
  attestationNote: string | null;
  reviewStatus: ReviewStatus;
  reviewedBy: string | null;
  reviewedAt: Date | null;
  reviewNote: string | null;
  /** Closed undelivered by a "same person, merge" decision (the flag), when its record was closed. */
  closedAt: Date | null;
  closedByDuplicateFlag: string | null;
}

const COLUMNS = `id, beneficiary_id AS "beneficiaryId", scheme, to_char(month, 'YYYY-MM-DD') AS month, reason,
  verification_id AS "verificationId", opened_by AS "openedBy", awc, district, state, worker_note AS "workerNote",
  opened_at AS "openedAt", method, distribution_id AS "distributionId", completed_at AS "completedAt",
  attested_by AS "attestedBy", attestation_reason AS "attestationReason", attestation_note AS "attestationNote",
  review_status AS "reviewStatus", reviewed_by AS "reviewedBy", reviewed_at AS "reviewedAt", review_note AS "reviewNote",
  closed_at AS "closedAt", closed_by_flag AS "closedByDuplicateFlag"`;

export type NewFallbackCase = Pick<FallbackCase, 'beneficiaryId' | 'scheme' | 'month' | 'reason' | 'verificationId' | 'openedBy' | 'awc' | 'district' | 'state' | 'workerNote'>;

/** Opens the month's case, or returns the one already open: at most one per beneficiary, scheme and month. */
export async function openFallbackCase(tx: Queryable, c: NewFallbackCase): Promise<{ case: FallbackCase; created: boolean }> {
  const { rows } = await tx.query<FallbackCase>(
    `INSERT INTO fallback_cases (beneficiary_id, scheme, month, reason, verification_id, opened_by, awc, district, state, worker_note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (beneficiary_id, scheme, month) DO NOTHING RETURNING ${COLUMNS}`,
    [c.beneficiaryId, c.scheme, c.month, c.reason, c.verificationId, c.openedBy, c.awc, c.district, c.state, c.workerNote],
  );
  if (rows[0]) return { case: rows[0], created: true };
  const existing = await tx.query<FallbackCase>(`SELECT ${COLUMNS} FROM fallback_cases WHERE beneficiary_id = $1 AND scheme = $2 AND month = $3`, [c.beneficiaryId, c.scheme, c.month]);
  return { case: existing.rows[0]!, created: false };
}

export async function getFallbackCase(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<FallbackCase | undefined> {
  const { rows } = await db.query<FallbackCase>(`SELECT ${COLUMNS} FROM fallback_cases WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function completeFallbackCase(
  tx: Queryable,
  id: string,
  done: { method: FallbackCaseMethod; distributionId: string; attestedBy?: string; attestationReason?: AttestationReason; attestationNote?: string | null },
): Promise<FallbackCase> {
  const { rows } = await tx.query<FallbackCase>(
    `UPDATE fallback_cases SET method = $2, distribution_id = $3, completed_at = now(),
       attested_by = $4, attestation_reason = $5, attestation_note = $6
     WHERE id = $1 AND completed_at IS NULL RETURNING ${COLUMNS}`,
    [id, done.method, done.distributionId, done.attestedBy ?? null, done.attestationReason ?? null, done.attestationNote ?? null],
  );
  if (!rows[0]) throw new Error('fallback case was completed concurrently');
  return rows[0];
}

/** A merged record's cases not yet delivered, closed with the decision; returns their ids. */
export async function closeUndeliveredCases(tx: Queryable, beneficiaryId: string, flagId: string, at: Date): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE fallback_cases SET closed_at = $3, closed_by_flag = $2
     WHERE beneficiary_id = $1 AND completed_at IS NULL AND closed_at IS NULL RETURNING id`,
    [beneficiaryId, flagId, at],
  );
  return rows.map((r) => r.id);
}

export async function reviewFallbackCase(tx: Queryable, id: string, r: { status: 'approved' | 'rejected'; by: string; note: string }): Promise<FallbackCase | undefined> {
  const { rows } = await tx.query<FallbackCase>(
    `UPDATE fallback_cases SET review_status = $2, reviewed_by = $3, reviewed_at = now(), review_note = $4
     WHERE id = $1 AND review_status = 'pending' RETURNING ${COLUMNS}`,
    [id, r.status, r.by, r.note],
  );
  return rows[0];
}

export interface QueueFilter {
  /** The admin's whole path: a district code means nothing without its state. */
  state: string;
  district: string;
  status?: ReviewStatus;
  awc?: string;
  reason?: string;
  /** Only cases opened at least this many days ago. */
  minAgeDays?: number;
  /** Part of the beneficiary's name (any case), or her id, or the case id. */
  search?: string;
  /** Opened at or after / before these instants. */
  openedFrom?: Date;
  openedBefore?: Date;
  now: Date;
}

/** A name fragment as a LIKE pattern that matches it literally (a % or _ typed is not a wildcard). */
const containsPattern = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export type QueueItem = FallbackCase & { beneficiaryName: string; beneficiaryCategory: Category };

export async function listQueue(db: Queryable, f: QueueFilter, page: { limit: number; offset: number }): Promise<{ items: QueueItem[]; total: number }> {
  // An id is matched whole (the search box takes a pasted id); a name by any part of it, in the district
  // (state and district: codes are unique only within their parent).
  const where = `district = $1 AND state = $10 AND ($2::text IS NULL OR review_status = $2) AND ($3::text IS NULL OR awc = $3)
     AND ($4::text IS NULL OR reason = $4) AND ($5::timestamptz IS NULL OR opened_at <= $5)
     AND ($6::timestamptz IS NULL OR opened_at >= $6) AND ($7::timestamptz IS NULL OR opened_at < $7)
     AND ($8::text IS NULL OR id::text = lower($8) OR beneficiary_id::text = lower($8)
          OR beneficiary_id IN (SELECT id FROM beneficiaries WHERE state = $10 AND district = $1 AND name ILIKE $9))`;
  const cutoff = f.minAgeDays ? new Date(f.now.getTime() - f.minAgeDays * 86_400_000) : null;
  const search = f.search?.trim() || null;
  const params = [f.district, f.status ?? null, f.awc ?? null, f.reason ?? null, cutoff, f.openedFrom ?? null, f.openedBefore ?? null, search, search ? containsPattern(search) : null, f.state];
  const { rows } = await db.query<QueueItem>(
    `SELECT q.*, b.name AS "beneficiaryName", b.category AS "beneficiaryCategory"
     FROM (SELECT ${COLUMNS} FROM fallback_cases WHERE ${where} ORDER BY opened_at, id LIMIT $11 OFFSET $12) q
     JOIN beneficiaries b ON b.id = q."beneficiaryId"
     ORDER BY q."openedAt", q.id`,
    [...params, page.limit, page.offset],
  );
  const total = await db.query<{ n: string }>(`SELECT count(*) AS n FROM fallback_cases WHERE ${where}`, params);
  return { items: rows, total: Number(total.rows[0]!.n) };
}
