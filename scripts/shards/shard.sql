-- A shard: the service's templates table (its columns, indexes and LIST partitioning by state) for
-- the states this server holds. Run by scripts/shards.sh as the service's role, with psql
-- variables :state (the one state this shard holds here; a real shard holds several, one
-- partition each) and :columns (the coordinator's templates columns after all migrations, read
-- from its catalog by the script: the coordinator's foreign partition maps them by name, so they
-- must be the same, and taking them from there keeps them so).
--
-- Kept here (and not in the coordinator): the primary key (id, state) and the HNSW graph. The
-- coordinator's templates can have neither a unique index nor a foreign key once a partition is a
-- foreign table, so uniqueness of a template id is each shard's job, as is the graph the 1:N walks.
CREATE TABLE templates (:columns, PRIMARY KEY (id, state)) PARTITION BY LIST (state);
CREATE INDEX templates_beneficiary ON templates (beneficiary_id, model_id);
CREATE INDEX templates_district ON templates (district, model_id);
CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops);
SELECT format('CREATE TABLE %I PARTITION OF templates FOR VALUES IN (%L)', 'templates_' || lower(:'state'), :'state') \gexec
