import { auditHash, GENESIS_HASH, type AuditFields } from '../../domain/audit-chain.js';
import type { Queryable } from '../types.js';

export type AuditEntry = Omit<AuditFields, 'seq' | 'at' | 'district'> & { district?: string | null };

/**
 * Appends inside the caller's transaction, so the entry commits or rolls back with the
 * change it describes. Locking the head row serialises appenders.
 */
export async function appendAudit(tx: Queryable, entry: AuditEntry, now: Date = new Date()): Promise<number> {
  const head = (await tx.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head FOR UPDATE')).rows[0];
  if (!head) throw new Error('audit_head row is missing');
  const fields: AuditFields = { ...entry, district: entry.district ?? null, seq: Number(head.seq) + 1, at: now };
  const hash = auditHash(fields, head.hash);
  await tx.query(
    `INSERT INTO audit_log (seq, at, actor, role, action, subject_type, subject_id, district, details, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [fields.seq, fields.at, fields.actor, fields.role, fields.action, fields.subjectType, fields.subjectId, fields.district, JSON.stringify(fields.details), head.hash, hash],
  );
  await tx.query('UPDATE audit_head SET seq = $1, hash = $2', [fields.seq, hash]);
  return fields.seq;
}

interface AuditRow {
  seq: string;
  at: Date;
  actor: string;
  role: string;
  action: string;
  subject_type: string;
  subject_id: string;
  district: string | null;
  details: Record<string, unknown>;
  prev_hash: string;
  hash: string;
}

export interface AuditRecord extends AuditFields {
  prevHash: string;
  hash: string;
}

const toRecord = (r: AuditRow): AuditRecord => ({
  seq: Number(r.seq),
  at: r.at,
  actor: r.actor,
  role: r.role,
  action: r.action,
  subjectType: r.subject_type,
  subjectId: r.subject_id,
  district: r.district,
  details: r.details,
  prevHash: r.prev_hash,
  hash: r.hash,
});

export async function listAudit(db: Queryable, opts: { afterSeq: number; limit: number }): Promise<AuditRecord[]> {
  const rows = await db.query<AuditRow>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [opts.afterSeq, opts.limit]);
  return rows.rows.map(toRecord);
}

export type ChainReport =
  | { ok: true; entries: number; headSeq: number }
  | { ok: false; entries: number; headSeq: number; firstBrokenSeq: number; reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap' | 'head_mismatch' };

/** Recomputes every link from the start; reports the first one that does not hold. */
export async function verifyAuditChain(db: Queryable, batchSize = 1000): Promise<ChainReport> {
  const head = (await db.query<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_head')).rows[0];
  const headSeq = Number(head?.seq ?? 0);
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let entries = 0;
  for (;;) {
    const batch = await listAudit(db, { afterSeq: expectedSeq - 1, limit: batchSize });
    for (const r of batch) {
      entries++;
      const broken = (reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'sequence_gap') =>
        ({ ok: false, entries, headSeq, firstBrokenSeq: r.seq, reason }) as const;
      if (r.seq !== expectedSeq) return { ...broken('sequence_gap'), firstBrokenSeq: expectedSeq };
      if (r.prevHash !== prevHash) return broken('prev_hash_mismatch');
      if (auditHash(r, r.prevHash) !== r.hash) return broken('hash_mismatch');
      prevHash = r.hash;
      expectedSeq++;
    }
    if (batch.length < batchSize) break;
  }
  // A truncated tail leaves every remaining link intact; only the head row notices.
  if (expectedSeq - 1 !== headSeq || (head && head.hash !== prevHash)) {
    return { ok: false, entries, headSeq, firstBrokenSeq: expectedSeq, reason: 'head_mismatch' };
  }
  return { ok: true, entries, headSeq };
}
