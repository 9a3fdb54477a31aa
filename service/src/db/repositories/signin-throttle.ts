import type { Queryable } from '../types.js';

/**
 * Sign-in guesses per key (a mobile number's, a device's). A guess is counted BEFORE its MPIN is
 * checked, in one atomic statement per attempt, so guesses sent at once each take a numbered slot
 * under the row lock: at most `maxFailures` are ever checked per key and lock window, on any
 * number of service processes (the database is all they share). A guess that turns out right
 * gives its slot back; one that finds the budget spent is refused unchecked and counts nowhere.
 */
export type Reservation = { ok: true } | { ok: false; until: Date };

/**
 * Takes a slot on every key, or none: refused while any key is locked, or when the slots of this
 * window are all taken (by failures, or by guesses still being checked). Keys are taken in sorted
 * order, so two attempts sharing keys cannot deadlock on a server.
 */
export async function reserveAttempt(db: Queryable, keys: string[], now: Date, maxFailures: number, lockMs: number): Promise<Reservation> {
  const sorted = [...keys].sort();
  const windowStart = new Date(now.getTime() - lockMs);
  // A locked key keeps its count and time (CASE), so a refused attempt changes nothing on it; the
  // WHERE skips every key when one was already locked as the statement began.
  const { rows } = await db.query<{ key: string; failures: number; counted: boolean }>(
    `INSERT INTO signin_throttle AS t (key, failures, updated_at)
     SELECT k, 1, $2 FROM unnest($1::text[]) AS k
     WHERE NOT EXISTS (SELECT 1 FROM signin_throttle l WHERE l.key = ANY($1) AND l.locked_until > $2)
     ORDER BY k
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE WHEN t.locked_until > $2 THEN t.failures WHEN t.updated_at < $3 THEN 1 ELSE t.failures + 1 END,
       updated_at = CASE WHEN t.locked_until > $2 THEN t.updated_at ELSE $2 END
     RETURNING key, failures, NOT coalesce(locked_until > $2, false) AS counted`,
    [sorted, now, windowStart],
  );
  const counted = rows.filter((r) => r.counted).map((r) => r.key);
  const locked = rows.length < sorted.length || counted.length < rows.length;
  if (!locked && !rows.some((r) => r.failures > maxFailures)) return { ok: true };
  await releaseAttempt(db, counted, now);
  // Spent but not locked yet: the guesses holding the slots are still being checked, and the
  // first of them to fail locks for lockMs from about now.
  const until = locked ? await lockEnd(db, sorted, now) : undefined;
  return { ok: false, until: until ?? new Date(now.getTime() + lockMs) };
}

async function lockEnd(db: Queryable, keys: string[], now: Date): Promise<Date | undefined> {
  const { rows } = await db.query<{ until: Date | null }>('SELECT max(locked_until) AS until FROM signin_throttle WHERE key = ANY($1) AND locked_until > $2', [keys, now]);
  return rows[0]?.until ?? undefined;
}

/**
 * Gives a slot back on these keys: a guess that was not checked, or that was right. A key left
 * with no count and no live lock is deleted, so an attempt that ends this way leaves no row.
 */
export async function releaseAttempt(db: Queryable, keys: string[], now: Date): Promise<void> {
  if (keys.length === 0) return;
  const sorted = [...keys].sort();
  await db.query('UPDATE signin_throttle SET failures = failures - 1 WHERE key = ANY($1) AND failures > 0', [sorted]);
  await db.query('DELETE FROM signin_throttle WHERE key = ANY($1) AND failures = 0 AND NOT coalesce(locked_until > $2, false)', [sorted, now]);
}

/**
 * After a wrong MPIN (its slot already counted): a key whose slots are all taken is locked until
 * now + lockMs and its count starts again. Returns the lock end when this failure locked a key.
 */
export async function lockIfSpent(tx: Queryable, keys: string[], now: Date, maxFailures: number, lockMs: number): Promise<Date | undefined> {
  const until = new Date(now.getTime() + lockMs);
  const { rows } = await tx.query(
    'UPDATE signin_throttle SET locked_until = $3, failures = 0 WHERE key = ANY($1) AND failures >= $2 AND NOT coalesce(locked_until > $4, false) RETURNING key',
    [[...keys].sort(), maxFailures, until, now],
  );
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
