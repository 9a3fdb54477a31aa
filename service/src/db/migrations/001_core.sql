-- Core schema: beneficiaries, consent, templates, verification, distribution, audit.
-- Runs unchanged on embedded PGlite and on a PostgreSQL server with pgvector.
CREATE EXTENSION IF NOT EXISTS vector;

CREATE TABLE beneficiaries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  category text NOT NULL CHECK (category IN ('pregnant', 'lactating', 'child_6m_3y', 'child_3_6y', 'adolescent_girl')),
  name text NOT NULL,
  birth_date date,
  awc text NOT NULL,
  district text NOT NULL,
  state text NOT NULL,
  -- Registered mobile for the OTP fallback; for a child, the guardian's.
  mobile text,
  guardian_name text,
  guardian_relation text,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (category NOT IN ('child_6m_3y', 'child_3_6y') OR (guardian_name IS NOT NULL AND guardian_relation IS NOT NULL))
);
CREATE INDEX beneficiaries_awc ON beneficiaries (awc);
CREATE INDEX beneficiaries_district ON beneficiaries (district);

CREATE TABLE consents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  purpose text NOT NULL CHECK (purpose IN ('face_verification')),
  given_by text NOT NULL CHECK (given_by IN ('self', 'guardian')),
  notice_version text NOT NULL,
  language text NOT NULL,
  method text NOT NULL CHECK (method IN ('verbal', 'signature', 'thumb_impression')),
  recorded_by text NOT NULL,
  granted_at timestamptz NOT NULL DEFAULT now(),
  withdrawn_at timestamptz,
  withdrawn_by text,
  withdrawal_reason text
);
-- At most one active consent per purpose: the record of what is in force is never ambiguous.
CREATE UNIQUE INDEX consents_one_active ON consents (beneficiary_id, purpose) WHERE withdrawn_at IS NULL;

CREATE TABLE templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  model_id text NOT NULL,
  embedding vector(512) NOT NULL,
  quality real NOT NULL,
  liveness real NOT NULL,
  -- Copied from the beneficiary so 1:N within a district needs no join.
  district text NOT NULL,
  state text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz
);
CREATE INDEX templates_beneficiary ON templates (beneficiary_id, model_id);
CREATE INDEX templates_district ON templates (district, model_id);
CREATE INDEX templates_embedding ON templates USING hnsw (embedding vector_cosine_ops);

CREATE TABLE verifications (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  scheme text NOT NULL,
  worker text NOT NULL,
  awc text NOT NULL,
  district text NOT NULL,
  model_id text NOT NULL,
  -- match | no_match | liveness_failed | no_consent | not_enrolled | template_expired | already_distributed
  outcome text NOT NULL,
  score real,
  threshold real,
  quality real NOT NULL,
  liveness real NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX verifications_beneficiary ON verifications (beneficiary_id, created_at);
CREATE INDEX verifications_awc ON verifications (awc, created_at);

CREATE TABLE distributions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  scheme text NOT NULL,
  -- First day of the distribution month (India time).
  month date NOT NULL,
  method text NOT NULL CHECK (method IN ('face', 'otp', 'attestation')),
  verification_id uuid REFERENCES verifications (id),
  worker text NOT NULL,
  awc text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- The rule "one ration per beneficiary, scheme and month" lives here, so it holds under concurrency.
  UNIQUE (beneficiary_id, scheme, month)
);

CREATE TABLE seen_nonces (
  nonce text PRIMARY KEY,
  seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX seen_nonces_seen_at ON seen_nonces (seen_at);

CREATE TABLE duplicate_flags (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  candidate_beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  model_id text NOT NULL,
  score real NOT NULL,
  district text NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duplicate_flags_district ON duplicate_flags (district, status);

-- Append-only, hash-chained. Never holds biometric data.
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  role text NOT NULL,
  action text NOT NULL,
  subject_type text NOT NULL,
  subject_id text NOT NULL,
  district text,
  details jsonb NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- One row holding the chain's head: appenders lock it, so the chain is gapless and linear
-- even when transactions run concurrently on a server.
CREATE TABLE audit_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
