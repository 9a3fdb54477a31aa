import type { Queryable } from '../types.js';

export interface Guardianship {
  childId: string;
  guardianId: string;
  relation: string;
  since: string;
  createdBy: string;
  createdAt: Date;
}

const COLUMNS = `child_id AS "childId", guardian_id AS "guardianId", relation, to_char(since, 'YYYY-MM-DD') AS since, created_by AS "createdBy", created_at AS "createdAt"`;

/** Null when the pair is already linked (the primary key decides, also under concurrency). */
export async function insertGuardianship(tx: Queryable, g: Omit<Guardianship, 'createdAt'>): Promise<Guardianship | null> {
  const { rows } = await tx.query<Guardianship>(
    `INSERT INTO guardianships (child_id, guardian_id, relation, since, created_by) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (child_id, guardian_id) DO NOTHING RETURNING ${COLUMNS}`,
    [g.childId, g.guardianId, g.relation, g.since, g.createdBy],
  );
  return rows[0] ?? null;
}

export async function guardiansOf(db: Queryable, childId: string): Promise<Guardianship[]> {
  const { rows } = await db.query<Guardianship>(`SELECT ${COLUMNS} FROM guardianships WHERE child_id = $1 AND ended_at IS NULL ORDER BY created_at`, [childId]);
  return rows;
}

/** Of these children, the ones this guardian is (still) linked to. */
export async function linkedChildren(db: Queryable, guardianId: string, childIds: readonly string[]): Promise<Set<string>> {
  const { rows } = await db.query<{ childId: string }>(
    'SELECT child_id AS "childId" FROM guardianships WHERE guardian_id = $1 AND child_id = ANY($2::uuid[]) AND ended_at IS NULL',
    [guardianId, childIds],
  );
  return new Set(rows.map((r) => r.childId));
}

/**
 * Ends every live link of a record, as child or as guardian (a merge closed it); the rows stay as
 * history. Returns the links ended.
 */
export async function endLinksOf(tx: Queryable, beneficiaryId: string, at: Date): Promise<Guardianship[]> {
  const { rows } = await tx.query<Guardianship>(
    `UPDATE guardianships SET ended_at = $2 WHERE (child_id = $1 OR guardian_id = $1) AND ended_at IS NULL RETURNING ${COLUMNS}`,
    [beneficiaryId, at],
  );
  return rows;
}
