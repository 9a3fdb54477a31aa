import type { Queryable } from '../types.js';

import type { DistributionMethod, VerificationOutcome } from '@chehra/contract';

export type { VerificationOutcome };

export interface NewVerification {
  beneficiaryId: string;
  scheme: string;
  worker: string;
  awc: string;
  district: string;
  modelId: string;
  outcome: VerificationOutcome;
  score: number | null;
  threshold: number | null;
  quality: number;
  liveness: number;
  deviceId: string | null;
}

export async function insertVerification(tx: Queryable, v: NewVerification): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO verifications (beneficiary_id, scheme, worker, awc, district, model_id, outcome, score, threshold, quality, liveness, device_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
    [v.beneficiaryId, v.scheme, v.worker, v.awc, v.district, v.modelId, v.outcome, v.score, v.threshold, v.quality, v.liveness, v.deviceId],
  );
  return rows[0]!.id;
}

export interface NewDistribution {
  beneficiaryId: string;
  scheme: string;
  month: string;
  method: DistributionMethod;
  verificationId: string | null;
  worker: string;
  awc: string;
}

/** Null when this beneficiary already had this month's ration: the unique key decides, even under concurrency. */
export async function recordDistribution(tx: Queryable, d: NewDistribution): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO distributions (beneficiary_id, scheme, month, method, verification_id, worker, awc)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (beneficiary_id, scheme, month) DO NOTHING RETURNING id`,
    [d.beneficiaryId, d.scheme, d.month, d.method, d.verificationId, d.worker, d.awc],
  );
  return rows[0]?.id ?? null;
}

export async function findDistribution(db: Queryable, beneficiaryId: string, scheme: string, month: string): Promise<{ id: string; method: string } | undefined> {
  const { rows } = await db.query<{ id: string; method: string }>(
    'SELECT id, method FROM distributions WHERE beneficiary_id = $1 AND scheme = $2 AND month = $3',
    [beneficiaryId, scheme, month],
  );
  return rows[0];
}
