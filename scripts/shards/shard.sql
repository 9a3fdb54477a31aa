-- A shard: the service's templates table (migration 003's columns, indexes and LIST partitioning by
-- state) for the states this server holds. Run by scripts/shards.sh as the service's role, with
-- psql variable :state (the one state this shard holds here; a real shard holds several, one
-- partition each). Columns, their order and types must match the coordinator's templates: the
-- coordinator's foreign partition maps them by name.
--
-- Kept here (and not in the coordinator): the primary key (id, state) and the HNSW graph. The
-- coordinator's templates can have neither a unique index nor a foreign key once a partition is a
-- foreign table, so uniqueness of a template id is each shard's job, as is the graph the 1:N walks.
CREATE TABLE templates (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL,
  model_id text NOT NULL,
  embedding vector(512) NOT NULL,
  quality real NOT NULL,
  liveness real NOT NULL,
  district text NOT NULL,
  state text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  PRIMARY KEY (id, state)
) PARTITION BY LIST (state);
CREATE INDEX templates_beneficiary ON templates (beneficiary_id, model_id);
CREATE INDEX templates_district ON templates (district, model_id);
CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops);
SELECT format('CREATE TABLE %I PARTITION OF templates FOR VALUES IN (%L)', 'templates_' || lower(:'state'), :'state') \gexec
