import { createHash, randomBytes } from 'node:crypto';
import type { Principal } from '../auth/principal.js';
import { mintToken } from '../auth/tokens.js';
import type { ServiceContext } from '../context.js';
import { appendAudit } from '../db/repositories/audit.js';
import { insertRefreshToken, insertSession, markRefreshTokenUsed, refreshTokenForUpdate, revokeSession, revokeUserSessions, sessionDevice } from '../db/repositories/sessions.js';
import { clearFailures, lockIfSpent, releaseAttempt, reserveAttempt } from '../db/repositories/signin-throttle.js';
import { getUser, mpinHashOf, setMpin, userByMobileWithHash, type User } from '../db/repositories/users.js';
import type { Queryable } from '../db/types.js';
import { ApiError, badRequest, conflict, forbidden, unauthorized } from '../errors.js';
import { weakMpinReason } from './mpin.js';
import { normaliseMobile, principalOfUser, userView } from './user-view.js';

export interface IdentityPolicy {
  /** Access-token lifetime (at most auth/tokens.ts ACCESS_TOKEN_MAX_SECONDS). */
  accessTtlSeconds: number;
  /** A session's absolute lifetime: refresh cannot extend it. */
  sessionTtlMs: number;
  /** Wrong MPINs per mobile number, or per device, within `lockMs` before a lock. */
  maxFailures: number;
  lockMs: number;
}

export const DEFAULT_IDENTITY_POLICY: IdentityPolicy = { accessTtlSeconds: 15 * 60, sessionTtlMs: 12 * 3600_000, maxFailures: 5, lockMs: 15 * 60_000 };

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  mustChangeMpin: boolean;
  user: ReturnType<typeof userView>;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const mobileKey = (mobile: string) => `m:${sha256(mobile)}`;
const deviceKey = (deviceId: string) => `d:${sha256(deviceId)}`;

const invalidCredentials = () => unauthorized('invalid_credentials', 'the mobile number or the MPIN is wrong');

function locked(until: Date, now: Date): ApiError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  return new ApiError(423, 'account_locked', `too many wrong MPINs: try again in ${Math.ceil(seconds / 60)} min`, { retryAfter: seconds }, { 'retry-after': String(seconds) });
}

/** A new refresh token (returned once, stored only as its hash) and an access token for the session. */
async function issue(ctx: ServiceContext, tx: Queryable, user: User, sid: string, now: Date): Promise<SignedIn> {
  const refreshToken = `rt_${randomBytes(32).toString('base64url')}`;
  await insertRefreshToken(tx, sid, sha256(refreshToken), now);
  const accessToken = await mintToken(ctx.signingKeys.current, principalOfUser(user, sid), ctx.identity.accessTtlSeconds, now);
  return { accessToken, refreshToken, expiresIn: ctx.identity.accessTtlSeconds, mustChangeMpin: user.mustChangeMpin, user: userView(user) };
}

async function startSession(ctx: ServiceContext, tx: Queryable, user: User, deviceId: string, now: Date): Promise<SignedIn> {
  const sid = await insertSession(tx, { userId: user.id, deviceId, now, expiresAt: new Date(now.getTime() + ctx.identity.sessionTtlMs) });
  return issue(ctx, tx, user, sid, now);
}

/**
 * Counts the guess against every key before any MPIN is checked, so guesses in flight at once
 * cannot each see an unlocked account (signin-throttle.ts), then runs the check with the slot
 * held. A right MPIN gives the slot back (the caller, in its transaction); a wrong one keeps it,
 * and may lock (lockIfSpent). A throw gives it back: nothing was learnt.
 */
async function withSlot<T>(ctx: ServiceContext, keys: string[], now: Date, check: () => Promise<T>): Promise<T> {
  const slot = await reserveAttempt(ctx.db, keys, now, ctx.identity.maxFailures, ctx.identity.lockMs);
  if (!slot.ok) throw locked(slot.until, now);
  try {
    return await check();
  } catch (err) {
    await releaseAttempt(ctx.db, keys, now);
    throw err;
  }
}

/** After a wrong MPIN: the error to answer, locking the keys whose slots are all spent. */
async function wrongMpin(ctx: ServiceContext, keys: string[], now: Date, user: User | undefined, wrong: () => ApiError): Promise<ApiError> {
  const until = await ctx.db.transaction(async (tx) => {
    const lockEnd = await lockIfSpent(tx, keys, now, ctx.identity.maxFailures, ctx.identity.lockMs);
    if (lockEnd && user) await appendAudit(tx, { actor: user.id, role: user.role, action: 'user.locked', subjectType: 'user', subjectId: user.id, district: user.district, details: { until: lockEnd.toISOString() } }, now);
    return lockEnd;
  });
  return until ? locked(until, now) : wrong();
}

/**
 * Mobile + MPIN → a session. An unknown number and a wrong MPIN answer alike, after the same
 * KDF work; guesses count per number and per device, and either reaching the limit locks.
 */
export async function login(ctx: ServiceContext, input: { mobile: string; mpin: string; deviceId: string }): Promise<SignedIn> {
  const now = ctx.clock();
  const mobile = normaliseMobile(input.mobile);
  const numberKey = mobileKey(mobile);
  const device = deviceKey(input.deviceId);
  const keys = [numberKey, device];
  const { user, ok } = await withSlot(ctx, keys, now, async () => {
    const found = await userByMobileWithHash(ctx.db, mobile);
    return { user: found, ok: found ? await ctx.mpin.verify(input.mpin, found.mpinHash) : await ctx.mpin.burn(input.mpin) };
  });
  if (!user || !ok) throw await wrongMpin(ctx, keys, now, user, invalidCredentials);
  if (user.status !== 'active') {
    await releaseAttempt(ctx.db, keys, now);
    throw forbidden('account_disabled', 'this account is disabled; ask your supervisor or district admin');
  }
  return ctx.db.transaction(async (tx) => {
    // The right MPIN: the number's count starts again; the device gets this guess's slot back only.
    await clearFailures(tx, numberKey);
    await releaseAttempt(tx, [device], now);
    const signedIn = await startSession(ctx, tx, user, input.deviceId, now);
    await appendAudit(tx, { actor: user.id, role: user.role, action: 'user.signed_in', subjectType: 'user', subjectId: user.id, district: user.district, details: { mustChangeMpin: user.mustChangeMpin } }, now);
    return signedIn;
  });
}

/**
 * A refresh token is good once. Presenting a used one means two holders (a copy was stolen, or
 * replayed): the whole session ends, and both holders must sign in again.
 */
export async function refresh(ctx: ServiceContext, refreshToken: string): Promise<SignedIn> {
  const now = ctx.clock();
  const hash = sha256(refreshToken);
  const outcome = await ctx.db.transaction(async (tx): Promise<SignedIn | ApiError> => {
    const row = await refreshTokenForUpdate(tx, hash);
    if (!row) return unauthorized('refresh_invalid', 'this refresh token is not valid; sign in again');
    if (row.sessionRevoked) return unauthorized('session_revoked', 'this session has ended; sign in again');
    if (row.used) {
      await revokeSession(tx, row.sessionId, 'refresh_reused', now);
      await appendAudit(tx, { actor: row.userId, role: 'system', action: 'session.refresh_reused', subjectType: 'session', subjectId: row.sessionId, details: {} }, now);
      return unauthorized('refresh_reused', 'this refresh token was already used: the session is ended; sign in again');
    }
    if (row.sessionExpiresAt <= now) return unauthorized('session_expired', 'this session has expired; sign in again');
    const user = await getUser(tx, row.userId);
    if (!user || user.status !== 'active') return unauthorized('session_revoked', 'this session has ended; sign in again');
    await markRefreshTokenUsed(tx, hash, now);
    return issue(ctx, tx, user, row.sessionId, now);
  });
  if (outcome instanceof ApiError) throw outcome;
  return outcome;
}

const noSession = () => conflict('no_session', 'a development token has no session; sign in with mobile and MPIN');

/**
 * Ends the session of the caller's access token, and the session of the refresh token she sends
 * (the one way out once the access token has expired). A refresh token that names no live
 * session changes nothing and answers the same, so sign-out says nothing about which tokens exist.
 */
export async function logout(ctx: ServiceContext, p: Principal | null, refreshToken?: string): Promise<void> {
  if (p && !p.sid && !refreshToken) throw noSession();
  const now = ctx.clock();
  await ctx.db.transaction(async (tx) => {
    if (p?.sid && (await revokeSession(tx, p.sid, 'logout', now))) {
      await appendAudit(tx, { actor: p.sub, role: p.role, action: 'user.signed_out', subjectType: 'session', subjectId: p.sid, district: p.district ?? null, details: {} }, now);
    }
    const row = refreshToken ? await refreshTokenForUpdate(tx, sha256(refreshToken)) : undefined;
    if (row && (await revokeSession(tx, row.sessionId, 'logout', now))) {
      const user = await getUser(tx, row.userId);
      await appendAudit(tx, { actor: row.userId, role: user?.role ?? 'system', action: 'user.signed_out', subjectType: 'session', subjectId: row.sessionId, district: user?.district ?? null, details: { with: 'refresh_token' } }, now);
    }
  });
}

/**
 * The signed-in user changes her MPIN (required after a one-time MPIN). Every session of hers ends,
 * this one included, and a fresh session on the same device is returned, so no token minted
 * before the change works after it.
 */
export async function changeMpin(ctx: ServiceContext, p: Principal, input: { currentMpin: string; newMpin: string }): Promise<SignedIn> {
  if (!p.sid) throw noSession();
  const now = ctx.clock();
  const user = await getUser(ctx.db, p.sub);
  if (!user) throw noSession();
  // The current MPIN is a guess like a sign-in's, on the same per-number count.
  const key = mobileKey(user.mobile);
  const ok = await withSlot(ctx, [key], now, async () => ctx.mpin.verify(input.currentMpin, (await mpinHashOf(ctx.db, user.id))!));
  if (!ok) throw await wrongMpin(ctx, [key], now, undefined, () => forbidden('mpin_incorrect', 'the current MPIN is wrong'));
  let newHash: string;
  try {
    if (input.newMpin === input.currentMpin) throw badRequest('weak_mpin', 'the new MPIN must differ from the current one');
    const weak = weakMpinReason(input.newMpin, user.mobile);
    if (weak) throw badRequest('weak_mpin', weak);
    newHash = await ctx.mpin.hash(input.newMpin);
  } catch (err) {
    await releaseAttempt(ctx.db, [key], now);
    throw err;
  }
  return ctx.db.transaction(async (tx) => {
    const deviceId = await sessionDevice(tx, p.sid!);
    await setMpin(tx, user.id, newHash, false);
    await clearFailures(tx, key);
    await revokeUserSessions(tx, user.id, 'mpin_changed', now);
    await appendAudit(tx, { actor: user.id, role: user.role, action: 'user.mpin_changed', subjectType: 'user', subjectId: user.id, district: user.district, details: {} }, now);
    return startSession(ctx, tx, { ...user, mustChangeMpin: false }, deviceId ?? 'unknown', now);
  });
}
