import type { Queryable } from '../types.js';

export interface FaceAttemptKey {
  beneficiaryId: string;
  /** The day in India, 'YYYY-MM-DD'. */
  day: string;
}

/**
 * Locks the beneficiary's row for the day (making it on the first attempt) and returns the failed
 * attempts so far. Every face attempt for her, from any device or worker, waits here for the one
 * before it to commit, so the count it reads is the truth and the limit cannot be raced.
 */
export async function lockFaceAttempts(tx: Queryable, k: FaceAttemptKey & { awc: string; district: string; state: string; at: Date }): Promise<number> {
  const { rows } = await tx.query<{ failed: number }>(
    `INSERT INTO face_attempts (beneficiary_id, day, awc, district, state, last_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (beneficiary_id, day) DO UPDATE SET last_at = excluded.last_at RETURNING failed`,
    [k.beneficiaryId, k.day, k.awc, k.district, k.state, k.at],
  );
  return rows[0]!.failed;
}

/**
 * A face attempt that was scored and failed (no match, not live): returns the day's failures.
 * An upsert, so a path that did not lock first (a guardian's visit for her children) counts too.
 */
export async function recordFailedAttempt(tx: Queryable, k: FaceAttemptKey & { awc: string; district: string; state: string; at: Date }): Promise<number> {
  const { rows } = await tx.query<{ failed: number }>(
    `INSERT INTO face_attempts (beneficiary_id, day, failed, awc, district, state, last_at) VALUES ($1, $2, 1, $3, $4, $5, $6)
     ON CONFLICT (beneficiary_id, day) DO UPDATE SET failed = face_attempts.failed + 1, last_at = excluded.last_at RETURNING failed`,
    [k.beneficiaryId, k.day, k.awc, k.district, k.state, k.at],
  );
  return rows[0]!.failed;
}

/** A try after the face path closed for the day: refused unscored, and counted as a signal. */
export async function recordRefusedAttempt(tx: Queryable, k: FaceAttemptKey): Promise<void> {
  await tx.query('UPDATE face_attempts SET refused = refused + 1 WHERE beneficiary_id = $1 AND day = $2', [k.beneficiaryId, k.day]);
}
