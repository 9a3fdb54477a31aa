import type { Queryable } from '../types.js';

export interface OtpChallenge {
  id: string;
  caseId: string;
  codeHash: string;
  expiresAt: Date;
  attempts: number;
  maxAttempts: number;
  consumedAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `id, case_id AS "caseId", code_hash AS "codeHash", expires_at AS "expiresAt", attempts,
  max_attempts AS "maxAttempts", consumed_at AS "consumedAt", created_at AS "createdAt"`;

/** The hash needs the challenge id, so the row is made first and the hash set in the same transaction. */
export async function insertChallenge(tx: Queryable, c: { caseId: string; expiresAt: Date; maxAttempts: number }, hash: (id: string) => string): Promise<OtpChallenge> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO otp_challenges (case_id, code_hash, expires_at, max_attempts) VALUES ($1, '', $2, $3) RETURNING id`,
    [c.caseId, c.expiresAt, c.maxAttempts],
  );
  const id = rows[0]!.id;
  const updated = await tx.query<OtpChallenge>(`UPDATE otp_challenges SET code_hash = $2 WHERE id = $1 RETURNING ${COLUMNS}`, [id, hash(id)]);
  return updated.rows[0]!;
}

/** OTPs sent for a case, and whether one was entered correctly (for the reviewer). */
export async function otpTally(db: Queryable, caseId: string): Promise<{ sent: number; verified: boolean }> {
  const { rows } = await db.query<{ sent: string; verified: string }>('SELECT count(*) AS sent, count(consumed_at) AS verified FROM otp_challenges WHERE case_id = $1', [caseId]);
  return { sent: Number(rows[0]!.sent), verified: Number(rows[0]!.verified) > 0 };
}

/** The gateway's id of the message that carried the challenge's code, once the gateway accepted it. */
export async function setSmsMessageId(db: Queryable, id: string, smsMessageId: string): Promise<void> {
  await db.query('UPDATE otp_challenges SET sms_message_id = $2 WHERE id = $1', [id, smsMessageId]);
}

/** The OTP messages of a case, oldest first: when each was sent and the gateway's id for it (null: no id, the send failed). */
export async function sentMessages(db: Queryable, caseId: string): Promise<Array<{ sentAt: Date; smsMessageId: string | null }>> {
  const { rows } = await db.query<{ sentAt: Date; smsMessageId: string | null }>(
    'SELECT created_at AS "sentAt", sms_message_id AS "smsMessageId" FROM otp_challenges WHERE case_id = $1 ORDER BY created_at, id',
    [caseId],
  );
  return rows;
}

export async function countChallenges(db: Queryable, caseId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM otp_challenges WHERE case_id = $1', [caseId]);
  return Number(rows[0]!.n);
}

/** The newest challenge of a case, locked: attempts are counted one at a time. */
export async function latestChallenge(tx: Queryable, caseId: string): Promise<OtpChallenge | undefined> {
  const { rows } = await tx.query<OtpChallenge>(`SELECT ${COLUMNS} FROM otp_challenges WHERE case_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1 FOR UPDATE`, [caseId]);
  return rows[0];
}

export async function recordAttempt(db: Queryable, id: string): Promise<number> {
  const { rows } = await db.query<{ attempts: number }>('UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts', [id]);
  return rows[0]!.attempts;
}

export async function consumeChallenge(tx: Queryable, id: string): Promise<void> {
  await tx.query('UPDATE otp_challenges SET consumed_at = now(), attempts = attempts + 1 WHERE id = $1', [id]);
}
