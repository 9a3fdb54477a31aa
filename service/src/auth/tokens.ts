import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';
import { unauthorized } from '../errors.js';
import { principalFromClaims, type Principal } from './principal.js';
import type { SigningKey, SigningKeyring } from './signing-key.js';

export const ISSUER = 'chehra';
export const AUDIENCE = 'chehra-service';

/** Access tokens of a sign-in session live this long at most. */
export const ACCESS_TOKEN_MAX_SECONDS = 15 * 60;
/** Development tokens (`npm run token`, no session) at most this long. */
export const DEV_TOKEN_MAX_SECONDS = 24 * 3600;
/** Clock difference tolerated between the service's replicas (iat slightly ahead, exp slightly behind). */
const CLOCK_TOLERANCE_SECONDS = 30;

/** Signs the principal's claims: sub, role, scope, sid when a session issued it, and a fresh jti. */
export async function mintToken(key: SigningKey, principal: Principal, ttlSeconds: number, now = new Date()): Promise<string> {
  const { sub, jti: _jti, ...claims } = principal;
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setJti(randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(key.privateKey);
}

/**
 * Only EdDSA with one of our keys (chosen by `kid`): `alg: none` and HMAC confusion fail here.
 * Refused too: no `iat`, an `iat` in the future, a token older than the longest lifetime its kind
 * may have, or one whose exp - iat exceeds it. Whether its session is live is the plugin's check.
 */
export async function verifyToken(token: string, keys: SigningKeyring, now = new Date()): Promise<Principal> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(
      token,
      (header) => {
        const key = keys.verifyingKey(header.kid, now);
        if (!key) throw new errors.JWKSNoMatchingKey();
        return key;
      },
      {
        algorithms: ['EdDSA'],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub'],
        maxTokenAge: DEV_TOKEN_MAX_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
      },
    ));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthorized('token_expired', 'the token has expired; sign in again');
    throw unauthorized('token_invalid', 'the token is not valid for this service');
  }
  const lifetime = Number(payload.exp) - Number(payload.iat);
  const max = payload.sid === undefined ? DEV_TOKEN_MAX_SECONDS : ACCESS_TOKEN_MAX_SECONDS;
  if (!(lifetime > 0 && lifetime <= max)) throw unauthorized('token_invalid', `the token's lifetime exceeds the ${max} s its kind may have`);
  const principal = principalFromClaims(payload);
  if (typeof principal === 'string') throw unauthorized('token_invalid', `the token's claims are incomplete: ${principal}`);
  return principal;
}
