import { auditHash, GENESIS_HASH, type AuditFields } from '../../domain/audit-chain.js';
import type { Database, Queryable } from '../types.js';

export type AuditEntry = Omit<AuditFields, 'seq' | 'at' | 'district'> & { district?: string | null };

/**
 * Appends inside the caller's transaction, so the entry commits or rolls back with the change it
 * describes. One INSERT and no lock: the entry joins the hash chain when the sealer next runs
 * (sealAuditLog), so writers never wait on each other here. Returns the entry's id.
 */
export async function appendAudit(tx: Queryable, entry: AuditEntry, now: Date = new Date()): Promise<number> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO audit_log (at, actor, role, action, subject_type, subject_id, district, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
    [now, entry.actor, entry.role, entry.action, entry.subjectType, entry.subjectId, entry.district ?? null, JSON.stringify(entry.details)],
  );
  return Number(rows[0]!.id);
}

interface AuditRow {
  id: string;
  seq: string | null;
  at: Date;
  actor: string;
  role: string;
  action: string;
  subject_type: string;
  subject_id: string;
  district: string | null;
  details: Record<string, unknown>;
  prev_hash: string | null;
  hash: string | null;
}

export interface AuditRecord extends AuditFields {
  prevHash: string;
  hash: string;
}

const fieldsOf = (r: AuditRow, seq: number): AuditFields => ({
  seq,
  at: r.at,
  actor: r.actor,
  role: r.role,
  action: r.action,
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  district: r.district,
  details: r.details,
});

const COLUMNS = 'id, seq, at, actor, role, action, subject_type, subject_id, district, details, prev_hash, hash';

/** The chain in order: sealed entries only (seal first to include everything committed). */
export async function listAudit(db: Queryable, opts: { afterSeq: number; limit: number }): Promise<AuditRecord[]> {
  const rows = await db.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [opts.afterSeq, opts.limit]);
  return rows.rows.map((r) => ({ ...fieldsOf(r, Number(r.seq)), prevHash: r.prev_hash!, hash: r.hash! }));
}

export interface AuditHead {
  seq: number;
  hash: string;
}

export async function auditHead(db: Queryable): Promise<AuditHead> {
  const row = (await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head')).rows[0];
  return row ? { seq: Number(row.seq), hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
}

export async function countUnsealed(db: Queryable): Promise<number> {
  return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE seq IS NULL')).rows[0]!.n);
}

/**
 * Chains every committed entry not yet chained, in id order, batch by batch; one sealer at a time
 * (it holds the head row, which writers no longer touch). Hashing happens here, in the service:
 * the database never computes or checks a link. Returns how many entries it sealed and the head.
 */
export async function sealAuditLog(db: Database, batchSize = 2000): Promise<{ sealed: number; head: AuditHead }> {
  let sealed = 0;
  for (;;) {
    const r = await db.transaction(async (tx) => {
      const head = (await tx.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head FOR UPDATE')).rows[0];
      if (!head) throw new Error('audit_head row is missing');
      const { rows } = await tx.query<AuditRow>(`SELECT ${COLUMNS} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1`, [batchSize]);
      let seq = Number(head.seq);
      let prev = head.hash;
      const ids: string[] = [];
      const seqs: number[] = [];
      const prevs: string[] = [];
      const hashes: string[] = [];
      for (const row of rows) {
        seq++;
        const hash = auditHash(fieldsOf(row, seq), prev);
        ids.push(row.id);
        seqs.push(seq);
        prevs.push(prev);
        hashes.push(hash);
        prev = hash;
      }
      if (rows.length) {
        await tx.query(
          `UPDATE audit_log a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
           FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v (id, seq, prev_hash, hash)
           WHERE a.id = v.id`,
          [ids, seqs, prevs, hashes],
        );
        await tx.query('UPDATE audit_head SET seq = $1, hash = $2', [seq, prev]);
      }
      return { n: rows.length, head: { seq, hash: prev } };
    });
    sealed += r.n;
    if (r.n < batchSize) return { sealed, head: r.head };
  }
}

export type ChainBreak = 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' | 'head_mismatch';

export type ChainReport =
  | { ok: true; entries: number; headSeq: number; headHash: string; hashAt: Map<number, string> }
  | { ok: false; entries: number; headSeq: number; headHash: string; hashAt: Map<number, string>; firstBrokenSeq: number; reason: ChainBreak };

/**
 * Recomputes every link from the start; reports the first one that does not hold. `hashAt`
 * returns the chain's hash at the positions asked for (checkpoints), as far as the walk got.
 */
export async function walkAuditChain(db: Queryable, wantHashAt: Set<number> = new Set(), batchSize = 1000): Promise<ChainReport> {
  const head = await auditHead(db);
  const hashAt = new Map<number, string>();
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  const base = { headSeq: head.seq, headHash: head.hash, hashAt };
  for (;;) {
    const batch = await listAudit(db, { afterSeq: expectedSeq - 1, limit: batchSize });
    for (const r of batch) {
      entries++;
      const broken = (reason: ChainBreak, at = r.seq) => ({ ok: false as const, entries, ...base, firstBrokenSeq: at, reason });
      if (r.seq !== expectedSeq) return broken('sequence_gap', expectedSeq);
      if (r.prevHash !== prevHash) return broken('prev_hash_mismatch');
      if (auditHash(r, r.prevHash) !== r.hash) return broken('hash_mismatch');
      if (wantHashAt.has(r.seq)) hashAt.set(r.seq, r.hash);
      prevHash = r.hash;
      expectedSeq++;
    }
    if (batch.length < batchSize) break;
  }
  // A truncated tail leaves every remaining link intact; only the head row (and a checkpoint) notices.
  if (expectedSeq - 1 !== head.seq || head.hash !== prevHash) {
    return { ok: false, entries, ...base, firstBrokenSeq: expectedSeq, reason: 'head_mismatch' };
  }
  return { ok: true, entries, ...base };
}
