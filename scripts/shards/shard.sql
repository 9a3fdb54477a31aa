-- A shard: the service's templates table for the states this server holds, laid out as on the
-- coordinator's own server (migrations 003 and 008): LIST (state), each state's partition LIST
-- (district), one leaf per district with its own btree and HNSW graph, made on demand. Run by
-- scripts/shards.sh as the service's role, after it has copied the service's partition functions
-- (templates_ensure_partition and the functions it uses) from the coordinator's catalog, with psql
-- variables :state (the one state this shard holds here; a real shard holds several, one
-- partition each) and :columns (the coordinator's templates columns after all migrations, read
-- from its catalog by the script: the coordinator's foreign partition maps them by name, so they
-- must be the same, and taking them from there keeps them so).
--
-- Kept here (and not in the coordinator): the primary key (id, state, district) and the HNSW
-- graphs. The coordinator's templates can have neither a unique index nor a foreign key once a
-- partition is a foreign table, so uniqueness of a template id is each shard's job, as are the
-- graphs the 1:N walks.
CREATE TABLE templates (:columns, PRIMARY KEY (id, state, district)) PARTITION BY LIST (state);
CREATE INDEX templates_beneficiary ON templates (beneficiary_id, model_id);
CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops);
SELECT templates_ensure_partition(:'state') IS NOT NULL AS state_partition_made \gset

-- The coordinator's foreign partition names this table, the root: its WHERE state = … AND
-- district = … is pruned here to the district's leaf. Updates and deletes must reach it whole
-- (postgres_fdw's "direct modification"): when the coordinator cannot send one whole (an
-- expression it may not ship: a stable function such as now(), or coalesce on PostgreSQL 15),
-- postgres_fdw fetches the rows and changes them `WHERE ctid = $1`, and on a partitioned table
-- that ctid names a row in every district's leaf (seen here: UPDATE 1 reported, one row changed
-- in each of four districts). service/test/shards.test.ts checks that every statement the
-- service sends to change templates goes whole. (A view without ctid in between would make such
-- a statement fail instead, but postgres_fdw then cannot TRUNCATE through it.)

-- How the coordinator has a district's leaf made here. Its templates_ensure_partition(state,
-- district) (scripts/shards/coordinator.sql) inserts (state, district) into its foreign table for
-- this server; the row arrives here, the trigger makes the leaf with this server's own
-- templates_ensure_partition (advisory lock and all), and nothing is stored. The service calls it
-- in a transaction of its own before an enrolment, as on one server (a partition made inside a
-- transaction that has already read the state's templates can deadlock with another such).
CREATE TABLE templates_partition_requests (state text NOT NULL, district text NOT NULL);
-- search_path: postgres_fdw's sessions on the shard search pg_catalog only, and the partition
-- functions name templates and each other unqualified, as the migrations wrote them.
CREATE FUNCTION templates_partition_requested() RETURNS trigger
LANGUAGE plpgsql SET search_path = public AS $$
BEGIN
  PERFORM templates_ensure_partition(NEW.state, NEW.district);
  RETURN NULL;
END;
$$;
CREATE TRIGGER templates_partition_requested BEFORE INSERT ON templates_partition_requests
  FOR EACH ROW EXECUTE FUNCTION templates_partition_requested();
