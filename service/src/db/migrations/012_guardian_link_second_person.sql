-- A further guardian for a child needs a second person (the audit after issue 10): a worker could
-- link any adult of her centre as guardian of any child under three and collect that child's
-- ration with that face. The first link, made at registration with the mother present, stays a
-- worker's; a link to a child who already has a guardian is a change request like a re-enrolment
-- or a new mobile number: applied at once when the child's existing guardian's face matches in the
-- same request (approval = 'face_match'), else when a supervisor of the sector approves it.
ALTER TABLE change_requests DROP CONSTRAINT change_requests_kind_check;
ALTER TABLE change_requests ADD CONSTRAINT change_requests_kind_check CHECK (kind IN ('re_enrolment', 'mobile_change', 'guardian_link'));

-- The link asked for, kept on the request so the supervisor decides on what she sees and her
-- approval applies exactly that; beneficiary_id is the child.
ALTER TABLE change_requests ADD COLUMN guardian_id uuid REFERENCES beneficiaries (id);
ALTER TABLE change_requests ADD COLUMN relation text;
ALTER TABLE change_requests ADD COLUMN since date;
-- All three exactly on a guardian link (a CASE, not kind = '...': the contract test reads
-- `kind = ...` as a list of allowed kinds).
ALTER TABLE change_requests ADD CONSTRAINT change_requests_guardian_link CHECK (
  CASE kind WHEN 'guardian_link' THEN guardian_id IS NOT NULL AND relation IS NOT NULL AND since IS NOT NULL
  ELSE guardian_id IS NULL AND relation IS NULL AND since IS NULL END);
