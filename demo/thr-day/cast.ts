import type { BeneficiaryCategory, ConsentInput } from '../../sdk/src/index.js';
import type { Principal } from '../../service/src/auth/principal.js';

// Who is at the centre today.

export const AWC = 'AWC-001';
const DISTRICT = 'D1';
const STATE = 'S1';

/** In-process: the people whose tokens the demo mints (worker, her supervisor, the district admin, an auditor). */
export const PRINCIPALS: Readonly<Record<'worker' | 'supervisor' | 'admin' | 'auditor', Principal>> = {
  worker: { sub: 'aww-demo', role: 'worker', awc: AWC, district: DISTRICT, state: STATE },
  supervisor: { sub: 'sup-demo', role: 'supervisor', awcs: [AWC], district: DISTRICT, state: STATE },
  admin: { sub: 'dpo-demo', role: 'district_admin', district: DISTRICT, state: STATE },
  auditor: { sub: 'audit-demo', role: 'auditor' },
};

/** guardian_child: a child under three, never enrolled by her own face; her guardian collects. */
export type Role = 'genuine' | 'impostor_target' | 'no_consent' | 'guardian_child';

export interface CastMember {
  name: string;
  category: BeneficiaryCategory;
  /** Age in months on the day, for a birth date. */
  ageMonths?: number;
  mobile?: string;
  guardian?: { name: string; relation: string };
  /** guardian_child: the cast member who collects for her (linked as her guardian). */
  collectedBy?: string;
  consent: 'self' | 'guardian' | null;
  role: Role;
}

/** Eight beneficiaries, every category; numbers in a range no real subscriber holds here. */
export const CAST: CastMember[] = [
  { name: 'Sunita Devi', category: 'pregnant', mobile: '+919000000101', consent: 'self', role: 'genuine' },
  { name: 'Meena Kumari', category: 'lactating', mobile: '+919000000102', consent: 'self', role: 'genuine' },
  { name: 'Aarav', category: 'child_3_6y', ageMonths: 50, mobile: '+919000000103', guardian: { name: 'Kavita', relation: 'mother' }, consent: 'guardian', role: 'genuine' },
  { name: 'Rekha Bai', category: 'pregnant', mobile: '+919000000105', consent: 'self', role: 'impostor_target' },
  { name: 'Pooja Kumari', category: 'adolescent_girl', ageMonths: 170, consent: 'self', role: 'genuine' },
  { name: 'Isha', category: 'child_6m_3y', ageMonths: 18, guardian: { name: 'Radha', relation: 'mother' }, consent: null, role: 'no_consent' },
  // Meena's two children: one capture of Meena's face collects for both.
  { name: 'Chhotu', category: 'child_6m_3y', ageMonths: 10, guardian: { name: 'Meena Kumari', relation: 'mother' }, collectedBy: 'Meena Kumari', consent: 'guardian', role: 'guardian_child' },
  { name: 'Gudiya', category: 'child_6m_3y', ageMonths: 28, guardian: { name: 'Meena Kumari', relation: 'mother' }, collectedBy: 'Meena Kumari', consent: 'guardian', role: 'guardian_child' },
];

export const NOTICE: Omit<ConsentInput, 'givenBy'> = { purpose: 'face_verification', noticeVersion: 'v1.0', language: 'hi', method: 'thumb_impression' };

const CONSENTING = CAST.filter((c) => c.consent).length;
const ENROLLING = CAST.filter((c) => c.consent && c.role !== 'guardian_child').length;
const GUARDIAN_CHILDREN = CAST.filter((c) => c.role === 'guardian_child').length;
/** service + models, register, consent, enrol, link, a visit each (the guardian visit once) + the second visit, queue + audit. */
export const TOTAL_STEPS = 2 + CAST.length + CONSENTING + ENROLLING + GUARDIAN_CHILDREN + (CAST.length - GUARDIAN_CHILDREN + 1) + 1 + 2;

export function birthDate(months: number, now: Date): string {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}
