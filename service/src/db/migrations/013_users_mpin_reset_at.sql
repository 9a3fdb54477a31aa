-- An MPIN reset (an admin's, or the CLI's for a locked-out admin) leaves its mark on the account,
-- so /v1/audit/verify can ask for the reset's audit entry (repositories/audit-coverage.ts): the
-- new hash and the must-change flag alone do not say that a reset happened. The latest reset is
-- kept; earlier ones are in the audit log. Resets made before this migration carry no mark.
ALTER TABLE users ADD COLUMN mpin_reset_at timestamptz;
ALTER TABLE users ADD COLUMN mpin_reset_by text;
