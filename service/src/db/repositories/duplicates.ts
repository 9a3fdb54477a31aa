import type { Queryable } from '../types.js';

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
