import type { ChangeApproval, ChangeKind, ChangeStatus } from '@chehra/contract';
import type { Queryable } from '../types.js';

export type { ChangeKind, ChangeStatus };

export interface ChangeRequest {
  id: string;
  beneficiaryId: string;
  kind: ChangeKind;
  status: ChangeStatus;
  approval: ChangeApproval | null;
  newMobile: string | null;
  /** A guardian link's guardian, relation and start (YYYY-MM-DD); null on other kinds. */
  guardianId: string | null;
  relation: string | null;
  since: string | null;
  requestedBy: string;
  requestedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  appliedAt: Date | null;
  awc: string;
  district: string;
  state: string;
}

const COLUMNS = `id, beneficiary_id AS "beneficiaryId", kind, status, approval, new_mobile AS "newMobile",
  guardian_id AS "guardianId", relation, to_char(since, 'YYYY-MM-DD') AS since, requested_by AS "requestedBy", requested_at AS "requestedAt", decided_by AS "decidedBy", decided_at AS "decidedAt",
  decision_note AS "decisionNote", applied_at AS "appliedAt", awc, district, state`;

export type NewChangeRequest = Pick<ChangeRequest, 'beneficiaryId' | 'kind' | 'newMobile' | 'requestedBy' | 'requestedAt' | 'awc' | 'district' | 'state'> & Partial<Pick<ChangeRequest, 'guardianId' | 'relation' | 'since'>> & {
  /** Set when the second person was the beneficiary's own face: the change is applied at once. */
  appliedByFaceMatch?: boolean;
};

export async function insertChangeRequest(tx: Queryable, r: NewChangeRequest): Promise<ChangeRequest> {
  const applied = r.appliedByFaceMatch === true;
  const { rows } = await tx.query<ChangeRequest>(
    `INSERT INTO change_requests (beneficiary_id, kind, new_mobile, requested_by, requested_at, awc, district, state, status, approval, applied_at, guardian_id, relation, since)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${COLUMNS}`,
    [r.beneficiaryId, r.kind, r.newMobile, r.requestedBy, r.requestedAt, r.awc, r.district, r.state, applied ? 'applied' : 'pending', applied ? 'face_match' : null, applied ? r.requestedAt : null, r.guardianId ?? null, r.relation ?? null, r.since ?? null],
  );
  return rows[0]!;
}

/** The beneficiary's pending or approved request of this kind, locked (at most one: a partial unique index). */
export async function openChangeRequest(tx: Queryable, beneficiaryId: string, kind: ChangeKind): Promise<ChangeRequest | undefined> {
  const { rows } = await tx.query<ChangeRequest>(`SELECT ${COLUMNS} FROM change_requests WHERE beneficiary_id = $1 AND kind = $2 AND status IN ('pending', 'approved') FOR UPDATE`, [beneficiaryId, kind]);
  return rows[0];
}

export async function getChangeRequest(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<ChangeRequest | undefined> {
  const { rows } = await db.query<ChangeRequest>(`SELECT ${COLUMNS} FROM change_requests WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

export async function decideChangeRequest(tx: Queryable, id: string, d: { status: 'approved' | 'rejected' | 'applied'; by: string; note: string | null; at: Date }): Promise<ChangeRequest> {
  const { rows } = await tx.query<ChangeRequest>(
    `UPDATE change_requests SET status = $2, approval = CASE WHEN $2 = 'rejected' THEN NULL ELSE 'supervisor' END,
       decided_by = $3, decision_note = $4, decided_at = $5, applied_at = CASE WHEN $2 = 'applied' THEN $5::timestamptz END
     WHERE id = $1 AND status = 'pending' RETURNING ${COLUMNS}`,
    [id, d.status, d.by, d.note, d.at],
  );
  if (!rows[0]) throw new Error('change request was decided concurrently');
  return rows[0];
}

/** Closes a request that a later change made moot (a face match, or a newer number), saying why. */
export async function supersedeChangeRequest(tx: Queryable, id: string, why: string, at: Date): Promise<void> {
  await tx.query(`UPDATE change_requests SET status = 'rejected', decision_note = $3, decided_at = $2 WHERE id = $1`, [id, at, why]);
}

export async function markChangeApplied(tx: Queryable, id: string, at: Date): Promise<void> {
  await tx.query(`UPDATE change_requests SET status = 'applied', applied_at = $2 WHERE id = $1 AND status = 'approved'`, [id, at]);
}

export interface ChangeQueueFilter {
  district: string;
  state: string;
  /** A supervisor's sector; unset for the district admin. */
  awcs?: string[];
  status?: ChangeStatus;
  kind?: ChangeKind;
}

export async function listChangeRequests(db: Queryable, f: ChangeQueueFilter, page: { limit: number; offset: number }): Promise<Array<ChangeRequest & { beneficiaryName: string }>> {
  const { rows } = await db.query<ChangeRequest & { beneficiaryName: string }>(
    `SELECT q.*, b.name AS "beneficiaryName" FROM (
       SELECT ${COLUMNS} FROM change_requests
       WHERE district = $1 AND state = $2 AND ($3::text[] IS NULL OR awc = ANY($3)) AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR kind = $5)
       ORDER BY requested_at DESC, id LIMIT $6 OFFSET $7) q
     JOIN beneficiaries b ON b.id = q."beneficiaryId" ORDER BY q."requestedAt" DESC, q.id`,
    [f.district, f.state, f.awcs ?? null, f.status ?? null, f.kind ?? null, page.limit, page.offset],
  );
  return rows;
}
