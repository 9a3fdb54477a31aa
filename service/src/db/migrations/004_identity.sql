-- Identity: accounts signed in with mobile + MPIN, sessions that logout really ends, rotating
-- refresh tokens, and sign-in throttling. Same SQL on PGlite and on a PostgreSQL server.

-- A user's id is the token's `sub` and the `created_by`/`worker` text of every business row, so it
-- is text: uuids for accounts made here, and the ids development tokens carry stay valid.
CREATE TABLE users (
  id text PRIMARY KEY DEFAULT gen_random_uuid()::text,
  role text NOT NULL CHECK (role IN ('worker', 'supervisor', 'district_admin', 'state_admin', 'auditor')),
  -- The user id she types: her 10-digit mobile number, stored without +91.
  mobile text NOT NULL UNIQUE CHECK (mobile ~ '^[6-9][0-9]{9}$'),
  name text NOT NULL,
  -- Scope: the whole path. Codes are unique only within their parent.
  state text,
  district text,
  awc text,
  awcs text[],
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- scrypt over an HMAC of the MPIN keyed with a pepper kept outside the database (see identity/mpin.ts).
  mpin_hash text NOT NULL,
  -- A one-time MPIN (bootstrap, new account, reset) must be changed before anything else works.
  must_change_mpin boolean NOT NULL DEFAULT true,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  disabled_at timestamptz,
  disabled_by text,
  -- The scope each role needs, as the tokens' claims do (auth/principal.ts).
  CHECK (CASE role
    WHEN 'worker' THEN state IS NOT NULL AND district IS NOT NULL AND awc IS NOT NULL
    WHEN 'supervisor' THEN state IS NOT NULL AND district IS NOT NULL AND cardinality(awcs) > 0
    WHEN 'district_admin' THEN state IS NOT NULL AND district IS NOT NULL
    WHEN 'state_admin' THEN state IS NOT NULL
    ELSE true END)
);
CREATE INDEX users_scope ON users (state, district, role);

-- One row per sign-in. Every access token carries the session id (`sid`); the auth plugin looks
-- the session up by primary key on every request, so a revocation holds from the moment it commits,
-- on every replica.
CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id text NOT NULL REFERENCES users (id),
  device_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Absolute end: refresh cannot extend a session past this.
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('logout', 'refresh_reused', 'user_disabled', 'mpin_reset', 'mpin_changed'))
);
CREATE INDEX sessions_user_live ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are random and stored only as their SHA-256. A used token keeps its row
-- (used_at set) so that presenting it again is recognised as reuse and ends the session.
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  used_at timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Failed sign-ins per mobile number and per device, in one table keyed by a hash of either. The
-- mobile counter exists whether or not the number has an account, so a lock says nothing about
-- whether a number is registered.
CREATE TABLE signin_throttle (
  key text PRIMARY KEY,
  failures integer NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_throttle_updated ON signin_throttle (updated_at);
