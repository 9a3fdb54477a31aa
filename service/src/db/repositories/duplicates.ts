import type { Category, DuplicateDecision } from '@chehra/contract';
import type { Queryable } from '../types.js';

export type { DuplicateDecision };

export async function insertDuplicateFlag(
  tx: Queryable,
  f: { beneficiaryId: string; candidateBeneficiaryId: string; modelId: string; score: number; state: string; district: string; createdBy: string },
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO duplicate_flags (beneficiary_id, candidate_beneficiary_id, model_id, score, state, district, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
    [f.beneficiaryId, f.candidateBeneficiaryId, f.modelId, f.score, f.state, f.district, f.createdBy],
  );
  return rows[0]!.id;
}


/** A flag as the district admin sees it: who and when, never the face or its score. */
export interface DuplicateFlag {
  id: string;
  /** The beneficiary whose enrolment was stopped. */
  beneficiaryId: string;
  /** The one already enrolled whose face it resembled. */
  candidateBeneficiaryId: string;
  state: string;
  district: string;
  status: 'open' | 'resolved';
  createdBy: string;
  createdAt: Date;
  decision: DuplicateDecision | null;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionNote: string | null;
}

const COLUMNS = `id, beneficiary_id AS "beneficiaryId", candidate_beneficiary_id AS "candidateBeneficiaryId", state, district, status,
  created_by AS "createdBy", created_at AS "createdAt", decision, decided_by AS "decidedBy", decided_at AS "decidedAt", decision_note AS "decisionNote"`;

export async function listDuplicateFlags(db: Queryable, area: { state: string; district: string }, status: 'open' | 'resolved' | null, page: { limit: number; offset: number }): Promise<DuplicateFlag[]> {
  const { rows } = await db.query<DuplicateFlag>(
    `SELECT ${COLUMNS} FROM duplicate_flags WHERE state = $5 AND district = $1 AND ($2::text IS NULL OR status = $2)
     ORDER BY created_at, id LIMIT $3 OFFSET $4`,
    [area.district, status, page.limit, page.offset, area.state],
  );
  return rows;
}

export async function getDuplicateFlag(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<DuplicateFlag | undefined> {
  const { rows } = await db.query<DuplicateFlag>(`SELECT ${COLUMNS} FROM duplicate_flags WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0];
}

/** Null when the flag was decided meanwhile: a decision is made once. */
export async function decideDuplicateFlag(tx: Queryable, id: string, d: { decision: DuplicateDecision; by: string; note: string; at: Date }): Promise<DuplicateFlag | null> {
  const { rows } = await tx.query<DuplicateFlag>(
    `UPDATE duplicate_flags SET status = 'resolved', decision = $2, decided_by = $3, decision_note = $4, decided_at = $5
     WHERE id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
    [id, d.decision, d.by, d.note, d.at],
  );
  return rows[0] ?? null;
}

const ordered = (x: string, y: string) => (x < y ? [x, y] : [y, x]);

/** "Different people": remembered, so enrolment does not flag the pair again. */
export async function rememberDistinct(tx: Queryable, x: string, y: string, flagId: string, by: string): Promise<void> {
  await tx.query('INSERT INTO distinct_people (a, b, flag_id, decided_by) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [...ordered(x, y), flagId, by]);
}

/** Of these candidates, the ones already judged to be a different person from this beneficiary. */
export async function knownDistinct(db: Queryable, beneficiaryId: string, candidates: readonly string[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set();
  const { rows } = await db.query<{ other: string }>(
    `SELECT CASE WHEN a = $1 THEN b ELSE a END AS other FROM distinct_people
     WHERE (a = $1 AND b = ANY($2::uuid[])) OR (b = $1 AND a = ANY($2::uuid[]))`,
    [beneficiaryId, candidates],
  );
  return new Set(rows.map((r) => r.other));
}

/** Who enrolled a beneficiary's current template, and when (no embedding): beneficiaries of one district, read from its partition. */
export async function enrolledBy(db: Queryable, area: { state: string; district: string }, beneficiaryIds: readonly string[]): Promise<Map<string, { by: string; at: Date }>> {
  const { rows } = await db.query<{ id: string; by: string; at: Date }>(
    `SELECT DISTINCT ON (beneficiary_id) beneficiary_id AS id, created_by AS by, created_at AS at
     FROM templates WHERE state = $2 AND district = $3 AND beneficiary_id = ANY($1::uuid[]) ORDER BY beneficiary_id, created_at DESC`,
    [beneficiaryIds, area.state, area.district],
  );
  return new Map(rows.map((r) => [r.id, { by: r.by, at: r.at }]));
}

/** A worker's enrolments in a district, for a "fraud suspected" decision: names and dates, no faces. */
export async function enrolmentsByWorker(db: Queryable, worker: string, state: string, district: string, limit = 200): Promise<Array<{ beneficiaryId: string; name: string; awc: string; category: Category; enrolledAt: Date }>> {
  const { rows } = await db.query<{ beneficiaryId: string; name: string; awc: string; category: Category; enrolledAt: Date }>(
    `SELECT b.id AS "beneficiaryId", b.name, b.awc, b.category, t.created_at AS "enrolledAt"
     FROM templates t JOIN beneficiaries b ON b.id = t.beneficiary_id
     WHERE t.state = $4 AND t.created_by = $1 AND t.district = $2
     UNION ALL
     SELECT b.id, b.name, b.awc, b.category, f.created_at
     FROM duplicate_flags f JOIN beneficiaries b ON b.id = f.beneficiary_id
     WHERE f.state = $4 AND f.created_by = $1 AND f.district = $2
     ORDER BY 5 DESC LIMIT $3`,
    [worker, district, limit, state],
  );
  return rows;
}
