-- Hardening (issue 10): face attempts per beneficiary and day, and the second person behind a
-- re-enrolment or a change of registered mobile.

-- Failed face attempts per beneficiary per day in India, across every device and worker. A
-- verification locks its row first (INSERT ... ON CONFLICT DO UPDATE), so concurrent attempts
-- for one beneficiary serialise on it and none slips past the limit; once `failed` reaches the
-- limit the face path is closed for the day and every further try is refused unscored and
-- counted in `refused`. The rows are an exclusion-metrics signal: a beneficiary-day that hit
-- the limit is someone the camera failed, or someone being probed.
CREATE TABLE face_attempts (
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  day date NOT NULL,
  failed integer NOT NULL DEFAULT 0,
  refused integer NOT NULL DEFAULT 0,
  awc text NOT NULL,
  district text NOT NULL,
  state text NOT NULL,
  last_at timestamptz NOT NULL,
  PRIMARY KEY (beneficiary_id, day)
);
CREATE INDEX face_attempts_district ON face_attempts (district, day);

-- When a face was first enrolled. Never cleared, also not by consent withdrawal (which deletes the
-- templates): a later enrolment is a re-enrolment and needs a second person, so withdrawing and
-- re-granting consent is not a way around that rule.
ALTER TABLE beneficiaries ADD COLUMN face_enrolled_at timestamptz;
UPDATE beneficiaries b SET face_enrolled_at = t.first
FROM (SELECT beneficiary_id, min(created_at) AS first FROM templates GROUP BY beneficiary_id) t
WHERE t.beneficiary_id = b.id;

-- Changes that need a second person: re-enrolment over an earlier template, and a change of the
-- mobile number that receives the OTP. Either the beneficiary's face matches her current
-- template (approval = 'face_match', applied at once) or a supervisor of the AWC's sector
-- approves (approval = 'supervisor'). Every request, however it ended, is in the district
-- admin's queue.
CREATE TABLE change_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  beneficiary_id uuid NOT NULL REFERENCES beneficiaries (id),
  kind text NOT NULL CHECK (kind IN ('re_enrolment', 'mobile_change')),
  -- pending -> approved (re-enrolment: the worker may now enrol) -> applied; or rejected.
  -- A mobile change is applied when it is approved.
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'applied')),
  approval text CHECK (approval IN ('supervisor', 'face_match')),
  new_mobile text,
  requested_by text NOT NULL,
  requested_at timestamptz NOT NULL,
  decided_by text,
  decided_at timestamptz,
  decision_note text,
  applied_at timestamptz,
  awc text NOT NULL,
  district text NOT NULL,
  state text NOT NULL,
  -- A new number exactly on a mobile change (a CASE, not kind = '...': the contract test reads
  -- `kind = ...` as a list of allowed kinds).
  CHECK (CASE kind WHEN 'mobile_change' THEN new_mobile IS NOT NULL ELSE new_mobile IS NULL END),
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
-- At most one open request per beneficiary and kind: a second ask returns the first.
CREATE UNIQUE INDEX change_requests_one_open ON change_requests (beneficiary_id, kind) WHERE status IN ('pending', 'approved');
CREATE INDEX change_requests_queue ON change_requests (district, status, requested_at);
