const IST_OFFSET_MS = 330 * 60 * 1000;

/** THR is monthly, and a month turns at midnight in India, not in UTC: 'YYYY-MM-01'. */
export function distributionMonth(now: Date): string {
  const ist = new Date(now.getTime() + IST_OFFSET_MS);
  return `${ist.getUTCFullYear()}-${String(ist.getUTCMonth() + 1).padStart(2, '0')}-01`;
}
