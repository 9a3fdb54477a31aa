-- Guardians, templates built to last, and duplicate flags that get resolved (issue 12).

-- A person registered only as a guardian (a father, a grandmother): she has her own consent and
-- face template so she can collect a child's ration, and receives no THR herself.
ALTER TABLE beneficiaries DROP CONSTRAINT beneficiaries_category_check;
ALTER TABLE beneficiaries ADD CONSTRAINT beneficiaries_category_check
  CHECK (category IN ('pregnant', 'lactating', 'child_6m_3y', 'child_3_6y', 'adolescent_girl', 'guardian'));

-- A record closed by a duplicate decision ("same person, merge") stays, with where it went:
-- its consents, verifications and distributions are history and are never deleted.
ALTER TABLE beneficiaries ADD COLUMN closed_at timestamptz;
ALTER TABLE beneficiaries ADD COLUMN merged_into uuid REFERENCES beneficiaries (id);
-- Set by a "fraud suspected" decision; it does not stop a ration (nobody is denied one), it marks
-- the record for the district's follow-up.
ALTER TABLE beneficiaries ADD COLUMN fraud_flagged_at timestamptz;

-- Child ↔ guardian. A child may have several guardians; the link is ended, never deleted.
CREATE TABLE guardianships (
  child_id uuid NOT NULL REFERENCES beneficiaries (id),
  guardian_id uuid NOT NULL REFERENCES beneficiaries (id),
  relation text NOT NULL,
  since date NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  ended_at timestamptz,
  PRIMARY KEY (child_id, guardian_id),
  CHECK (child_id <> guardian_id)
);
-- "Which children may this guardian collect for?" is asked at every guardian visit.
CREATE INDEX guardianships_guardian ON guardianships (guardian_id) WHERE ended_at IS NULL;

-- Whose face was verified: NULL is the beneficiary's own; for a child collected by a guardian,
-- the guardian. One guardian capture for several children shares a visit id across their rows.
ALTER TABLE verifications ADD COLUMN face_of uuid REFERENCES beneficiaries (id);
ALTER TABLE verifications ADD COLUMN visit_id uuid;
CREATE INDEX verifications_visit ON verifications (visit_id) WHERE visit_id IS NOT NULL;

-- Templates built from several captures, and refreshed (bounded) after confident matches.
ALTER TABLE templates ADD COLUMN captures integer NOT NULL DEFAULT 1;
ALTER TABLE templates ADD COLUMN refreshed_at timestamptz;
ALTER TABLE templates ADD COLUMN refresh_count integer NOT NULL DEFAULT 0;

-- A district admin's decision on a duplicate flag. Decided once: status moves open → resolved.
ALTER TABLE duplicate_flags ADD COLUMN decision text CHECK (decision IN ('different_people', 'same_person', 'fraud_suspected'));
ALTER TABLE duplicate_flags ADD COLUMN decided_by text;
ALTER TABLE duplicate_flags ADD COLUMN decided_at timestamptz;
ALTER TABLE duplicate_flags ADD COLUMN decision_note text;
-- A decision comes with its time (the repository moves status to 'resolved' in the same UPDATE).
ALTER TABLE duplicate_flags ADD CONSTRAINT duplicate_flags_decided CHECK ((decision IS NULL) = (decided_at IS NULL));

-- Pairs an admin has judged to be different people: enrolment does not flag them again.
-- Stored with the smaller id first so (a, b) and (b, a) are one row.
CREATE TABLE distinct_people (
  a uuid NOT NULL REFERENCES beneficiaries (id),
  b uuid NOT NULL REFERENCES beneficiaries (id),
  flag_id uuid NOT NULL REFERENCES duplicate_flags (id),
  decided_by text NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (a, b),
  CHECK (a < b)
);
