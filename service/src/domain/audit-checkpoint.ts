import { CompactSign, compactVerify } from 'jose';
import type { SigningKey } from '../auth/signing-key.js';
import { insertCheckpoint, latestCheckpoint, type StoredCheckpoint } from '../db/repositories/audit-checkpoints.js';
import { auditHead, sealAuditLog } from '../db/repositories/audit.js';
import type { Database } from '../db/types.js';
import { canonicalJson } from './audit-chain.js';

/**
 * A checkpoint is the chain's head (position and hash) signed with the audit key, an Ed25519 key
 * in the service's key directory: the database never holds it, so a database administrator who
 * rewrites the chain cannot sign the new head. An auditor exports checkpoints and keeps them
 * elsewhere; /v1/audit/verify then checks the chain still passes through the one she supplies.
 * The form is a compact JWS (EdDSA), which any JOSE library verifies with the exported public key.
 */
export interface CheckpointPayload {
  v: 1;
  seq: number;
  hash: string;
  at: string;
  kid: string;
}

export async function signCheckpoint(key: SigningKey, head: { seq: number; hash: string }, now: Date): Promise<StoredCheckpoint> {
  const payload: CheckpointPayload = { v: 1, seq: head.seq, hash: head.hash, at: now.toISOString(), kid: key.kid };
  const jws = await new CompactSign(new TextEncoder().encode(canonicalJson(payload))).setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'chehra-audit-checkpoint' }).sign(key.privateKey);
  return { seq: head.seq, hash: head.hash, at: now, kid: key.kid, jws };
}

/** The payload if `jws` is a checkpoint signed by `key`; undefined for anything else. */
export async function openCheckpoint(key: SigningKey, jws: string): Promise<CheckpointPayload | undefined> {
  try {
    const { payload, protectedHeader } = await compactVerify(jws, key.publicKey, { algorithms: ['EdDSA'] });
    if (protectedHeader.kid !== key.kid || protectedHeader.typ !== 'chehra-audit-checkpoint') return undefined;
    const p = JSON.parse(new TextDecoder().decode(payload)) as CheckpointPayload;
    const valid = p.v === 1 && Number.isSafeInteger(p.seq) && p.seq >= 0 && typeof p.hash === 'string' && /^[0-9a-f]{64}$/.test(p.hash) && p.kid === key.kid && typeof p.at === 'string';
    return valid ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Seals what is pending, then signs the head unless the newest checkpoint already covers it.
 * Returns the new checkpoint, or undefined when there was nothing new to sign.
 */
export async function checkpointAuditLog(db: Database, key: SigningKey, now: Date): Promise<StoredCheckpoint | undefined> {
  await sealAuditLog(db);
  const head = await auditHead(db);
  if (head.seq === 0 || head.seq <= ((await latestCheckpoint(db))?.seq ?? 0)) return undefined;
  return insertCheckpoint(db, await signCheckpoint(key, head, now));
}
