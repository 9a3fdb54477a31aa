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
 * The (state, district) partition of templates (migrations 003 and 008), made if this is the
 * district's first face. Creating it locks the state's partition until the transaction ends, so
 * callers run this on the database, outside (before) the transaction that reads and writes the
 * district's templates: a transaction that has already read the state's templates and then
 * creates a partition waits for every other such transaction, and two first enrolments in one
 * new district would each wait for the other. Once the partition exists this is one catalog lookup.
 */
export async function ensureTemplatePartition(db: Queryable, state: string, district: string): Promise<void> {
  await db.query('SELECT templates_ensure_partition($1, $2)', [state, district]);
}

/**
 * Re-enrolment replaces the beneficiary's templates for that model: one face, one current template.
 * Templates are partitioned by state, then district (migration 008): the delete names both, so it
 * touches the district's partition only. The partition is ensured here too, so any caller can
 * insert; the enrolment route has made it already (ensureTemplatePartition), and then this is a lookup.
 */
export async function replaceTemplate(tx: Queryable, t: NewTemplate): Promise<{ id: string; replaced: number }> {
  await ensureTemplatePartition(tx, t.state, t.district);
  const { rows: deleted } = await tx.query(
    'DELETE FROM templates WHERE state = $3 AND district = $4 AND beneficiary_id = $1 AND model_id = $2 RETURNING id',
    [t.beneficiaryId, t.modelId, t.state, t.district],
  );
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO templates (beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, expires_at, captures)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [t.beneficiaryId, t.modelId, tx.vector(t.embedding), t.quality, t.liveness, t.district, t.state, t.createdBy, t.expiresAt, t.captures ?? 1],
  );
  return { id: rows[0]!.id, replaced: deleted.length };
}

/** Where a beneficiary's templates are: her state and district, which name their partition. */
export interface TemplateHome {
  state: string;
  district: string;
}

/** What is enrolled for a beneficiary (no embeddings), from her district's partition only. */
export async function templatesOf(db: Queryable, beneficiaryId: string, home: TemplateHome): Promise<Array<{ modelId: string; expiresAt: Date | null }>> {
  const { rows } = await db.query<{ modelId: string; expiresAt: Date | null }>(
    'SELECT model_id AS "modelId", expires_at AS "expiresAt" FROM templates WHERE state = $2 AND district = $3 AND beneficiary_id = $1',
    [beneficiaryId, home.state, home.district],
  );
  return rows;
}

/**
 * Consent withdrawal: every template of the beneficiary, in whichever partition it sits.
 * Deliberately not pruned by state or district: withdrawal is rare, each partition answers from
 * its btree on beneficiary_id, and a template left behind in another partition would outlive its consent.
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
  /** What a refresh after a match depends on (template-refresh.ts), read here so a match that cannot refresh costs no UPDATE. */
  quality: number;
  refreshCount: number;
  refreshedAt: Date | null;
  createdAt: Date;
}

/**
 * 1:1: the beneficiary's templates scored against the probe, best first, read from her
 * district's partition only (her state and district name it). Every model's templates come back
 * so the caller can tell "not enrolled" from "enrolled with another model"; the score is only
 * computed where the model matches (cosine across models means nothing).
 */
export async function scoreBeneficiaryTemplates(db: Queryable, beneficiaryId: string, home: TemplateHome, modelId: string, probe: Float32Array, now: Date): Promise<TemplateScore[]> {
  const { rows } = await db.query<Omit<TemplateScore, 'score'> & { score: number | null }>(
    `SELECT id AS "templateId", model_id AS "modelId",
            CASE WHEN model_id = $2 THEN 1 - (embedding <=> $3) END AS score,
            (expires_at IS NOT NULL AND expires_at <= $4) AS expired,
            quality, refresh_count AS "refreshCount", refreshed_at AS "refreshedAt", created_at AS "createdAt"
     FROM templates WHERE state = $5 AND district = $6 AND beneficiary_id = $1
     ORDER BY score DESC NULLS LAST`,
    [beneficiaryId, modelId, db.vector(probe), now, home.state, home.district],
  );
  return rows.map((r) => ({ ...r, score: r.score === null ? Number.NaN : Number(r.score) }));
}

export interface Candidate {
  beneficiaryId: string;
  score: number;
}

/**
 * hnsw.ef_search for a district 1:N, by the district's size (its partition's row estimate): the
 * first entry whose `upTo` is at least the size. Recall@1 against exact search falls as a graph
 * grows at a fixed ef_search, and the target is recall@1 >= 0.99 (issue 11). Measured on the
 * server, a district alone in its graph (m 16, ef_construction 64; benchmarks/scale.ts):
 * - 25,000 templates: ef 20 gave 0.980, ef 40 0.995, ef 100 1.000 (200 probes, load ~25:
 *   scale-district.json); again, a new graph, 400 probes, load ~5: ef 20 0.965, ef 40 0.990,
 *   ef 60 0.9925, ef 80 0.995, ef 100 0.995, p50 1.6 / 2.7 / 4.2 / 5.5 / 8.1 ms. ef 40 sits on
 *   the target's edge, so 60.
 * - 1,00,000: ef 40 0.940, ef 100 0.985, ef 200 1.000 (scale-district.json): 200.
 * - Beyond a lakh nothing was measured: 400 is a guess in the same direction (measure with
 *   `npm run bench:scale -- --districts`).
 * The estimate is autovacuum's (pg_class.reltuples); -1 (never analysed) counts as small.
 */
export const EF_SEARCH_BY_DISTRICT_SIZE = [
  { upTo: 25_000, efSearch: 60 },
  { upTo: 100_000, efSearch: 200 },
  { upTo: Number.POSITIVE_INFINITY, efSearch: 400 },
] as const;

/**
 * 1:N within a district: the nearest enrolled faces by cosine distance. State and district are
 * both named, so the planner prunes to the district's own partition and its own HNSW graph
 * (migration 008): every row it walks is the district's.
 *
 * Settings for this transaction only (callers run this inside one; outside, they are no-ops):
 * - hnsw.ef_search by the district's size (EF_SEARCH_BY_DISTRICT_SIZE), read from the
 *   partition's row estimate in the same statement.
 * - hnsw.iterative_scan = relaxed_order, where the installed pgvector (>= 0.8) has it (an older
 *   one would reject the name). In the district's own graph the district filter drops nothing, so
 *   it changes nothing there; it stays for the model filter (a district's graph holds every
 *   model's templates) and for a coordinator whose state partition is a shard's (scripts/shards),
 *   and because the graph then returns rows slightly out of order, the materialised CTE puts
 *   them back in exact distance order, as pgvector documents. Before migration 008 a district
 *   1:N walked the state's graph and filtered, and without it fewer than `limit` rows came back,
 *   sometimes none (docs/SCALING.md). When the planner sorts a small district's rows exactly
 *   instead, neither setting changes anything.
 */
export async function nearestInDistrict(db: Queryable, state: string, district: string, modelId: string, probe: Float32Array, limit: number, excludeBeneficiaryId?: string): Promise<Candidate[]> {
  await db.query(
    `SELECT set_config('hnsw.ef_search', ($4::int[])[1 + (SELECT count(*) FROM unnest($3::float8[]) AS u (up_to) WHERE size > up_to)::int]::text, true),
            (SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true) FROM pg_extension
             WHERE extname = 'vector' AND string_to_array(extversion, '.')::int[] >= '{0,8,0}')
     FROM (SELECT coalesce((SELECT reltuples FROM pg_class WHERE oid = to_regclass(quote_ident(templates_partition_name($1, $2)))), 0) AS size) AS d`,
    [state, district, EF_SEARCH_BY_DISTRICT_SIZE.slice(0, -1).map((e) => e.upTo), EF_SEARCH_BY_DISTRICT_SIZE.map((e) => e.efSearch)],
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
 * Named by state and district: it touches the district's partition only.
 *
 * Written so that postgres_fdw sends the whole UPDATE to the shard holding a foreign partition
 * (scripts/shards): every expression immutable (the cut-off date computed here, not
 * `$now - make_interval(…)`, which is only stable) and none that PostgreSQL 15's postgres_fdw
 * cannot send (coalesce). Otherwise it fetches the rows and updates them by ctid, and on a shard
 * whose templates are partitioned a ctid names a row in every partition at once
 * (service/test/shards.test.ts checks the plan).
 */
export async function refreshTemplate(
  tx: Queryable,
  r: { beneficiaryId: string; home: TemplateHome; modelId: string; probe: Float32Array; weight: number; quality: number; now: Date; minDays: number; maxRefreshes: number },
): Promise<{ id: string; refreshCount: number } | null> {
  const keep = new Float32Array(r.probe.length).fill(1 - r.weight);
  const step = r.probe.map((x) => x * r.weight);
  const unchangedSince = new Date(r.now.getTime() - r.minDays * 86_400_000);
  const { rows } = await tx.query<{ id: string; refreshCount: number }>(
    `UPDATE templates SET embedding = l2_normalize(embedding * $3 + $4), quality = $5, refreshed_at = $6, refresh_count = refresh_count + 1
     WHERE state = $2 AND district = $10 AND beneficiary_id = $1 AND model_id = $7 AND (expires_at IS NULL OR expires_at > $6)
       AND refresh_count < $8 AND quality <= $5 AND (refreshed_at <= $9 OR (refreshed_at IS NULL AND created_at <= $9))
     RETURNING id, refresh_count AS "refreshCount"`,
    [r.beneficiaryId, r.home.state, tx.vector(keep), tx.vector(step), r.quality, r.now, r.modelId, r.maxRefreshes, unchangedSince, r.home.district],
  );
  step.fill(0);
  return rows[0] ?? null;
}
