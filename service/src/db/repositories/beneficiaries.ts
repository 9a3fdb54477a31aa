import type { AreaFilter } from '../../auth/scope.js';
import type { Category } from '../../domain/categories.js';
import type { Queryable } from '../types.js';

export interface Beneficiary {
  id: string;
  category: Category;
  name: string;
  birthDate: string | null;
  awc: string;
  district: string;
  state: string;
  mobile: string | null;
  guardianName: string | null;
  guardianRelation: string | null;
  createdBy: string;
  createdAt: Date;
  /** Set when a duplicate decision merged this record into another (mergedInto). */
  closedAt: Date | null;
  mergedInto: string | null;
  fraudFlaggedAt: Date | null;
  /** When a face was first enrolled; never cleared, so a later enrolment is known as a re-enrolment. */
  faceEnrolledAt: Date | null;
}

export type NewBeneficiary = Omit<Beneficiary, 'id' | 'createdAt' | 'closedAt' | 'mergedInto' | 'fraudFlaggedAt' | 'faceEnrolledAt'>;

const COLUMNS = `id, category, name, to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", awc, district, state, mobile,
  guardian_name AS "guardianName", guardian_relation AS "guardianRelation", created_by AS "createdBy", created_at AS "createdAt",
  closed_at AS "closedAt", merged_into AS "mergedInto", fraud_flagged_at AS "fraudFlaggedAt",
  face_enrolled_at AS "faceEnrolledAt"`;

export async function insertBeneficiary(tx: Queryable, b: NewBeneficiary): Promise<Beneficiary> {
  const { rows } = await tx.query<Beneficiary>(
    `INSERT INTO beneficiaries (category, name, birth_date, awc, district, state, mobile, guardian_name, guardian_relation, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [b.category, b.name, b.birthDate, b.awc, b.district, b.state, b.mobile, b.guardianName, b.guardianRelation, b.createdBy],
  );
  return rows[0]!;
}

/**
 * `forNoKeyUpdate` locks the row against other changes of the record (a guardian link, a change
 * request, a re-enrolment, a category change) without blocking the rows that only reference it: a
 * verification's or a visit's foreign key takes a KEY SHARE lock, which FOR UPDATE would make wait
 * — and, with that verification holding the person's face-attempt row that the change then asks
 * for, deadlock. No caller changes a beneficiary's id, so FOR UPDATE is not offered.
 */
export async function getBeneficiary(db: Queryable, id: string, opts: { forNoKeyUpdate?: boolean } = {}): Promise<Beneficiary | undefined> {
  const lock = opts.forNoKeyUpdate ? ' FOR NO KEY UPDATE' : '';
  const { rows } = await db.query<Beneficiary>(`SELECT ${COLUMNS} FROM beneficiaries WHERE id = $1${lock}`, [id]);
  return rows[0];
}

/** In an area: every level of the path the filter gives is compared (scope.ts says why). */
export async function listBeneficiaries(db: Queryable, where: AreaFilter, page: { limit: number; offset: number }): Promise<Beneficiary[]> {
  const { rows } = await db.query<Beneficiary>(
    `SELECT ${COLUMNS} FROM beneficiaries
     WHERE state = $1 AND ($2::text IS NULL OR district = $2) AND ($3::text IS NULL OR awc = $3) AND ($4::text[] IS NULL OR awc = ANY($4))
     ORDER BY created_at, id LIMIT $5 OFFSET $6`,
    [where.state, where.district ?? null, where.awc ?? null, where.awcs ?? null, page.limit, page.offset],
  );
  return rows;
}

/** "Same person, merge": the record stays (its history with it), closed and pointing at the one kept. */
export async function closeAsMerged(tx: Queryable, id: string, into: string, at: Date): Promise<void> {
  await tx.query('UPDATE beneficiaries SET closed_at = $3, merged_into = $2 WHERE id = $1 AND closed_at IS NULL', [id, into, at]);
}

export async function flagFraud(tx: Queryable, ids: readonly string[], at: Date): Promise<void> {
  await tx.query('UPDATE beneficiaries SET fraud_flagged_at = $2 WHERE id = ANY($1::uuid[]) AND fraud_flagged_at IS NULL', [ids, at]);
}

/** Several at once, in the order asked; missing ids are simply absent. */
export async function getBeneficiaries(db: Queryable, ids: readonly string[]): Promise<Beneficiary[]> {
  const { rows } = await db.query<Beneficiary>(`SELECT ${COLUMNS} FROM beneficiaries WHERE id = ANY($1::uuid[])`, [ids]);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

export async function setCategory(tx: Queryable, id: string, category: Category): Promise<Beneficiary> {
  const { rows } = await tx.query<Beneficiary>(`UPDATE beneficiaries SET category = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, category]);
  return rows[0]!;
}

export async function markFaceEnrolled(tx: Queryable, id: string, at: Date): Promise<void> {
  await tx.query('UPDATE beneficiaries SET face_enrolled_at = coalesce(face_enrolled_at, $2) WHERE id = $1', [id, at]);
}

export async function setMobile(tx: Queryable, id: string, mobile: string): Promise<void> {
  await tx.query('UPDATE beneficiaries SET mobile = $2 WHERE id = $1', [id, mobile]);
}
