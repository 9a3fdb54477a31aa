-- The coordinator: after the service's own migrations, the partitions of templates for the
-- sharded states become foreign tables on the shards (postgres_fdw). Run by scripts/shards.sh as
-- the service's role, with psql variable :shards, e.g. 'shard1=S1,shard2=S2' (server=state).
-- The foreign servers (extensions 'vector', so pgvector's operators may be shipped) and the user
-- mappings exist already: the script makes them as the superuser.
--
-- What changes in the service's schema, and why:
-- * templates loses its primary key (id, state, district): PostgreSQL refuses a foreign partition
--   of a table with a unique index ("cannot create foreign partition ... contains indexes that
--   are unique"); each shard keeps the key for its rows, and ids are random uuids.
-- * templates loses its foreign key to beneficiaries ("foreign key constraints are not supported
--   on foreign tables"): a template on a shard cannot reference a row on the coordinator. The
--   service writes a template only after reading its beneficiary in the same transaction.
-- * Each sharded state's partition is a foreign table (on the shard's templates, which is
--   partitioned by state and district as here: scripts/shards/shard.sql) with the name
--   templates_ensure_partition(state)
--   looks for, so the function finds it and the service never creates a local one for that state.
--   Other states keep getting local partitions on demand, as before.
-- * templates_ensure_partition(state, district), which the service calls before writing a
--   template, cannot make a district's partition under a foreign table: for a sharded state it
--   asks the shard to make it (an insert into the shard's templates_partition_requests, through a
--   foreign table here: scripts/shards/shard.sql), and for any other state it does what the
--   migration's function does (kept as templates_ensure_local_partition).
ALTER TABLE templates DROP CONSTRAINT templates_pkey;
SELECT format('ALTER TABLE templates DROP CONSTRAINT %I', conname) FROM pg_constraint
WHERE conrelid = 'templates'::regclass AND contype = 'f' \gexec
SELECT format('CREATE FOREIGN TABLE %I PARTITION OF templates FOR VALUES IN (%L) SERVER %I OPTIONS (table_name %L)',
              templates_partition_name(split_part(pair, '=', 2)), split_part(pair, '=', 2), split_part(pair, '=', 1), 'templates')
FROM unnest(string_to_array(:'shards', ',')) AS pair \gexec
SELECT format('CREATE FOREIGN TABLE %I (state text NOT NULL, district text NOT NULL) SERVER %I OPTIONS (table_name %L)',
              'templates_partition_requests_' || server, server, 'templates_partition_requests')
FROM (SELECT DISTINCT split_part(pair, '=', 1) AS server FROM unnest(string_to_array(:'shards', ',')) AS pair) AS s \gexec

ALTER FUNCTION templates_ensure_partition(text, text) RENAME TO templates_ensure_local_partition;
CREATE FUNCTION templates_ensure_partition(p_state text, p_district text) RETURNS regclass
LANGUAGE plpgsql AS $$
DECLARE
  part regclass := templates_ensure_partition(p_state);
  server name;
BEGIN
  SELECT s.srvname INTO server FROM pg_foreign_table f JOIN pg_foreign_server s ON s.oid = f.ftserver WHERE f.ftrelid = part;
  IF server IS NULL THEN
    RETURN templates_ensure_local_partition(p_state, p_district);
  END IF;
  EXECUTE format('INSERT INTO %I (state, district) VALUES ($1, $2)', 'templates_partition_requests_' || server) USING p_state, p_district;
  RETURN part;
END;
$$;
