import { errors, jwtVerify, SignJWT } from 'jose';
import { unauthorized } from '../errors.js';
import { principalFromClaims, type Principal } from './principal.js';
import type { SigningKey } from './signing-key.js';

export const ISSUER = 'chehra';
export const AUDIENCE = 'chehra-service';

export async function mintToken(key: SigningKey, principal: Principal, ttlSeconds: number, now = new Date()): Promise<string> {
  const { sub, ...claims } = principal;
  const iat = Math.floor(now.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(key.privateKey);
}

/** Only EdDSA with our key: `alg: none` and HMAC confusion fail here, not later. */
export async function verifyToken(token: string, key: SigningKey, now = new Date()): Promise<Principal> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, key.publicKey, {
      algorithms: ['EdDSA'],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['exp', 'sub'],
      currentDate: now,
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw unauthorized('token_expired', 'the token has expired; sign in again');
    throw unauthorized('token_invalid', 'the token is not valid for this service');
  }
  const principal = principalFromClaims(payload);
  if (typeof principal === 'string') throw unauthorized('token_invalid', `the token's claims are incomplete: ${principal}`);
  return principal;
}
