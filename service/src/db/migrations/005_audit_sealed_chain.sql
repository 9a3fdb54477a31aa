-- The audit log without a global write lock, and tamper-evident against a database administrator.
--
-- Until now every writing transaction locked the one audit_head row to take the next seq and the
-- previous hash, and held it until COMMIT: commits (each an fsync) happened one at a time, and the
-- service stopped at ~177 verifications/s on a PostgreSQL server with the CPU half idle (issue 11).
--
-- Now a writer only INSERTs its entry (id from a sequence, no chain fields). A sealer — one at a
-- time, holding audit_head — takes the entries not yet chained in id order, gives each the next
-- chain position (seq), prev_hash and hash, and moves the head. The chain order is the seal order:
-- an entry whose transaction commits late simply gets a later seq. Old rows keep their seq and
-- hashes (their id is their seq), so an existing chain still verifies.
--
-- Signed checkpoints of the head (audit_checkpoints; the Ed25519 key is in the service's key
-- directory, never in the database) let an auditor who keeps them elsewhere detect a rewritten or
-- truncated chain. TRUNCATE is refused on the audit tables (row triggers do not see it).

ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;

CREATE SEQUENCE audit_log_id_seq AS bigint;
ALTER TABLE audit_log ADD COLUMN id bigint;
UPDATE audit_log SET id = seq;
SELECT setval('audit_log_id_seq', COALESCE(max(id), 0) + 1, false) FROM audit_log;
ALTER TABLE audit_log ALTER COLUMN id SET DEFAULT nextval('audit_log_id_seq'), ALTER COLUMN id SET NOT NULL;
ALTER SEQUENCE audit_log_id_seq OWNED BY audit_log.id;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD PRIMARY KEY (id);
ALTER TABLE audit_log ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL;
ALTER TABLE audit_log ADD CONSTRAINT audit_log_sealed_whole CHECK ((seq IS NULL) = (hash IS NULL) AND (seq IS NULL) = (prev_hash IS NULL));
-- The chain is read in seq order (listing, verification); the sealer finds its work here.
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;

-- The one UPDATE allowed: the sealer filling the chain fields of an unsealed entry, nothing else.
CREATE OR REPLACE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND (NEW.id, NEW.at, NEW.actor, NEW.role, NEW.action, NEW.subject_type, NEW.subject_id, NEW.district, NEW.details)
         IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor, OLD.role, OLD.action, OLD.subject_type, OLD.subject_id, OLD.district, OLD.details) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END;
$$;
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

-- Signed heads. jws is a compact JWS (EdDSA) over {v, seq, hash, at, kid}: the row is a copy for
-- convenience; what counts is the copy an auditor exported and keeps outside the database.
CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash text NOT NULL,
  at timestamptz NOT NULL,
  kid text NOT NULL,
  jws text NOT NULL
);
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
