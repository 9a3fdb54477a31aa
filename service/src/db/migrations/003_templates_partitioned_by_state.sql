-- Face templates, declaratively partitioned by LIST (state): one partition per state/UT.
--
-- Why: 1:1 verification and 1:N identification always happen inside one state (a beneficiary
-- belongs to one state; a district admin searches her own district), so every query the
-- repository runs carries `state = $n` and the planner prunes to that state's partition. Each
-- partition has its own HNSW graph, so a 1:N search walks a graph of one state's faces
-- (national: at most ~2 crore for the largest state), never the country's 10 crore; indexes are
-- built, vacuumed and (on Citus or by hand) placed per state.
--
-- How states get partitions: on demand. `templates_ensure_partition(state)` returns the
-- partition for a state, creating it the first time that state enrols a face (the repository
-- calls it before every insert; afterwards it is one catalog lookup). Creation is serialised by
-- a transaction-level advisory lock, so two first enrolments of a new state at once cannot
-- race; CREATE TABLE ... PARTITION OF briefly locks the parent, which happens once per state in
-- the life of the database. An operator who wants no DDL on the request path runs
-- `SELECT templates_ensure_partition(code)` for each of the 36 state/UT codes at deployment.
-- The service does not hard-code a code list: the state is whatever the worker's token carries
-- (`S1` in tests, an ISO 3166-2:IN or LGD code in production).
--
-- Why no DEFAULT partition: it would hold several states' rows, so a query for a state without
-- its own partition would scan other states' faces (the thing this layout forbids), and
-- creating that state's partition later would have to move rows out of the default under lock.
-- A row for a state without a partition is refused ("no partition of relation found"),
-- which is loud, not silent.
--
-- Partition names are `templates_<slug>_<md5 prefix>` (slug = the state lower-cased, other
-- characters as `_`), e.g. `templates_s1_67f6274e`: readable, and distinct even for two codes
-- with the same slug.
--
-- The primary key must contain the partition key: it becomes (id, state). Ids are random uuids,
-- so id alone stays unique in practice; nothing references templates(id).
-- Indexes on the parent are partitioned indexes: each partition, present or future, gets its
-- own copy: the btree (beneficiary_id, model_id) for 1:1, the btree (district, model_id), and
-- the HNSW cosine graph (pgvector defaults m = 16, ef_construction = 64; see
-- benchmarks/scale.ts and docs/SCALING.md for the measurements behind keeping them).
--
-- Existing rows are kept: the old table is renamed, a partition is made for every state it
-- holds, rows are copied, indexes are built after the copy (a bulk HNSW build is much faster
-- than inserting into a live graph), and the old table is dropped. Same SQL on PGlite and on a
-- PostgreSQL server with pgvector.

ALTER TABLE templates RENAME TO templates_unpartitioned;
ALTER INDEX templates_pkey RENAME TO templates_unpartitioned_pkey;
DROP INDEX templates_beneficiary;
DROP INDEX templates_district;
DROP INDEX templates_embedding;

CREATE TABLE templates (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  model_id text NOT NULL,
  embedding vector(512) NOT NULL,
  quality real NOT NULL,
  liveness real NOT NULL,
  -- Copied from the beneficiary so 1:N within a district needs no join, and so the partition is known.
  district text NOT NULL,
  state text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  PRIMARY KEY (id, state)
) PARTITION BY LIST (state);

CREATE FUNCTION templates_partition_name(p_state text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT 'templates_' || left(regexp_replace(lower(p_state), '[^a-z0-9]+', '_', 'g'), 40) || '_' || left(md5(p_state), 8)
$$;

CREATE FUNCTION templates_ensure_partition(p_state text) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
  part text := templates_partition_name(p_state);
  found regclass := to_regclass(quote_ident(part));
BEGIN
  IF found IS NOT NULL THEN
    RETURN found;
  END IF;
  -- One creator at a time; whoever waited finds the partition made by the first.
  PERFORM pg_advisory_xact_lock(hashtext('chehra.templates_ensure_partition'));
  found := to_regclass(quote_ident(part));
  IF found IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF templates FOR VALUES IN (%L)', part, p_state);
    found := to_regclass(quote_ident(part));
  END IF;
  RETURN found;
END;
$$;

SELECT templates_ensure_partition(state) FROM (SELECT DISTINCT state FROM templates_unpartitioned) AS s;

INSERT INTO templates (id, beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, created_at, expires_at)
SELECT id, beneficiary_id, model_id, embedding, quality, liveness, district, state, created_by, created_at, expires_at
FROM templates_unpartitioned;

DROP TABLE templates_unpartitioned;

CREATE INDEX templates_beneficiary ON templates (beneficiary_id, model_id);
CREATE INDEX templates_district ON templates (district, model_id);
CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops);
