import { CATEGORIES, isChild, type Category } from '@chehra/contract';

// The list is the contract's; what a category means for templates is the service's.
export { CATEGORIES, isChild, type Category };

/**
 * How long a template stays valid. Young children's faces change fast, so their
 * templates expire sooner and the worker is asked to re-enrol.
 */
const TEMPLATE_LIFETIME_MONTHS: Record<Category, number> = {
  child_6m_3y: 6,
  child_3_6y: 12,
  adolescent_girl: 24,
  pregnant: 36,
  lactating: 36,
  guardian: 36,
};

export function templateExpiry(category: Category, now: Date): Date {
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() + TEMPLATE_LIFETIME_MONTHS[category]);
  return d;
}

/**
 * Life moves a beneficiary between categories; she stays the same person with the same consent
 * and face template (no re-enrolment for a change of category). A child's move to 3–6 keeps her
 * record too; her own template, if any, follows the children's rules.
 */
export const CATEGORY_TRANSITIONS: Readonly<Partial<Record<Category, readonly Category[]>>> = {
  adolescent_girl: ['pregnant'],
  pregnant: ['lactating'],
  lactating: ['pregnant'],
  child_6m_3y: ['child_3_6y'],
  guardian: ['pregnant', 'lactating'],
};
