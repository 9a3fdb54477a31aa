-- The coordinator: after the service's own migrations, the partitions of templates for the
-- sharded states become foreign tables on the shards (postgres_fdw). Run by scripts/shards.sh as
-- the service's role, with psql variable :shards, e.g. 'shard1=S1,shard2=S2' (server=state).
-- The foreign servers (extensions 'vector', so pgvector's operators may be shipped) and the user
-- mappings exist already: the script makes them as the superuser.
--
-- What changes in the service's schema, and why:
-- * templates loses its primary key (id, state): PostgreSQL refuses a foreign partition of a
--   table with a unique index ("cannot create foreign partition ... contains indexes that are
--   unique"); each shard keeps the key for its rows, and ids are random uuids.
-- * templates loses its foreign key to beneficiaries ("foreign key constraints are not supported
--   on foreign tables"): a template on a shard cannot reference a row on the coordinator. The
--   service writes a template only after reading its beneficiary in the same transaction.
-- * Each sharded state's partition is a foreign table with the name templates_ensure_partition()
--   looks for, so the function finds it and the service never creates a local one for that state.
--   Other states keep getting local partitions on demand, as before.
ALTER TABLE templates DROP CONSTRAINT templates_pkey;
SELECT format('ALTER TABLE templates DROP CONSTRAINT %I', conname) FROM pg_constraint
WHERE conrelid = 'templates'::regclass AND contype = 'f' \gexec
SELECT format('CREATE FOREIGN TABLE %I PARTITION OF templates FOR VALUES IN (%L) SERVER %I OPTIONS (table_name %L)',
              templates_partition_name(split_part(pair, '=', 2)), split_part(pair, '=', 2), split_part(pair, '=', 1), 'templates')
FROM unnest(string_to_array(:'shards', ',')) AS pair \gexec
