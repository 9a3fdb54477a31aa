import pgvector from 'pgvector';
import type { Queryable } from '../types.js';

export interface NewTemplate {
  beneficiaryId: string;
  modelId: string;
  embedding: Float32Array;
  quality: number;
  liveness: number;
  district: string;
  state: string;
  createdBy: string;
  expiresAt: Date;
}

const vec = (e: Float32Array) => pgvector.toSql(Array.from(e));

/**
 * Re-enrolment replaces the beneficiary's templates for that model: one face, one current template.
 * Templates are partitioned by state (migration 003): the state's partition is made on its first
 * enrolment, and the delete names the state so it touches that partition only.
 */
export async function replaceTemplate(tx: Queryable, t: NewTemplate): Promise<{ id: string; replaced: number }> {
  await tx.query('SELECT templates_ensure_partition($1)', [t.state]);
  const { rows: deleted } = await tx.query('DELETE FROM templates WHERE state = $3 AND beneficiary_id = $1 AND model_id = $2 RETURNING id', [t.beneficiaryId, t.modelId, t.state]);
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
    [t.beneficiaryId, t.modelId, vec(t.embedding), t.quality, t.liveness, t.district, t.state, t.createdBy, t.expiresAt],
  );
  return { id: rows[0]!.id, replaced: deleted.length };
}

/**
 * Consent withdrawal: every template of the beneficiary, in whichever state partition it sits.
 * Deliberately not pruned by state: withdrawal is rare, each partition answers from its btree on
 * beneficiary_id, and a template left behind in another state's partition would outlive its consent.
 */
export async function deleteTemplatesOf(tx: Queryable, beneficiaryId: string): Promise<number> {
  const { rows } = await tx.query('DELETE FROM templates WHERE beneficiary_id = $1 RETURNING id', [beneficiaryId]);
  return rows.length;
}

export interface TemplateScore {
  templateId: string;
  modelId: string;
  score: number;
  expired: boolean;
}

/**
 * 1:1: the beneficiary's templates scored against the probe, best first. Every model's
 * templates come back so the caller can tell "not enrolled" from "enrolled with another model";
 * the score is only computed where the model matches (cosine across models means nothing).
 */
export async function scoreBeneficiaryTemplates(db: Queryable, beneficiaryId: string, state: string, modelId: string, probe: Float32Array, now: Date): Promise<TemplateScore[]> {
  const { rows } = await db.query<{ templateId: string; modelId: string; score: number | null; expired: boolean }>(
    `SELECT id AS "templateId", model_id AS "modelId",
            CASE WHEN model_id = $2 THEN 1 - (embedding <=> $3) END AS score,
            (expires_at IS NOT NULL AND expires_at <= $4) AS expired
     FROM templates WHERE state = $5 AND beneficiary_id = $1
     ORDER BY score DESC NULLS LAST`,
    [beneficiaryId, modelId, vec(probe), now, state],
  );
  return rows.map((r) => ({ ...r, score: r.score === null ? Number.NaN : Number(r.score) }));
}

export interface Candidate {
  beneficiaryId: string;
  score: number;
}

/**
 * 1:N within a district: the nearest enrolled faces by cosine distance. A district lies in one
 * state, and the state is named so the planner searches that state's partition (and its HNSW
 * graph) only.
 */
export async function nearestInDistrict(db: Queryable, state: string, district: string, modelId: string, probe: Float32Array, limit: number, excludeBeneficiaryId?: string): Promise<Candidate[]> {
  const { rows } = await db.query<{ beneficiaryId: string; score: number }>(
    `SELECT beneficiary_id AS "beneficiaryId", 1 - (embedding <=> $3) AS score
     FROM templates
     WHERE state = $6 AND district = $1 AND model_id = $2 AND ($5::uuid IS NULL OR beneficiary_id <> $5)
     ORDER BY embedding <=> $3 LIMIT $4`,
    [district, modelId, vec(probe), limit, excludeBeneficiaryId ?? null, state],
  );
  return rows.map((r) => ({ beneficiaryId: r.beneficiaryId, score: Number(r.score) }));
}
