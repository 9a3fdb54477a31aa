import { round } from '../../testkit/stats.js';
import { log } from '../lib/service-process.js';
import { sleep, type Ctx } from './ctx.js';
import { S } from './settings.js';
import { describeStep, verificationStep, type StepResult } from './step.js';

/**
 * Max sustained rate: fixed-duration open-loop steps around the closed-loop estimate — first a
 * bracket (0.8·X, then ×1.5 up while passing or ×0.7 down while failing), then bisection. Steps are
 * capped by the seeded beneficiaries left (each verification needs a fresh one).
 */
export async function findMaxRate(c: Ctx, estimate: number, reservePerUnitRate: number) {
  const steps: StepResult[] = [];
  let lo = 0;
  let hi = Number.POSITIVE_INFINITY;
  /** Beneficiaries left after this step must still cover the fixed-rate runs and the mixed day at that rate. */
  const affordable = (rate: number) => c.ids.length - c.cursor - rate * S.stepSeconds >= reservePerUnitRate * rate;
  const test = async (rate: number) => {
    const s = await verificationStep(c, `search ${steps.length + 1}`, rate, S.stepSeconds);
    steps.push(s);
    log(describeStep(s));
    if (s.pass) lo = Math.max(lo, rate);
    else hi = Math.min(hi, rate);
    await sleep(500);
    return s.pass;
  };
  let stoppedBy: string | null = null;
  const canStep = (rate: number) => {
    if (steps.length >= S.maxSteps) return !(stoppedBy ??= `the step limit (${S.maxSteps})`);
    if (!affordable(rate)) return !(stoppedBy ??= `the seeded beneficiaries (${c.ids.length}): raise --beneficiaries`);
    return true;
  };
  /** The highest rate the remaining beneficiaries allow for one more step plus the reserve. */
  const maxAffordable = () => (c.ids.length - c.cursor) / (S.stepSeconds + reservePerUnitRate);
  // Bracket: start below the closed-loop estimate, then ×1.5 up while passing (or as far as the
  // seeded beneficiaries allow), ×0.7 down while failing.
  let r = Math.max(1, Math.min(0.8 * estimate, maxAffordable()));
  if (canStep(r) && (await test(r))) {
    while (steps.length < S.maxSteps - S.bisect) {
      const up = Math.min(r * 1.5, maxAffordable());
      if (up < r * 1.05) {
        stoppedBy ??= `the seeded beneficiaries (${c.ids.length}) before a failing rate was found: raise --beneficiaries`;
        break;
      }
      if (!canStep(up) || !(await test((r = up)))) break;
    }
  } else if (steps.length > 0) {
    while (steps.length < S.maxSteps - S.bisect && r > 1 && canStep(r * 0.7) && !(await test((r *= 0.7))));
  }
  // Bisect inside the bracket.
  for (let k = 0; k < S.bisect && Number.isFinite(hi) && lo > 0; k++) {
    const mid = (lo + hi) / 2;
    if (!canStep(mid)) break;
    await test(mid);
  }
  if (!Number.isFinite(hi) && !stoppedBy) stoppedBy = 'no failing rate found within the step limit';
  return { maxSustained: round(lo, 1), firstFailing: Number.isFinite(hi) ? round(hi, 1) : null, steps, stoppedBy };
}
