const IST_OFFSET_MS = 330 * 60 * 1000;

/** THR is monthly, and a month turns at midnight in India, not in UTC: 'YYYY-MM-01'. */
export function distributionMonth(now: Date): string {
  const ist = new Date(now.getTime() + IST_OFFSET_MS);
  return `${ist.getUTCFullYear()}-${String(ist.getUTCMonth() + 1).padStart(2, '0')}-01`;
}

/** Midnight in India, as an instant: a visit's attempts are counted from here. */
export function startOfIndianDay(now: Date): Date {
  const ist = new Date(now.getTime() + IST_OFFSET_MS);
  return new Date(Date.UTC(ist.getUTCFullYear(), ist.getUTCMonth(), ist.getUTCDate()) - IST_OFFSET_MS);
}
