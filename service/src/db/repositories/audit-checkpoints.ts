import type { Queryable } from '../types.js';

export interface StoredCheckpoint {
  seq: number;
  hash: string;
  at: Date;
  kid: string;
  jws: string;
}

interface Row {
  seq: string;
  hash: string;
  at: Date;
  kid: string;
  jws: string;
}

const toCheckpoint = (r: Row): StoredCheckpoint => ({ seq: Number(r.seq), hash: r.hash, at: r.at, kid: r.kid, jws: r.jws });

/** Keeps a signed head; a second checkpoint of the same position keeps the first. */
export async function insertCheckpoint(db: Queryable, c: StoredCheckpoint): Promise<StoredCheckpoint> {
  await db.query('INSERT INTO audit_checkpoints (seq, hash, at, kid, jws) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (seq) DO NOTHING', [c.seq, c.hash, c.at, c.kid, c.jws]);
  return toCheckpoint((await db.query<Row>('SELECT seq, hash, at, kid, jws FROM audit_checkpoints WHERE seq = $1', [c.seq])).rows[0]!);
}

export async function listCheckpoints(db: Queryable, opts: { afterSeq: number; limit: number }): Promise<StoredCheckpoint[]> {
  const { rows } = await db.query<Row>('SELECT seq, hash, at, kid, jws FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT $2', [opts.afterSeq, opts.limit]);
  return rows.map(toCheckpoint);
}

export async function latestCheckpoint(db: Queryable): Promise<StoredCheckpoint | undefined> {
  const row = (await db.query<Row>('SELECT seq, hash, at, kid, jws FROM audit_checkpoints ORDER BY seq DESC LIMIT 1')).rows[0];
  return row && toCheckpoint(row);
}
