import type { Principal } from '../auth/principal.js';
import type { User } from '../db/repositories/users.js';

/** A mobile number as it may leave the service: the last four digits. */
export const maskMobile = (mobile: string) => `******${mobile.slice(-4)}`;

/** What leaves the service about an account: never the hash, the mobile only masked. */
export function userView(u: User) {
  return {
    id: u.id,
    role: u.role,
    name: u.name,
    mobile: maskMobile(u.mobile),
    state: u.state,
    ...(u.district ? { district: u.district } : {}),
    ...(u.awc ? { awc: u.awc } : {}),
    ...(u.awcs ? { awcs: u.awcs } : {}),
    status: u.status,
    mustChangeMpin: u.mustChangeMpin,
    createdAt: u.createdAt.toISOString(),
  };
}

/** The token claims of an account: who, the role and the scope it needs, nothing more. */
export function principalOfUser(u: User, sid: string): Principal {
  return {
    sub: u.id,
    role: u.role,
    sid,
    ...(u.state ? { state: u.state } : {}),
    ...(u.district ? { district: u.district } : {}),
    ...(u.awc ? { awc: u.awc } : {}),
    ...(u.awcs ? { awcs: u.awcs } : {}),
  };
}

/** One function, in the contract: the rate limiter's account bucket uses it too. */
export { normaliseMobile } from '@chehra/contract';
