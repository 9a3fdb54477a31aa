import type { AuditFailureReason } from '@chehra/contract';
import type { SigningKey } from '../auth/signing-key.js';
import { listCheckpoints, type StoredCheckpoint } from '../db/repositories/audit-checkpoints.js';
import { findUncovered, type Uncovered } from '../db/repositories/audit-coverage.js';
import { countUnsealed, sealAuditLog, walkAuditChain } from '../db/repositories/audit.js';
import type { Database } from '../db/types.js';
import { openCheckpoint, type CheckpointPayload } from './audit-checkpoint.js';

export type AuditFailure = AuditFailureReason;

export interface AuditReport {
  ok: boolean;
  /** Chained entries walked and the head row's position. */
  entries: number;
  headSeq: number;
  /** Entries committed after this verification sealed the log (not yet chained; not an error). */
  unsealed: number;
  /** The first thing that does not hold, in the order checked: chain, checkpoints, coverage. */
  reason?: AuditFailure;
  firstBrokenSeq?: number;
  /** The auditor's checkpoint, when she supplied one: the chain must pass through it. */
  checkpoint: { seq: number; at: string; matches: boolean } | null;
  /**
   * The service's own copies: each made with the current audit key must carry its signature and
   * lie on the chain. Those of another key (a service that started with a new key directory; key
   * rotation is not built) cannot be checked here and are listed, not failed: the auditor's copy
   * and the public key she exported with it still check them.
   */
  storedCheckpoints: { count: number; latestSeq: number; invalidSeqs: number[]; otherKeySeqs: number[] };
  /** Business rows that have no audit entry. */
  missing: Uncovered[];
}

/**
 * Seals, then recomputes every link, checks the chain against the auditor's checkpoint and the
 * stored ones, and cross-checks the business rows. A database administrator can rewrite the
 * chain and the head row consistently, but not sign a checkpoint: a rewrite or a truncation
 * before the auditor's newest checkpoint shows as checkpoint_mismatch / checkpoint_beyond_chain.
 * `supplied` must already be opened (openCheckpoint) and its signature checked.
 */
export async function verifyAuditLog(db: Database, key: SigningKey, supplied?: CheckpointPayload): Promise<AuditReport> {
  await sealAuditLog(db);
  const stored = await allCheckpoints(db);
  const positions = new Set([...stored.map((c) => c.seq), ...(supplied ? [supplied.seq] : [])]);
  const chain = await walkAuditChain(db, positions);
  const unsealed = await countUnsealed(db);
  const missing = await findUncovered(db);

  const invalidSeqs: number[] = [];
  const otherKeySeqs: number[] = [];
  for (const c of stored) {
    if (c.kid !== key.kid) {
      otherKeySeqs.push(c.seq);
      continue;
    }
    const p = await openCheckpoint(key, c.jws);
    if (!p || p.seq !== c.seq || p.hash !== c.hash || chain.hashAt.get(c.seq) !== c.hash) invalidSeqs.push(c.seq);
  }
  const report: AuditReport = {
    ok: true,
    entries: chain.entries,
    headSeq: chain.headSeq,
    unsealed,
    checkpoint: supplied ? { seq: supplied.seq, at: supplied.at, matches: chain.hashAt.get(supplied.seq) === supplied.hash } : null,
    storedCheckpoints: { count: stored.length, latestSeq: stored.at(-1)?.seq ?? 0, invalidSeqs, otherKeySeqs },
    missing,
  };
  const fail = (reason: AuditFailure, firstBrokenSeq?: number): AuditReport => ({ ...report, ok: false, reason, ...(firstBrokenSeq === undefined ? {} : { firstBrokenSeq }) });
  if (!chain.ok) return fail(chain.reason, chain.firstBrokenSeq);
  if (supplied && !report.checkpoint!.matches) {
    // Fewer links than the checkpoint had: entries were removed (or the chain truncated and restarted).
    return supplied.seq > chain.entries ? fail('checkpoint_beyond_chain', chain.entries + 1) : fail('checkpoint_mismatch', supplied.seq);
  }
  if (invalidSeqs.length) return fail('stored_checkpoint_invalid', invalidSeqs[0]);
  if (missing.length) return fail('missing_audit_entries');
  return report;
}

async function allCheckpoints(db: Database): Promise<StoredCheckpoint[]> {
  const all: StoredCheckpoint[] = [];
  for (;;) {
    const batch = await listCheckpoints(db, { afterSeq: all.at(-1)?.seq ?? 0, limit: 1000 });
    all.push(...batch);
    if (batch.length < 1000) return all;
  }
}
