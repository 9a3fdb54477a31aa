-- A district admin's exclusion figures (repositories/exclusion.ts) count a district's
-- verifications and rations over a period. Verifications carried the district but not its state,
-- rations neither, so the read joined beneficiaries to place them and scanned both tables: 45 ms
-- of database per request at 100k verifications, and at national size (10 crore rows a month) a
-- scan of the nation for one district. Each row now carries the state and district of the
-- beneficiary it was for, as written, and an index on (state, district, time) answers the read.
-- District codes repeat across states: both are kept, and compared, together.
ALTER TABLE verifications ADD COLUMN state text;
UPDATE verifications v SET state = b.state FROM beneficiaries b WHERE b.id = v.beneficiary_id;
ALTER TABLE verifications ALTER COLUMN state SET NOT NULL;
CREATE INDEX verifications_place ON verifications (state, district, created_at);

ALTER TABLE distributions ADD COLUMN state text;
ALTER TABLE distributions ADD COLUMN district text;
UPDATE distributions d SET state = b.state, district = b.district FROM beneficiaries b WHERE b.id = d.beneficiary_id;
ALTER TABLE distributions ALTER COLUMN state SET NOT NULL;
ALTER TABLE distributions ALTER COLUMN district SET NOT NULL;
CREATE INDEX distributions_place ON distributions (state, district, created_at);
