import { randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, type JWTVerifyResult } from 'jose';
import { LRUCache } from 'lru-cache';
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
async function verifySignedToken(token: string, keys: SigningKeyring, now: Date): Promise<Verified> {
  let verified: JWTVerifyResult;
  try {
    verified = await jwtVerify(
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
    );
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthorized('token_expired', 'the token has expired; sign in again');
    throw unauthorized('token_invalid', 'the token is not valid for this service');
  }
  // jose decoded the header it verified: its key id is what a cache hit re-checks below.
  const { payload, protectedHeader } = verified;
  const lifetime = Number(payload.exp) - Number(payload.iat);
  const max = payload.sid === undefined ? DEV_TOKEN_MAX_SECONDS : ACCESS_TOKEN_MAX_SECONDS;
  if (!(lifetime > 0 && lifetime <= max)) throw unauthorized('token_invalid', `the token's lifetime exceeds the ${max} s its kind may have`);
  const principal = principalFromClaims(payload);
  if (typeof principal === 'string') throw unauthorized('token_invalid', `the token's claims are incomplete: ${principal}`);
  // Frozen: one remembered principal serves many requests, so none may change it for the others.
  return { principal: Object.freeze(principal), iat: Number(payload.iat), exp: Number(payload.exp), kid: protectedHeader.kid };
}

interface Verified {
  principal: Principal;
  iat: number;
  exp: number;
  kid: string | undefined;
}

/**
 * Tokens that passed the full check above, per keyring, so a phone that sends the same token with
 * every request for its 15 minutes pays for one EdDSA verification, not one per request (jose's
 * verification measured ~190 µs of CPU, several percent of a verification's service time). Keyed
 * by the whole token string, so only those exact bytes are spared the check; a hit re-checks
 * what time changes: expiry, an issue time ahead of the clock, the oldest age its kind may have,
 * and that its signing key is still accepted (a key retired past its grace ends its tokens here
 * too). The session lookup still runs on every request (plugin.ts), so sign-out is immediate.
 */
const verifiedTokens = new WeakMap<SigningKeyring, LRUCache<string, Verified>>();
const VERIFIED_TOKENS_PER_KEYRING = 50_000;

export async function verifyToken(token: string, keys: SigningKeyring, now = new Date()): Promise<Principal> {
  let cache = verifiedTokens.get(keys);
  if (!cache) verifiedTokens.set(keys, (cache = new LRUCache({ max: VERIFIED_TOKENS_PER_KEYRING })));
  const hit = cache.get(token);
  if (hit) {
    const t = now.getTime() / 1000;
    if (t > hit.exp + CLOCK_TOLERANCE_SECONDS) throw unauthorized('token_expired', 'the token has expired; sign in again');
    if (hit.iat > t + CLOCK_TOLERANCE_SECONDS || t - hit.iat > DEV_TOKEN_MAX_SECONDS || !keys.verifyingKey(hit.kid, now)) {
      throw unauthorized('token_invalid', 'the token is not valid for this service');
    }
    return hit.principal;
  }
  const verified = await verifySignedToken(token, keys, now);
  cache.set(token, verified);
  return verified.principal;
}
