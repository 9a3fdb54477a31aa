import { decodeJwt } from 'jose';
import { ChehraSessionError } from './errors.js';

/**
 * The worker id (`sub`) and expiry (`exp`) a token claims. Decoded, not verified: the device has
 * no reason to trust or distrust its own token (the service verifies every request); the session
 * needs the worker id to seal into envelopes and the expiry to prompt sign-in. jose's `decodeJwt`
 * (browser-safe) does the base64url and JSON; any failure is `token_malformed`, never the token.
 */
export function decodeClaims(token: string): { sub: string; exp?: number; sid?: string } {
  const malformed = () => new ChehraSessionError('token_malformed', 'the token is not a JWT with a subject; sign in again');
  if (typeof token !== 'string') throw malformed();
  let claims: { sub?: unknown; exp?: unknown; sid?: unknown };
  try {
    claims = decodeJwt(token);
  } catch {
    throw malformed();
  }
  const { sub, exp, sid } = claims;
  if (typeof sub !== 'string' || sub.length === 0) throw malformed();
  return { sub, ...(typeof exp === 'number' && Number.isFinite(exp) ? { exp } : {}), ...(typeof sid === 'string' && sid ? { sid } : {}) };
}
