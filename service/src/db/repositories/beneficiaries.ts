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
}

export type NewBeneficiary = Omit<Beneficiary, 'id' | 'createdAt'>;

const COLUMNS = `id, category, name, to_char(birth_date, 'YYYY-MM-DD') AS "birthDate", awc, district, state, mobile,
  guardian_name AS "guardianName", guardian_relation AS "guardianRelation", created_by AS "createdBy", created_at AS "createdAt"`;

export async function insertBeneficiary(tx: Queryable, b: NewBeneficiary): Promise<Beneficiary> {
  const { rows } = await tx.query<Beneficiary>(
    `INSERT INTO beneficiaries (category, name, birth_date, awc, district, state, mobile, guardian_name, guardian_relation, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
    [b.category, b.name, b.birthDate, b.awc, b.district, b.state, b.mobile, b.guardianName, b.guardianRelation, b.createdBy],
  );
  return rows[0]!;
}

export async function getBeneficiary(db: Queryable, id: string, opts: { forUpdate?: boolean } = {}): Promise<Beneficiary | undefined> {
  const { rows } = await db.query<Beneficiary>(`SELECT ${COLUMNS} FROM beneficiaries WHERE id = $1${opts.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
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
