import type { ConsentGiver, ConsentMethod, ConsentPurpose } from '@chehra/contract';
import type { Queryable } from '../types.js';

export interface Consent {
  id: string;
  beneficiaryId: string;
  purpose: ConsentPurpose;
  givenBy: ConsentGiver;
  noticeVersion: string;
  language: string;
  method: ConsentMethod;
  recordedBy: string;
  grantedAt: Date;
  withdrawnAt: Date | null;
  withdrawnBy: string | null;
  withdrawalReason: string | null;
}

export type NewConsent = Pick<Consent, 'beneficiaryId' | 'purpose' | 'givenBy' | 'noticeVersion' | 'language' | 'method' | 'recordedBy'>;

const COLUMNS = `id, beneficiary_id AS "beneficiaryId", purpose, given_by AS "givenBy", notice_version AS "noticeVersion",
  language, method, recorded_by AS "recordedBy", granted_at AS "grantedAt", withdrawn_at AS "withdrawnAt",
  withdrawn_by AS "withdrawnBy", withdrawal_reason AS "withdrawalReason"`;

export async function activeConsent(db: Queryable, beneficiaryId: string, purpose = 'face_verification'): Promise<Consent | undefined> {
  const { rows } = await db.query<Consent>(`SELECT ${COLUMNS} FROM consents WHERE beneficiary_id = $1 AND purpose = $2 AND withdrawn_at IS NULL`, [beneficiaryId, purpose]);
  return rows[0];
}

export async function listConsents(db: Queryable, beneficiaryId: string): Promise<Consent[]> {
  const { rows } = await db.query<Consent>(`SELECT ${COLUMNS} FROM consents WHERE beneficiary_id = $1 ORDER BY granted_at, id`, [beneficiaryId]);
  return rows;
}

export async function insertConsent(tx: Queryable, c: NewConsent): Promise<Consent> {
  const { rows } = await tx.query<Consent>(
    `INSERT INTO consents (beneficiary_id, purpose, given_by, notice_version, language, method, recorded_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [c.beneficiaryId, c.purpose, c.givenBy, c.noticeVersion, c.language, c.method, c.recordedBy],
  );
  return rows[0]!;
}

export async function markWithdrawn(tx: Queryable, consentId: string, by: string, reason: string | null): Promise<Consent | undefined> {
  const { rows } = await tx.query<Consent>(
    `UPDATE consents SET withdrawn_at = now(), withdrawn_by = $2, withdrawal_reason = $3
     WHERE id = $1 AND withdrawn_at IS NULL RETURNING ${COLUMNS}`,
    [consentId, by, reason],
  );
  return rows[0];
}
