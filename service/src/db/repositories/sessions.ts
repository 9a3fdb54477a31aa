import type { Queryable } from '../types.js';

export type RevokeReason = 'logout' | 'refresh_reused' | 'user_disabled' | 'mpin_reset' | 'mpin_changed';

export async function insertSession(tx: Queryable, s: { userId: string; deviceId: string; expiresAt: Date; now: Date }): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    'INSERT INTO sessions (user_id, device_id, created_at, expires_at) VALUES ($1, $2, $3, $4) RETURNING id',
    [s.userId, s.deviceId, s.now, s.expiresAt],
  );
  return rows[0]!.id;
}

export interface SessionState {
  userId: string;
  revoked: boolean;
  expiresAt: Date;
  userActive: boolean;
  mustChangeMpin: boolean;
}

/**
 * The per-request check: one lookup by primary key of the session and of its user. Revocation and
 * a disabled account take effect from the moment they commit, on every replica.
 */
export async function sessionState(db: Queryable, sid: string): Promise<SessionState | undefined> {
  const { rows } = await db.query<SessionState>(
    `SELECT s.user_id AS "userId", s.revoked_at IS NOT NULL AS revoked, s.expires_at AS "expiresAt",
            u.status = 'active' AS "userActive", u.must_change_mpin AS "mustChangeMpin"
     FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
    [sid],
  );
  return rows[0];
}

export async function revokeSession(tx: Queryable, sid: string, reason: RevokeReason, now: Date): Promise<boolean> {
  const { rows } = await tx.query('UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id', [sid, now, reason]);
  return rows.length > 0;
}

/** Ends every live session of a user (disable, MPIN reset); returns how many. */
export async function revokeUserSessions(tx: Queryable, userId: string, reason: RevokeReason, now: Date, exceptSid?: string): Promise<number> {
  const { rows } = await tx.query(
    'UPDATE sessions SET revoked_at = $2, revoked_reason = $3 WHERE user_id = $1 AND revoked_at IS NULL AND ($4::uuid IS NULL OR id <> $4) RETURNING id',
    [userId, now, reason, exceptSid ?? null],
  );
  return rows.length;
}

export async function insertRefreshToken(tx: Queryable, sessionId: string, tokenHash: string, now: Date): Promise<void> {
  await tx.query('INSERT INTO refresh_tokens (token_hash, session_id, created_at) VALUES ($1, $2, $3)', [tokenHash, sessionId, now]);
}

export interface RefreshTokenRow {
  sessionId: string;
  used: boolean;
  userId: string;
  sessionRevoked: boolean;
  sessionExpiresAt: Date;
  deviceId: string;
}

/** The refresh token's row and its session, locked: two refreshes with one token cannot both win. */
export async function refreshTokenForUpdate(tx: Queryable, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  const { rows } = await tx.query<RefreshTokenRow>(
    `SELECT r.session_id AS "sessionId", r.used_at IS NOT NULL AS used, s.user_id AS "userId",
            s.revoked_at IS NOT NULL AS "sessionRevoked", s.expires_at AS "sessionExpiresAt", s.device_id AS "deviceId"
     FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id WHERE r.token_hash = $1 FOR UPDATE OF r, s`,
    [tokenHash],
  );
  return rows[0];
}

export async function markRefreshTokenUsed(tx: Queryable, tokenHash: string, now: Date): Promise<void> {
  await tx.query('UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1', [tokenHash, now]);
}

export async function sessionDevice(db: Queryable, sid: string): Promise<string | undefined> {
  const { rows } = await db.query<{ deviceId: string }>('SELECT device_id AS "deviceId" FROM sessions WHERE id = $1', [sid]);
  return rows[0]?.deviceId;
}
