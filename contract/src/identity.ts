import { type Static, Type } from 'typebox';
import { ROLES, USER_STATUSES } from './enums.js';
import { Nullable, OneOf, Timestamp } from './common.js';

// Sign-in, sessions and user management.

/** The user id she types: her 10-digit mobile number, +91 allowed. */
export const Mobile = Type.String({ pattern: '^(\\+91)?[6-9][0-9]{9}$' });
/**
 * "+91 98123 45678", "919812345678" and "9812345678" are one number: its 10 digits. The one
 * normalisation of a user id, for the account it names (service), and the rate-limit bucket.
 */
export function normaliseMobile(raw: string): string {
  const digits = raw.replace(/[\s-]/g, '');
  return digits.replace(/^(\+91|91)(?=[6-9][0-9]{9}$)/, '');
}
/** 4 to 6 digits; which ones are too easy to guess is the service's rule (weak_mpin). */
export const MPIN_PATTERN = '^[0-9]{4,6}$';
export const Mpin = Type.String({ pattern: MPIN_PATTERN });
/** A state, district or AWC code: unique only within its parent. */
export const AreaCode = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' });
/** The app's stable id for the phone: sign-in failures are counted per device too. */
export const DeviceId = Type.String({ pattern: '^[A-Za-z0-9._:-]{8,128}$' });

export const LoginBody = Type.Object({ mobile: Mobile, mpin: Mpin, deviceId: DeviceId }, { additionalProperties: false });
/** Opaque: `rt_` and 32 random bytes (base64url). */
export const RefreshToken = Type.String({ pattern: '^rt_[A-Za-z0-9_-]{43}$' });
export const RefreshBody = Type.Object({ refreshToken: RefreshToken }, { additionalProperties: false });
/**
 * Sign-out. With a live access token, its session ends. With the session's refresh token, that
 * session ends even when the access token has expired (a worker idle past 15 minutes who taps
 * sign-out): the answer is 204 whether or not the token named a live session, so it says nothing
 * about which tokens exist. No body: the bearer token's session only (as before).
 */
export const LogoutBody = Nullable(Type.Object({ refreshToken: Type.Optional(RefreshToken) }, { additionalProperties: false }));
export const ChangeMpinBody = Type.Object({ currentMpin: Mpin, newMpin: Mpin }, { additionalProperties: false });

/** An account as it leaves the service: never the MPIN hash; the mobile number masked. */
export const User = Type.Object(
  {
    id: Type.String(),
    role: OneOf(ROLES),
    name: Type.String(),
    /** Masked: the last four digits. */
    mobile: Type.String(),
    state: Type.Union([Type.String(), Type.Null()]),
    district: Type.Optional(Type.String()),
    awc: Type.Optional(Type.String()),
    awcs: Type.Optional(Type.Array(Type.String())),
    status: OneOf(USER_STATUSES),
    mustChangeMpin: Type.Boolean(),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);

/** What sign-in, refresh and an MPIN change answer. */
export const SignedIn = Type.Object(
  {
    /** EdDSA JWT, at most 15 minutes: sub, sid, jti, role and the scope claims. */
    accessToken: Type.String(),
    /** Opaque, good once: refresh returns a new one. Reusing an old one ends the session. */
    refreshToken: Type.String(),
    /** Seconds the access token lives. */
    expiresIn: Type.Integer({ minimum: 1 }),
    /** A one-time MPIN is in use: only POST /v1/auth/mpin and logout work until it is changed. */
    mustChangeMpin: Type.Boolean(),
    user: User,
  },
  { additionalProperties: false },
);

export const NewUserBody = Type.Object(
  {
    role: OneOf(ROLES),
    mobile: Mobile,
    name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
    /** worker: her Anganwadi centre. */
    awc: Type.Optional(AreaCode),
    /** supervisor: the AWCs of her sector. */
    awcs: Type.Optional(Type.Array(AreaCode, { minItems: 1, maxItems: 50 })),
    /** district_admin (added by a state admin): her district. */
    district: Type.Optional(AreaCode),
  },
  { additionalProperties: false },
);

/** A new account or an MPIN reset: the one-time MPIN is shown once, to the admin who made it. */
export const UserWithMpin = Type.Object({ user: User, oneTimeMpin: Type.String({ pattern: '^[0-9]{6}$' }) }, { additionalProperties: false });
export const UserList = Type.Object({ items: Type.Array(User) }, { additionalProperties: false });
export const UserIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._-]+$' }) });

export type LoginBody = Static<typeof LoginBody>;
export type RefreshBody = Static<typeof RefreshBody>;
export type LogoutBody = Static<typeof LogoutBody>;
export type ChangeMpinBody = Static<typeof ChangeMpinBody>;
export type User = Static<typeof User>;
export type SignedIn = Static<typeof SignedIn>;
export type NewUserBody = Static<typeof NewUserBody>;
export type UserWithMpin = Static<typeof UserWithMpin>;
export type UserList = Static<typeof UserList>;
