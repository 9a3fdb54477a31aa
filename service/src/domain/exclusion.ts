export interface AwcCounts {
  awc: string;
  attempts: number;
  faceMatches: number;
  fallbacks: number;
  byReason: Record<string, number>;
}

export interface AwcMetrics extends AwcCounts {
  /** Share of visits that ended on the fallback path: fallbacks / (face matches + fallbacks). */
  fallbackRate: number | null;
  flagged: boolean;
  /** How many standard errors the AWC's rate stands above the district's. */
  zScore: number | null;
}

/** Below this many visits a rate says little; an AWC is not flagged on a handful of cases. */
export const MIN_VISITS_TO_FLAG = 10;
/** Three standard errors: rare by chance, so a flag is worth a look (a broken camera, or misuse). */
export const FLAG_Z = 3;

const rate = (fallbacks: number, visits: number) => (visits === 0 ? null : fallbacks / visits);

/**
 * Flags an AWC whose fallback rate stands far above its district's: a one-sided z-test of the
 * AWC's rate against the district rate, with the binomial standard error for the AWC's visits.
 */
export function exclusionMetrics(awcs: AwcCounts[]): { total: AwcCounts & { fallbackRate: number | null }; awcs: AwcMetrics[] } {
  const total: AwcCounts = { awc: '*', attempts: 0, faceMatches: 0, fallbacks: 0, byReason: {} };
  for (const a of awcs) {
    total.attempts += a.attempts;
    total.faceMatches += a.faceMatches;
    total.fallbacks += a.fallbacks;
    for (const [r, n] of Object.entries(a.byReason)) total.byReason[r] = (total.byReason[r] ?? 0) + n;
  }
  const p = rate(total.fallbacks, total.faceMatches + total.fallbacks);
  return {
    total: { ...total, fallbackRate: p },
    awcs: awcs.map((a) => {
      const visits = a.faceMatches + a.fallbacks;
      const r = rate(a.fallbacks, visits);
      let z: number | null = null;
      if (r !== null && p !== null && p > 0 && p < 1) z = (r - p) / Math.sqrt((p * (1 - p)) / visits);
      else if (r !== null && p === 0) z = r > 0 ? Number.POSITIVE_INFINITY : 0;
      const flagged = visits >= MIN_VISITS_TO_FLAG && z !== null && z >= FLAG_Z;
      return { ...a, fallbackRate: r, zScore: z !== null && Number.isFinite(z) ? Math.round(z * 100) / 100 : null, flagged };
    }),
  };
}
