import type { Queryable } from '../types.js';

/** The latest lock end among these keys, if any is still locked. */
export async function lockedUntil(db: Queryable, keys: string[], now: Date): Promise<Date | undefined> {
  const { rows } = await db.query<{ until: Date | null }>('SELECT max(locked_until) AS until FROM signin_throttle WHERE key = ANY($1) AND locked_until > $2', [keys, now]);
  return rows[0]?.until ?? undefined;
}

/**
 * Counts a failed sign-in against every key; a key reaching `maxFailures` within a window of
 * `lockMs` is locked until now + lockMs and its count starts again. Returns the lock end when this
 * failure locked a key.
 */
export async function recordFailure(tx: Queryable, keys: string[], now: Date, maxFailures: number, lockMs: number): Promise<Date | undefined> {
  const windowStart = new Date(now.getTime() - lockMs);
  await tx.query(
    `INSERT INTO signin_throttle AS t (key, failures, updated_at) SELECT k, 1, $2 FROM unnest($1::text[]) AS k
     ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN t.updated_at < $3 THEN 1 ELSE t.failures + 1 END, updated_at = $2`,
    [keys, now, windowStart],
  );
  const until = new Date(now.getTime() + lockMs);
  const { rows } = await tx.query('UPDATE signin_throttle SET locked_until = $3, failures = 0 WHERE key = ANY($1) AND failures >= $2 RETURNING key', [keys, maxFailures, until]);
  return rows.length > 0 ? until : undefined;
}

/** A correct MPIN clears the mobile's count (the device's stays: it may have tried other numbers). */
export async function clearFailures(tx: Queryable, key: string): Promise<void> {
  await tx.query('DELETE FROM signin_throttle WHERE key = $1', [key]);
}

/** Rows with no live lock and no recent failure carry nothing worth keeping. */
export async function purgeThrottle(db: Queryable, olderThan: Date): Promise<void> {
  await db.query('DELETE FROM signin_throttle WHERE updated_at < $1 AND (locked_until IS NULL OR locked_until < $1)', [olderThan]);
}
