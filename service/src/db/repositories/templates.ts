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
  /** How many captures the template was built from (their normalised mean). */
  captures?: number;
}

/**
 * Re-enrolment replaces the beneficiary's templates for that model: one face, one current template.
 * Templates are partitioned by state (migration 003): the state's partition is made on its first
 * enrolment, and the delete names the state so it touches that partition only.
 */
export async function replaceTemplate(tx: Queryable, t: NewTemplate): Promise<{ id: string; replaced: number }> {
  await tx.query('SELECT templates_ensure_partition($1)', [t.state]);
  const { rows: deleted } = await tx.query('DELETE FROM templates WHERE state = $3 AND beneficiary_id = $1 AND model_id = $2 RETURNING id', [t.beneficiaryId, t.modelId, t.state]);
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, expires_at, captures)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [t.beneficiaryId, t.modelId, tx.vector(t.embedding), t.quality, t.liveness, t.district, t.state, t.createdBy, t.expiresAt, t.captures ?? 1],
  );
  return { id: rows[0]!.id, replaced: deleted.length };
}

/**
 * Consent withdrawal: every template of the beneficiary, in whichever state partition it sits.
 * Deliberately not pruned by state: withdrawal is rare, each partition answers from its btree on
 * beneficiary_id, and a template left behind in another state's partition would outlive its consent.
 */
/** What is enrolled for a beneficiary (no embeddings), from her state's partition only. */
export async function templatesOf(db: Queryable, beneficiaryId: string, state: string): Promise<Array<{ modelId: string; expiresAt: Date | null }>> {
  const { rows } = await db.query<{ modelId: string; expiresAt: Date | null }>(
    'SELECT model_id AS "modelId", expires_at AS "expiresAt" FROM templates WHERE state = $2 AND beneficiary_id = $1',
    [beneficiaryId, state],
  );
  return rows;
}

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
    [beneficiaryId, modelId, db.vector(probe), now, state],
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
 *
 * When the planner walks the HNSW graph (a large district in a large state), the district filter
 * is applied after the graph search: with pgvector's default it returns at most ef_search
 * candidates of the whole state and keeps those of the district, so fewer than `limit` come back
 * and sometimes none (benchmarks/scale.ts, 100k templates, 1/40 of them in the district: 1.8 of
 * 5 rows, 9 of 200 genuine probes got no row, right person first 84%). pgvector >= 0.8 keeps
 * searching until the limit is met: relaxed_order gave 5 rows, 97.5% agreement with exact search
 * and 89.5% right person (the embeddings' own ceiling there: 90.5%); strict_order measured worse
 * (90% / 84.5%). So relaxed_order, and the rows are put back in exact distance order by the
 * materialised CTE, as pgvector documents. Set for this transaction only, and only where the
 * installed pgvector has the setting (an older one would reject the name); callers run this
 * inside a transaction (outside one it is a no-op). When the planner prefers the btree on
 * district and an exact sort (small districts), the setting changes nothing.
 */
export async function nearestInDistrict(db: Queryable, state: string, district: string, modelId: string, probe: Float32Array, limit: number, excludeBeneficiaryId?: string): Promise<Candidate[]> {
  await db.query(
    `SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true) FROM pg_extension
     WHERE extname = 'vector' AND string_to_array(extversion, '.')::int[] >= '{0,8,0}'`,
  );
  const { rows } = await db.query<{ beneficiaryId: string; score: number }>(
    `WITH nearest AS MATERIALIZED (
       SELECT beneficiary_id, embedding <=> $3 AS distance
       FROM templates
       WHERE state = $6 AND district = $1 AND model_id = $2 AND ($5::uuid IS NULL OR beneficiary_id <> $5)
       ORDER BY embedding <=> $3 LIMIT $4
     )
     SELECT beneficiary_id AS "beneficiaryId", 1 - distance AS score FROM nearest ORDER BY distance + 0`,
    [district, modelId, db.vector(probe), limit, excludeBeneficiaryId ?? null, state],
  );
  return rows.map((r) => ({ beneficiaryId: r.beneficiaryId, score: Number(r.score) }));
}

/**
 * The bounded refresh of a template after a confident match, as one statement (no embedding
 * leaves the database): the template becomes normalised((1 − w)·template + w·probe), only if it
 * is current, has been refreshed fewer than `maxRefreshes` times, was made from a capture no better
 * than this one, and last changed at least `minDays` ago. Null when any condition fails.
 */
export async function refreshTemplate(
  tx: Queryable,
  r: { beneficiaryId: string; state: string; modelId: string; probe: Float32Array; weight: number; quality: number; now: Date; minDays: number; maxRefreshes: number },
): Promise<{ id: string; refreshCount: number } | null> {
  const keep = new Float32Array(r.probe.length).fill(1 - r.weight);
  const step = r.probe.map((x) => x * r.weight);
  const { rows } = await tx.query<{ id: string; refreshCount: number }>(
    `UPDATE templates SET embedding = l2_normalize(embedding * $3 + $4), quality = $5, refreshed_at = $6, refresh_count = refresh_count + 1
     WHERE state = $2 AND beneficiary_id = $1 AND model_id = $7 AND (expires_at IS NULL OR expires_at > $6)
       AND refresh_count < $8 AND quality <= $5 AND coalesce(refreshed_at, created_at) <= $6 - make_interval(days => $9)
     RETURNING id, refresh_count AS "refreshCount"`,
    [r.beneficiaryId, r.state, tx.vector(keep), tx.vector(step), r.quality, r.now, r.modelId, r.maxRefreshes, r.minDays],
  );
  step.fill(0);
  return rows[0] ?? null;
}
