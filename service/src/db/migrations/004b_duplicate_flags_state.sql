-- Duplicate flags carry the state as well as the district: district codes are unique only within
-- their state, so a queue of "district D1" must be read as "D1 of S1" (issue 10, item 5). Rows
-- from before take the state of the beneficiary the flag is about.
ALTER TABLE duplicate_flags ADD COLUMN state text;
UPDATE duplicate_flags f SET state = b.state FROM beneficiaries b WHERE b.id = f.beneficiary_id;
ALTER TABLE duplicate_flags ALTER COLUMN state SET NOT NULL;
DROP INDEX duplicate_flags_district;
CREATE INDEX duplicate_flags_area ON duplicate_flags (state, district, status);
