import type { FallbackCase } from '../db/repositories/fallback-cases.js';

export function fallbackCaseView(c: FallbackCase) {
  return {
    ...c,
    month: c.month.slice(0, 7),
    openedAt: c.openedAt.toISOString(),
    completedAt: c.completedAt?.toISOString() ?? null,
    reviewedAt: c.reviewedAt?.toISOString() ?? null,
    closedAt: c.closedAt?.toISOString() ?? null,
    delivered: c.completedAt !== null,
  };
}
