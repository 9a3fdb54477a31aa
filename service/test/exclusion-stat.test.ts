import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialUpperTail, EXPECTED_FALLBACK_RATE, exclusionMetrics, type AwcCounts } from '../src/domain/exclusion.js';

const awc = (name: string, faceMatches: number, fallbacks: number): AwcCounts => ({ awc: name, attempts: faceMatches + fallbacks, faceMatches, fallbacks, byReason: fallbacks ? { camera_fault: fallbacks } : {} });
const byName = (awcs: AwcCounts[]) => Object.fromEntries(exclusionMetrics(awcs).awcs.map((a) => [a.awc, a]));

test('the exact binomial tail', () => {
  const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(binomialUpperTail(3, 3, 0.5), 0.125);
  close(binomialUpperTail(1, 2, 0.5), 0.75);
  assert.equal(binomialUpperTail(0, 10, 0.3), 1);
  assert.equal(binomialUpperTail(11, 10, 0.3), 0);
  // P(X ≥ 2 | 10, 0.1) = 1 − 0.9^10 − 10·0.1·0.9^9
  assert.ok(Math.abs(binomialUpperTail(2, 10, 0.1) - (1 - 0.9 ** 10 - 10 * 0.1 * 0.9 ** 9)) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(14, 14, 0.08) - 0.08 ** 14) < 1e-25);
  // Large n stays finite and sane.
  const p = binomialUpperTail(60, 500, 0.1);
  assert.ok(p > 0.05 && p < 0.2, String(p));
});

/** The z-test this replaces: against the district's rate, the AWC itself included. */
const oldFlag = (awcs: AwcCounts[], name: string) => {
  const visits = (a: AwcCounts) => a.faceMatches + a.fallbacks;
  const p = awcs.reduce((s, a) => s + a.fallbacks, 0) / awcs.reduce((s, a) => s + visits(a), 0);
  const a = awcs.find((x) => x.awc === name)!;
  if (!(p > 0 && p < 1)) return false;
  return visits(a) >= 10 && (a.fallbacks / visits(a) - p) / Math.sqrt((p * (1 - p)) / visits(a)) >= 3;
};

test('14 of 14 camera-fault fallbacks at one AWC are flagged in a district of few AWCs (the old z-test missed them)', () => {
  const small = [awc('AWC-1', 0, 14), awc('AWC-2', 6, 0)];
  assert.equal(oldFlag(small, 'AWC-1'), false, 'the AWC dragged the district rate up to 70 %: z = 2.2');
  const two = byName(small);
  assert.equal(two['AWC-1']!.flagged, true);
  assert.equal(two['AWC-1']!.fallbackRate, 1);
  // Compared with the other AWC (0 of 6), steadied towards the expected 8 %: (0 + 20·0.08)/(6 + 20).
  assert.ok(Math.abs(two['AWC-1']!.baselineRate! - 1.6 / 26) < 1e-4);
  assert.ok(two['AWC-1']!.pValue! < 1e-15);
  assert.equal(two['AWC-2']!.flagged, false);

  // One AWC alone in its district: the old test had no yardstick at all; now the expected rate is it.
  assert.equal(oldFlag([awc('AWC-1', 0, 14)], 'AWC-1'), false);
  const alone = byName([awc('AWC-1', 0, 14)]);
  assert.equal(alone['AWC-1']!.baselineRate, EXPECTED_FALLBACK_RATE);
  assert.equal(alone['AWC-1']!.flagged, true);
});

test('ordinary variation is not flagged; a handful of visits is never flagged', () => {
  const district = byName([awc('A', 40, 4), awc('B', 38, 5), awc('C', 36, 6), awc('D', 41, 3)]);
  for (const a of Object.values(district)) assert.equal(a.flagged, false, `${a.awc} p=${a.pValue}`);
  // 4 of 4 is striking but four visits are too few to call.
  assert.equal(byName([awc('A', 0, 4), awc('B', 50, 2)])['A']!.flagged, false);
  // 5 of 5 against a district at 4 %: flagged.
  assert.equal(byName([awc('A', 0, 5), awc('B', 48, 2)])['A']!.flagged, true);
  // A rate below the baseline is never flagged, however unlikely.
  assert.equal(byName([awc('A', 100, 0), awc('B', 50, 50)])['A']!.flagged, false);
});

test('the fields the console explains a flag with', () => {
  const [a] = exclusionMetrics([awc('AWC-9', 2, 10), awc('AWC-8', 24, 2)]).awcs;
  assert.deepEqual(Object.keys(a!).sort(), ['attempts', 'awc', 'baselineRate', 'byReason', 'faceMatches', 'fallbackRate', 'fallbacks', 'flagged', 'pValue', 'zScore']);
  const empty = exclusionMetrics([{ awc: 'X', attempts: 3, faceMatches: 0, fallbacks: 0, byReason: {} }]).awcs[0]!;
  assert.deepEqual([empty.fallbackRate, empty.baselineRate, empty.pValue, empty.flagged], [null, null, null, false]);
});
