import { forbidden } from '../errors.js';
import type { Principal } from './principal.js';

/**
 * Where a record sits: the whole path. AWC codes are unique only within their district and
 * district codes only within their state, so no level is ever compared alone (AWC-002 of D1/S1
 * and AWC-002 of D9/S9 are different centres).
 */
export interface Scoped {
  state: string;
  district: string;
  awc: string;
}

/** May this principal act on a record of this state/district/AWC? */
export function inScope(p: Principal, target: Scoped): boolean {
  if (!p.state || p.state !== target.state) return false;
  switch (p.role) {
    case 'worker':
      return p.district === target.district && p.awc === target.awc;
    case 'supervisor':
      return p.district === target.district && (p.awcs ?? []).includes(target.awc);
    case 'district_admin':
      return p.district === target.district;
    case 'state_admin':
      return true;
    case 'auditor':
      return false;
  }
}

const AREA: Record<Principal['role'], string> = { worker: 'Anganwadi centre', supervisor: 'sector', district_admin: 'district', state_admin: 'state', auditor: 'role' };

export function assertInScope(p: Principal, target: Scoped, what = 'this beneficiary'): void {
  if (!inScope(p, target)) throw forbidden('out_of_scope', `${what} is outside your ${AREA[p.role]}`);
}

/**
 * The filter a list query applies for this principal: every level of the path it fixes. Routes
 * pass it to a repository, which compares each given level (never the AWC without its district and
 * state). Roles that list nothing by area get a filter that matches nothing.
 */
export interface AreaFilter {
  state: string;
  district?: string;
  awc?: string;
  awcs?: string[];
}

export function areaOf(p: Principal): AreaFilter {
  switch (p.role) {
    case 'worker':
      return { state: p.state!, district: p.district!, awc: p.awc! };
    case 'supervisor':
      return { state: p.state!, district: p.district!, awcs: p.awcs! };
    case 'district_admin':
      return { state: p.state!, district: p.district! };
    case 'state_admin':
      return { state: p.state! };
    case 'auditor':
      throw forbidden('role_forbidden', 'an auditor lists no records by area');
  }
}
