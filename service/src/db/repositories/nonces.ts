import type { Queryable } from '../types.js';

/** True the first time a request nonce is seen; false for a replay. */
export async function claimNonce(tx: Queryable, nonce: string): Promise<boolean> {
  const { rows } = await tx.query('INSERT INTO seen_nonces (nonce) VALUES ($1) ON CONFLICT DO NOTHING RETURNING nonce', [nonce]);
  return rows.length === 1;
}

/** Nonces older than the capture window can go: such envelopes are refused by their capture time anyway. */
export async function purgeNonces(db: Queryable, olderThan: Date): Promise<number> {
  const { rows } = await db.query('DELETE FROM seen_nonces WHERE seen_at < $1 RETURNING nonce', [olderThan]);
  return rows.length;
}
