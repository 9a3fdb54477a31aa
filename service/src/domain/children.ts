import type { Beneficiary } from '../db/repositories/beneficiaries.js';
import { conflict, type ApiError } from '../errors.js';
import { isChild, templateExpiry } from './categories.js';

/**
 * Children and their faces. Every face model here was trained and measured on adults; for infants
 * published true-accept rates at FAR 0.1 % are ~31 % (0–6 months) to ~65 % (2.5–3 years), and
 * scores decay within months. So a child under three is never enrolled by her own face: the
 * guardian who takes the ration home is verified instead. A child of 3–6 may have her own template,
 * short-lived, renewed at the 3 and 5 year transitions (when faces change most, and when UIDAI
 * itself asks for a new capture at 5).
 */
export interface ChildPolicy {
  /** Lifetime of a child's own template, in months (CHILD_TEMPLATE_MONTHS; default 6). */
  templateMonths: number;
}

export const DEFAULT_CHILD_POLICY: ChildPolicy = { templateMonths: 6 };

/** Birthdays at which a child's template expires, whatever its age. */
const TRANSITION_YEARS = [3, 5] as const;
const OWN_FACE_FROM_YEARS = 3;
const IST_OFFSET_MS = 330 * 60 * 1000;

/** The instant a child born on `birthDate` (YYYY-MM-DD) turns `years`: midnight in India. */
export function birthday(birthDate: string, years: number): Date {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y + years, m - 1, d) - IST_OFFSET_MS);
}

/**
 * Under three: by birth date when it is known, else by the registered category (the worker
 * registered the child as 6 months–3 years).
 */
export function isUnderThree(b: Pick<Beneficiary, 'category' | 'birthDate'>, now: Date): boolean {
  if (!isChild(b.category)) return false;
  if (b.birthDate) return now < birthday(b.birthDate, OWN_FACE_FROM_YEARS);
  return b.category === 'child_6m_3y';
}

/** When a new template for this person stops being accepted. */
export function templateExpiryFor(b: Pick<Beneficiary, 'category' | 'birthDate'>, now: Date, policy: ChildPolicy = DEFAULT_CHILD_POLICY): Date {
  if (!isChild(b.category)) return templateExpiry(b.category, now);
  const byInterval = new Date(now);
  byInterval.setUTCMonth(byInterval.getUTCMonth() + policy.templateMonths);
  if (!b.birthDate) return byInterval;
  const next = TRANSITION_YEARS.map((y) => birthday(b.birthDate!, y)).find((t) => t > now);
  return next && next < byInterval ? next : byInterval;
}

/**
 * Whose face verifies a child this visit: a child under three, always her guardian's; a child of
 * 3–6, her own while a fresh template exists, else her guardian's.
 */
export function faceForChild(child: Pick<Beneficiary, 'category' | 'birthDate'>, now: Date, hasFreshOwnTemplate: boolean): 'guardian' | 'own' {
  if (isUnderThree(child, now)) return 'guardian';
  return hasFreshOwnTemplate ? 'own' : 'guardian';
}

/**
 * Why a beneficiary cannot be verified by her own face at all (null: she can). Checked before
 * anything is written: these are rules, not face decisions.
 */
export function directVerificationRefusal(b: Pick<Beneficiary, 'category' | 'birthDate' | 'closedAt'>, now: Date): ApiError | null {
  if (b.closedAt) return conflict('beneficiary_closed', 'this record was merged into another; verify the record it was merged into');
  if (b.category === 'guardian') return conflict('not_a_thr_beneficiary', 'this person is registered as a guardian: she collects for her children through a guardian visit (POST /v1/guardian-visits)');
  if (isUnderThree(b, now)) return conflict('guardian_visit_required', "a child under three is verified by her guardian's face: use a guardian visit (POST /v1/guardian-visits)");
  return null;
}
