import { ROLES, type Role } from '@chehra/contract';

export { ROLES, type Role };

/** Who is calling, as the token says. Scope fields depend on the role. */
export interface Principal {
  sub: string;
  role: Role;
  /** worker: her Anganwadi centre. */
  awc?: string;
  /** supervisor: the AWCs of her sector. */
  awcs?: string[];
  district?: string;
  state?: string;
  /** The sign-in session the token belongs to; absent only on development tokens (see auth/plugin.ts). */
  sid?: string;
  /** The token's own id. */
  jti?: string;
}

/** The scope part of a principal: what a token carries besides who and which session. */
export type Scope = Pick<Principal, 'role' | 'state' | 'district' | 'awc' | 'awcs'>;

const isText = (x: unknown): x is string => typeof x === 'string' && x.length > 0 && x.length <= 128;

/** The scope claims each role must carry; a token without them is not a usable token. */
export function principalFromClaims(claims: Record<string, unknown>): Principal | string {
  const { sub, role, awc, awcs, district, state, sid, jti } = claims;
  if (!isText(sub)) return 'sub is missing';
  if (!ROLES.includes(role as Role)) return 'role is missing or unknown';
  const p: Principal = { sub, role: role as Role };
  if (isText(district)) p.district = district;
  if (isText(state)) p.state = state;
  if (isText(sid)) p.sid = sid;
  if (isText(jti)) p.jti = jti;
  switch (p.role) {
    case 'worker':
      if (!isText(awc) || !p.district || !p.state) return 'a worker token needs awc, district and state';
      p.awc = awc;
      break;
    case 'supervisor':
      if (!Array.isArray(awcs) || awcs.length === 0 || awcs.length > 200 || !awcs.every(isText) || !p.district || !p.state) return 'a supervisor token needs awcs, district and state';
      p.awcs = awcs;
      break;
    case 'district_admin':
      if (!p.district || !p.state) return 'a district_admin token needs district and state';
      break;
    case 'state_admin':
      if (!p.state) return 'a state_admin token needs state';
      delete p.district;
      break;
    case 'auditor':
      break;
  }
  return p;
}
