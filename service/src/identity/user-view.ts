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

/** "+91 98123 45678", "919812345678" and "9812345678" are one number: stored as its 10 digits. */
export function normaliseMobile(raw: string): string {
  const digits = raw.replace(/[\s-]/g, '');
  return digits.replace(/^(\+91|91)(?=[6-9][0-9]{9}$)/, '');
}
