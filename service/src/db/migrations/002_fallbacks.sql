-- The non-biometric path: no face failure may deny a ration. A fallback case records why the
-- face step could not decide, how the ration was delivered instead (OTP or supervisor attestation),
-- and the district admin's review afterwards.
CREATE TABLE fallback_cases (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  scheme text NOT NULL,
  month date NOT NULL,
  reason text NOT NULL CHECK (reason IN (
    'no_consent', 'no_match', 'liveness_failed', 'not_enrolled', 'template_expired',
    'poor_quality', 'camera_fault', 'child_too_young', 'disability_or_injury', 'refused_biometrics')),
  -- The face attempt that led here, when there was one.
  verification_id uuid REFERENCES verifications (id),
  opened_by text NOT NULL,
  awc text NOT NULL,
  district text NOT NULL,
  state text NOT NULL,
  worker_note text,
  opened_at timestamptz NOT NULL DEFAULT now(),
  -- Delivery: set once, when the ration is handed over by a fallback method.
  method text CHECK (method IN ('otp', 'attestation')),
  distribution_id uuid REFERENCES distributions (id),
  completed_at timestamptz,
  attested_by text,
  attestation_reason text,
  attestation_note text,
  -- Review: after delivery, never before it is needed.
  review_status text NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'approved', 'rejected')),
  reviewed_by text,
  reviewed_at timestamptz,
  review_note text,
  -- One case per beneficiary, scheme and month: reopening returns the same case.
  UNIQUE (beneficiary_id, scheme, month),
  CHECK ((method IS NULL) = (completed_at IS NULL))
);
CREATE INDEX fallback_cases_queue ON fallback_cases (district, review_status, opened_at);
CREATE INDEX fallback_cases_awc ON fallback_cases (awc, opened_at);

-- OTPs are kept only as a keyed hash; the code itself exists only in the SMS.
CREATE TABLE otp_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES fallback_cases (id),
  code_hash text NOT NULL,
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX otp_challenges_case ON otp_challenges (case_id, created_at);

-- A rejected fallback flags its distribution for recovery; history is never deleted.
ALTER TABLE distributions ADD COLUMN recovery_flagged_at timestamptz;
ALTER TABLE distributions ADD COLUMN recovery_case_id uuid REFERENCES fallback_cases (id);

-- Face attempts per beneficiary and device, for the retry limit of a visit.
ALTER TABLE verifications ADD COLUMN device_id text;
CREATE INDEX verifications_attempts ON verifications (beneficiary_id, worker, created_at);
