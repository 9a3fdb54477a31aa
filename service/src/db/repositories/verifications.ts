import type { DistributionMethod, VerificationOutcome } from '@chehra/contract';
import type { Queryable } from '../types.js';

export type { VerificationOutcome };

export interface NewVerification {
  beneficiaryId: string;
  scheme: string;
  worker: string;
  awc: string;
  /** The beneficiary's district and state (district codes repeat across states). */
  district: string;
  state: string;
  modelId: string;
  outcome: VerificationOutcome;
  score: number | null;
  threshold: number | null;
  quality: number;
  liveness: number;
  deviceId: string | null;
  /** Whose face was verified when not the beneficiary's own: a child's guardian. */
  faceOf?: string | null;
  /** One guardian capture shared by several children's verification rows. */
  visitId?: string | null;
  /** The service's clock, not the database's: the month and day rules read it, so the row must agree (now() when unset). */
  at?: Date;
}

const INSERT_VERIFICATION = `INSERT INTO verifications (beneficiary_id, scheme, worker, awc, district, model_id, outcome, score, threshold, quality, liveness, device_id, face_of, visit_id, created_at, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, coalesce($15::timestamptz, now()), $16) RETURNING id`;
const verificationParams = (v: NewVerification) => [v.beneficiaryId, v.scheme, v.worker, v.awc, v.district, v.modelId, v.outcome, v.score, v.threshold, v.quality, v.liveness, v.deviceId, v.faceOf ?? null, v.visitId ?? null, v.at ?? null, v.state];

export async function insertVerification(tx: Queryable, v: NewVerification): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(INSERT_VERIFICATION, verificationParams(v));
  return rows[0]!.id;
}

/**
 * A face match and its month's ration in one statement (one round trip fewer on the path every
 * THR visit takes). The distribution is null when this beneficiary already had the month's ration:
 * the unique key decides, under concurrency too, exactly as recordDistribution.
 */
export async function insertMatchAndDistribution(tx: Queryable, v: NewVerification, month: string): Promise<{ verificationId: string; distributionId: string | null }> {
  const { rows } = await tx.query<{ verificationId: string; distributionId: string | null }>(
    `WITH v AS (${INSERT_VERIFICATION}),
     d AS (INSERT INTO distributions (beneficiary_id, scheme, month, method, verification_id, worker, awc, district, state)
           SELECT $1, $2, $17::date, 'face', v.id, $3, $4, $5, $16 FROM v
           ON CONFLICT (beneficiary_id, scheme, month) DO NOTHING RETURNING id)
     SELECT v.id AS "verificationId", (SELECT id FROM d) AS "distributionId" FROM v`,
    [...verificationParams(v), month],
  );
  return rows[0]!;
}

/** A verification lost the race for the month's ration to a concurrent one: it is recorded as such. */
export async function setVerificationOutcome(tx: Queryable, id: string, outcome: VerificationOutcome): Promise<void> {
  await tx.query('UPDATE verifications SET outcome = $2 WHERE id = $1', [id, outcome]);
}

/** What a reviewer sees of a verification: the decision and its numbers, no embedding. */
export async function getVerificationSummary(db: Queryable, id: string): Promise<{ outcome: VerificationOutcome; score: number | null; threshold: number | null; createdAt: Date } | undefined> {
  const { rows } = await db.query<{ outcome: VerificationOutcome; score: number | null; threshold: number | null; createdAt: Date }>(
    'SELECT outcome, score, threshold, created_at AS "createdAt" FROM verifications WHERE id = $1',
    [id],
  );
  return rows[0];
}

export interface NewDistribution {
  beneficiaryId: string;
  scheme: string;
  month: string;
  method: DistributionMethod;
  verificationId: string | null;
  worker: string;
  awc: string;
  /** The beneficiary's district and state. */
  district: string;
  state: string;
}

/** Null when this beneficiary already had this month's ration: the unique key decides, even under concurrency. */
export async function recordDistribution(tx: Queryable, d: NewDistribution): Promise<string | null> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO distributions (beneficiary_id, scheme, month, method, verification_id, worker, awc, district, state)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (beneficiary_id, scheme, month) DO NOTHING RETURNING id`,
    [d.beneficiaryId, d.scheme, d.month, d.method, d.verificationId, d.worker, d.awc, d.district, d.state],
  );
  return rows[0]?.id ?? null;
}

/**
 * What a verification checks first, in one statement instead of three (each statement is a round
 * trip and, on PGlite, ~0.15 ms of the one core: benchmarks/db-params.ts): has the record been
 * merged into another meanwhile, has this month's ration been given, and is consent for face
 * verification in force.
 */
export async function visitState(db: Queryable, beneficiaryId: string, scheme: string, month: string): Promise<{ closed: boolean; distributed: boolean; consented: boolean }> {
  const { rows } = await db.query<{ closed: boolean; distributed: boolean; consented: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM beneficiaries WHERE id = $1 AND closed_at IS NOT NULL) AS closed,
            EXISTS (SELECT 1 FROM distributions WHERE beneficiary_id = $1 AND scheme = $2 AND month = $3) AS distributed,
            EXISTS (SELECT 1 FROM consents WHERE beneficiary_id = $1 AND purpose = 'face_verification' AND withdrawn_at IS NULL) AS consented`,
    [beneficiaryId, scheme, month],
  );
  return rows[0]!;
}

export async function findDistribution(db: Queryable, beneficiaryId: string, scheme: string, month: string): Promise<{ id: string; method: string } | undefined> {
  const { rows } = await db.query<{ id: string; method: string }>(
    'SELECT id, method FROM distributions WHERE beneficiary_id = $1 AND scheme = $2 AND month = $3',
    [beneficiaryId, scheme, month],
  );
  return rows[0];
}

export interface Distribution {
  id: string;
  method: DistributionMethod;
  createdAt: Date;
  recoveryFlaggedAt: Date | null;
}

export async function getDistribution(db: Queryable, id: string): Promise<Distribution | undefined> {
  const { rows } = await db.query<Distribution>(
    'SELECT id, method, created_at AS "createdAt", recovery_flagged_at AS "recoveryFlaggedAt" FROM distributions WHERE id = $1',
    [id],
  );
  return rows[0];
}

/** A rejected fallback marks its ration for recovery; the distribution itself stays on record. */
export async function flagDistributionForRecovery(tx: Queryable, id: string, at: Date, caseId: string): Promise<void> {
  await tx.query('UPDATE distributions SET recovery_flagged_at = $2, recovery_case_id = $3 WHERE id = $1', [id, at, caseId]);
}

/** Which of these beneficiaries already had this month's ration. */
export async function distributedAmong(db: Queryable, beneficiaryIds: readonly string[], scheme: string, month: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    'SELECT beneficiary_id AS id FROM distributions WHERE beneficiary_id = ANY($1::uuid[]) AND scheme = $2 AND month = $3',
    [beneficiaryIds, scheme, month],
  );
  return rows.map((r) => r.id);
}

export async function getVerification(db: Queryable, id: string): Promise<{ id: string; beneficiaryId: string; scheme: string; outcome: VerificationOutcome; createdAt: Date } | undefined> {
  const { rows } = await db.query<{ id: string; beneficiaryId: string; scheme: string; outcome: VerificationOutcome; createdAt: Date }>(
    'SELECT id, beneficiary_id AS "beneficiaryId", scheme, outcome, created_at AS "createdAt" FROM verifications WHERE id = $1',
    [id],
  );
  return rows[0];
}

/**
 * A merge: the closed record's rations of `month` move to the kept record, each scheme's unless
 * the kept record had that month's ration too (she collected twice; both rows stay as they were).
 * Returns the ids moved.
 */
export async function moveMonthsRations(tx: Queryable, from: string, to: string, month: string): Promise<string[]> {
  const { rows } = await tx.query<{ id: string }>(
    `UPDATE distributions d SET beneficiary_id = $2, merged_from = $1
     WHERE d.beneficiary_id = $1 AND d.month = $3
       AND NOT EXISTS (SELECT 1 FROM distributions k WHERE k.beneficiary_id = $2 AND k.scheme = d.scheme AND k.month = d.month)
     RETURNING id`,
    [from, to, month],
  );
  return rows.map((r) => r.id);
}

/** The rations of record `a` given in a month (and scheme) in which record `b` had one too. */
export async function rationsInSameMonths(db: Queryable, a: string, b: string): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `SELECT d.id FROM distributions d
     WHERE d.beneficiary_id = $1 AND EXISTS (SELECT 1 FROM distributions k WHERE k.beneficiary_id = $2 AND k.scheme = d.scheme AND k.month = d.month)
     ORDER BY d.month`,
    [a, b],
  );
  return rows.map((r) => r.id);
}
