export interface AwcCounts {
  awc: string;
  attempts: number;
  faceMatches: number;
  fallbacks: number;
  byReason: Record<string, number>;
  /** Beneficiary-days on which the face attempts ran out and the face path closed (daily figures only). */
  faceLockouts?: number;
  /** Face tries refused after it closed: a camera that fails everyone, or a probe being tried again and again. */
  refusedAfterLockout?: number;
}

export interface AwcMetrics extends AwcCounts {
  /** Share of visits that ended on the fallback path: fallbacks / (face matches + fallbacks). */
  fallbackRate: number | null;
  flagged: boolean;
  /** The rate this AWC is compared with: the district's other AWCs, steadied by the expected rate. */
  baselineRate: number | null;
  /** Chance of this many fallbacks or more if the AWC were like the baseline (exact binomial). */
  pValue: number | null;
  /** Standard errors above the baseline rate (for the CSV; the flag uses pValue). */
  zScore: number | null;
}

/**
 * The fallback rate we expect where cameras work and nobody misuses the path: what the district's
 * other AWCs are pulled towards when they have few visits of their own (the pilot's share of
 * visits that needed a fallback, no-consent and child cases included).
 */
export const EXPECTED_FALLBACK_RATE = 0.08;
/** How many visits' worth of weight the expected rate carries against the district's own figures. */
export const PRIOR_VISITS = 20;
/** Below this many visits a rate says little; an AWC is not flagged on a handful of cases. */
export const MIN_VISITS_TO_FLAG = 5;
/** One in a thousand by chance (≈ 3.1 standard errors one-sided): rare enough to be worth a look. */
export const FLAG_P = 0.001;

const rate = (fallbacks: number, visits: number) => (visits === 0 ? null : fallbacks / visits);

/**
 * P(X ≥ k) for X ~ Binomial(n, p), exactly, summing the probabilities in log space (no overflow at
 * any n we will see: an AWC has a few hundred visits a month).
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  let logChoose = 0; // log C(n, 0)
  let tail = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) logChoose += Math.log(n - i + 1) - Math.log(i);
    if (i >= k) tail += Math.exp(logChoose + i * lp + (n - i) * lq);
  }
  return Math.min(1, tail);
}

/**
 * Flags an AWC whose fallback rate stands far above what the rest of its district shows.
 *
 * Why not the old z-test against the district's rate: the district's rate includes the AWC itself,
 * so with few AWCs a broken camera drags the district up with it — 14 of 14 camera-fault fallbacks
 * at one of two AWCs made the district 50 % and the AWC only 2.6 standard errors above it, unflagged.
 * And the normal approximation fails at the small counts an AWC has.
 *
 * Now each AWC is compared with a baseline that leaves it out — the other AWCs' fallbacks and
 * visits, plus PRIOR_VISITS visits at the EXPECTED_FALLBACK_RATE, so that a district of one or two
 * AWCs still has a sensible yardstick — with an exact one-sided binomial test: flagged when at least
 * MIN_VISITS_TO_FLAG visits and P(this many fallbacks or more | baseline) < FLAG_P.
 */
export function exclusionMetrics(awcs: AwcCounts[]): { total: AwcCounts & { fallbackRate: number | null }; awcs: AwcMetrics[] } {
  const total: AwcCounts = { awc: '*', attempts: 0, faceMatches: 0, fallbacks: 0, byReason: {}, faceLockouts: 0, refusedAfterLockout: 0 };
  for (const a of awcs) {
    total.attempts += a.attempts;
    total.faceLockouts! += a.faceLockouts ?? 0;
    total.refusedAfterLockout! += a.refusedAfterLockout ?? 0;
    total.faceMatches += a.faceMatches;
    total.fallbacks += a.fallbacks;
    for (const [r, n] of Object.entries(a.byReason)) total.byReason[r] = (total.byReason[r] ?? 0) + n;
  }
  const totalVisits = total.faceMatches + total.fallbacks;
  return {
    total: { ...total, fallbackRate: rate(total.fallbacks, totalVisits) },
    awcs: awcs.map((a) => {
      const visits = a.faceMatches + a.fallbacks;
      const r = rate(a.fallbacks, visits);
      if (r === null) return { ...a, fallbackRate: null, baselineRate: null, pValue: null, zScore: null, flagged: false };
      const restFallbacks = total.fallbacks - a.fallbacks;
      const restVisits = totalVisits - visits;
      const baseline = (restFallbacks + PRIOR_VISITS * EXPECTED_FALLBACK_RATE) / (restVisits + PRIOR_VISITS);
      const pValue = binomialUpperTail(a.fallbacks, visits, baseline);
      const z = (r - baseline) / Math.sqrt((baseline * (1 - baseline)) / visits);
      const flagged = visits >= MIN_VISITS_TO_FLAG && r > baseline && pValue < FLAG_P;
      return { ...a, fallbackRate: r, baselineRate: Math.round(baseline * 10_000) / 10_000, pValue: Number(pValue.toPrecision(3)), zScore: Math.round(z * 100) / 100, flagged };
    }),
  };
}
