import { forbidden } from '../errors.js';
import type { Principal } from './principal.js';

export interface Scoped {
  awc: string;
  district: string;
}

/** May this principal act on a record of this AWC/district? */
export function inScope(p: Principal, target: Scoped): boolean {
  switch (p.role) {
    case 'worker':
      return p.awc === target.awc;
    case 'supervisor':
      return p.district === target.district && (p.awcs ?? []).includes(target.awc);
    case 'district_admin':
      return p.district === target.district;
    case 'auditor':
      return false;
  }
}

export function assertInScope(p: Principal, target: Scoped, what = 'this beneficiary'): void {
  if (!inScope(p, target)) throw forbidden('out_of_scope', `${what} is outside your ${p.role === 'worker' ? 'Anganwadi centre' : p.role === 'supervisor' ? 'sector' : 'district'}`);
}
