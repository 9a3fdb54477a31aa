-- "Same person, merge" moves what belongs to the person from the closed record to the kept one
-- (domain/merge.ts). Guardian links need no new column: the closed record's are ended and made
-- again on the kept record.

-- This month's ration given on the closed record counts for the kept one: the row moves, so the
-- unique key (beneficiary, scheme, month) refuses her a second ration this month, and it keeps
-- the record it was given on. Earlier months stay where they were given: history.
ALTER TABLE distributions ADD COLUMN merged_from uuid REFERENCES beneficiaries (id);

-- A fallback case of the closed record that was never delivered is closed by the decision that
-- closed the record: the ration goes through the kept record now. A delivered case is history
-- and stays open to review.
ALTER TABLE fallback_cases ADD COLUMN closed_at timestamptz;
ALTER TABLE fallback_cases ADD COLUMN closed_by_flag uuid REFERENCES duplicate_flags (id);
ALTER TABLE fallback_cases ADD CONSTRAINT fallback_cases_closed_by_decision
  CHECK ((closed_at IS NULL) = (closed_by_flag IS NULL) AND (closed_at IS NULL OR completed_at IS NULL));
