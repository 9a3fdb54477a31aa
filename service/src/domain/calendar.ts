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

/** The day in India as 'YYYY-MM-DD': face attempts are limited per beneficiary and this day. */
export function indianDay(now: Date): string {
  return new Date(now.getTime() + IST_OFFSET_MS).toISOString().slice(0, 10);
}

/** Seconds until the next midnight in India: when a face path closed for the day opens again. */
export function secondsToNextIndianDay(now: Date): number {
  return Math.max(1, Math.ceil((startOfIndianDay(now).getTime() + 86_400_000 - now.getTime()) / 1000));
}
