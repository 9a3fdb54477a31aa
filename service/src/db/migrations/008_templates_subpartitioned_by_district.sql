-- Face templates sub-partitioned by district: templates is LIST (state), each state's partition
-- is LIST (district), and each (state, district) leaf holds its own btree and HNSW graph.
--
-- Why: the enrolment's duplicate check is a 1:N inside one district. With one HNSW graph per
-- state, that search walked the whole state's graph and kept the district's rows: at 1M
-- templates (a district = 2.5 % of them) recall@1 against exact search was 0.86 at 51 ms p50,
-- at best. A graph of the district alone (25,000) gave 0.995 at ef_search 40
-- (docs/SCALING.md, benchmarks/results/scale-district.json). Every template query already says
-- `state = $n`; the repository now says `district = $m` too (the 1:1 with the beneficiary's
-- district), so the planner prunes to one leaf: one district's faces, one district's graph.
-- Withdrawal's delete stays unpruned (see deleteTemplatesOf).
--
-- How leaves are made: on demand. `templates_ensure_partition(state, district)` returns the
-- leaf, creating the state's partition and the district's the first time that district enrols
-- a face; afterwards it is one catalog lookup. Creation is serialised by the same
-- transaction-level advisory lock as migration 003, so two first enrolments of a new district
-- at once cannot race (and whoever waited looks the partition up afresh: see
-- templates_committed_partition). Creating a leaf locks its state's partition (ACCESS EXCLUSIVE: that
-- state's template queries wait for it, other states' do not), so the service makes it in a
-- transaction of its own, before the enrolment's (routes/enrolments.ts): held only for the
-- CREATE, and never taken by a transaction that has already read the state's templates (two
-- such transactions would each wait for the other: a deadlock). An operator who wants no DDL on
-- the request path runs `SELECT templates_ensure_partition(state, district)` over the district
-- list at deployment (~780 districts nationally).
-- `templates_ensure_partition(state)` (migration 003) still returns the state's partition; it now
-- makes it partitioned by district.
--
-- Why no DEFAULT partition, at either level: a default would hold several districts' (or
-- states') rows, so a 1:N for a district without its own leaf would search other districts'
-- faces and graphs (the thing this layout forbids), and creating that district's leaf later
-- would have to move rows out of the default under lock. A row for a district without a leaf is
-- refused ("no partition of relation ... found for row"), which is loud, not silent.
--
-- Leaf names are `templates_<state slug>_<district slug>_<md5 prefix>` (slugs as in 003,
-- shortened so the name fits PostgreSQL's 63 bytes), e.g. `templates_s1_d1_5c0dd6a1`: readable,
-- and distinct even for two districts with the same slug. The md5 covers the state's length, so
-- ('a b', 'c') and ('a', 'b c') differ. State partitions keep 003's names.
--
-- The primary key must contain every level's partition key: it becomes (id, state, district).
-- Ids are random uuids, so id alone stays unique in practice; nothing references templates(id).
-- Indexes on the parent are partitioned indexes: every leaf, present or future, gets its own
-- copy: the btree (beneficiary_id, model_id) for 1:1, and the HNSW cosine graph (pgvector
-- defaults m = 16, ef_construction = 64). 003's btree (district, model_id) is dropped: in a
-- leaf every row has the same district, so it would only order by model, and a small
-- district's exact 1:N reads the leaf's rows directly.
--
-- A template's state and district are its beneficiary's, copied at enrolment; no code path
-- changes a beneficiary's district (or state). If one ever does, an UPDATE of the template's
-- district moves the row into the new district's leaf (PostgreSQL >= 11 moves rows across
-- partitions; the leaf must exist first: templates_ensure_partition), which
-- service/test/partitioning.test.ts shows.
--
-- Existing rows are kept, as 003 did: the old table and its state partitions are set aside
-- (renamed), the new leaves are made for every (state, district) present, rows are copied, the
-- old table is dropped, and the keys and indexes are built after the copy (a bulk HNSW build per
-- leaf is much faster than inserting into live graphs). A template whose state or district
-- differs from its beneficiary's would land in a leaf the 1:1 never reads (the beneficiary
-- would silently become "not enrolled"), so the migration refuses to run instead. Same SQL on
-- PGlite and on a PostgreSQL server with pgvector.

DO $$
DECLARE
  strays bigint;
BEGIN
  SELECT count(*) INTO strays FROM templates t JOIN beneficiaries b ON b.id = t.beneficiary_id
  WHERE (t.state, t.district) IS DISTINCT FROM (b.state, b.district);
  IF strays > 0 THEN
    RAISE EXCEPTION '% template(s) carry a state or district other than their beneficiary''s', strays
      USING HINT = 'set templates.state and templates.district from beneficiaries, then restart: the district partitions are chosen by them';
  END IF;
END;
$$;

-- Set the current table aside; its state partitions give up their names to the new ones.
ALTER TABLE templates RENAME TO templates_by_state;
DO $$
DECLARE
  part oid;
BEGIN
  FOR part IN SELECT inhrelid FROM pg_inherits WHERE inhparent = 'templates_by_state'::regclass LOOP
    EXECUTE format('ALTER TABLE %s RENAME TO %I', part::regclass, 'templates_by_state_' || part);
  END LOOP;
END;
$$;

-- The same columns, NOT NULLs and defaults as the table the earlier migrations left (007's
-- included); keys and indexes come after the copy.
CREATE TABLE templates (LIKE templates_by_state INCLUDING DEFAULTS) PARTITION BY LIST (state);

-- The partition of that name as the catalog holds it now, read with a fresh snapshot. Not
-- to_regclass: it reads this session's catalog cache, which remembers that the name was missing
-- until the session next takes in other sessions' catalog changes, and waiting for an advisory
-- lock does not make it do so. A creator that had waited behind another's CREATE then missed
-- that partition and failed with "relation ... already exists" (migration 003's function did:
-- service/test/partitioning.test.ts, concurrent first enrolments on a server).
CREATE FUNCTION templates_committed_partition(p_name text) RETURNS regclass
LANGUAGE sql STABLE STRICT AS $$
  SELECT c.oid::regclass FROM pg_class c WHERE c.relname = p_name AND c.relnamespace = current_schema()::regnamespace
$$;

CREATE OR REPLACE FUNCTION templates_ensure_partition(p_state text) RETURNS regclass
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
  found := templates_committed_partition(part);
  IF found IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF templates FOR VALUES IN (%L) PARTITION BY LIST (district)', part, p_state);
    found := to_regclass(quote_ident(part));
  END IF;
  RETURN found;
END;
$$;

CREATE FUNCTION templates_partition_name(p_state text, p_district text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT 'templates_' || left(regexp_replace(lower(p_state), '[^a-z0-9]+', '_', 'g'), 16)
      || '_' || left(regexp_replace(lower(p_district), '[^a-z0-9]+', '_', 'g'), 20)
      || '_' || left(md5(length(p_state)::text || ':' || p_state || p_district), 8)
$$;

CREATE FUNCTION templates_ensure_partition(p_state text, p_district text) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
  leaf text := templates_partition_name(p_state, p_district);
  found regclass := to_regclass(quote_ident(leaf));
BEGIN
  IF found IS NOT NULL THEN
    RETURN found;
  END IF;
  -- The same lock as the state's partition (re-entrant within a transaction): one creator at a time.
  PERFORM pg_advisory_xact_lock(hashtext('chehra.templates_ensure_partition'));
  found := templates_committed_partition(leaf);
  IF found IS NULL THEN
    EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES IN (%L)', leaf, templates_ensure_partition(p_state), p_district);
    found := to_regclass(quote_ident(leaf));
  END IF;
  RETURN found;
END;
$$;

SELECT templates_ensure_partition(state, district) FROM (SELECT DISTINCT state, district FROM templates_by_state) AS s;

INSERT INTO templates SELECT * FROM templates_by_state;

DROP TABLE templates_by_state;

ALTER TABLE templates ADD PRIMARY KEY (id, state, district);
ALTER TABLE templates ADD FOREIGN KEY (beneficiary_id) REFERENCES beneficiaries (id);
CREATE INDEX templates_beneficiary ON templates (beneficiary_id, model_id);
CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops);
