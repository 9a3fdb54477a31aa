import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  seq: number;
  at: Date;
  actor: string;
  role: string;
  action: string;
  subjectType: string;
  subjectId: string;
  district: string | null;
  details: Record<string, unknown>;
}

/** JSON with object keys sorted at every depth: jsonb reorders keys, the hash must not care. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash covers the position (seq) and the previous hash, so removing or reordering rows shows. */
export function auditHash(fields: AuditFields, prevHash: string): string {
  const { seq, at, actor, role, action, subjectType, subjectId, district, details } = fields;
  const body = canonicalJson({ seq, at: at.toISOString(), actor, role, action, subjectType, subjectId, district, details, prevHash });
  return createHash('sha256').update(body).digest('hex');
}
