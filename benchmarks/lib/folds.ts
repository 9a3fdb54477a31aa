import type { Pair } from './dataset.js';

export interface ScoredPair extends Pair {
  score: number;
}

export interface FoldedAccuracy {
  /** How folds were formed: from the CSV's fold column, or assigned here. */
  foldSource: 'csv' | 'stratified-by-index';
  folds: number;
  accuracies: number[];
  thresholds: number[];
  mean: number;
  /** Population standard deviation of the fold accuracies (as insightface reports LFW). */
  std: number;
}

/** Best accuracy threshold on these pairs: scanned at midpoints between consecutive scores. */
export function bestThreshold(pairs: readonly ScoredPair[]): number {
  const scores = [...new Set(pairs.map((p) => p.score))].sort((a, b) => a - b);
  const candidates = [scores[0]! - 1e-6, ...scores.slice(1).map((s, i) => (s + scores[i]!) / 2), scores[scores.length - 1]! + 1e-6];
  let best = candidates[0]!;
  let bestCorrect = -1;
  for (const t of candidates) {
    const correct = pairs.reduce((n, p) => n + ((p.score >= t) === p.same ? 1 : 0), 0);
    if (correct > bestCorrect) {
      bestCorrect = correct;
      best = t;
    }
  }
  return best;
}

const accuracyAt = (pairs: readonly ScoredPair[], t: number) =>
  pairs.reduce((n, p) => n + ((p.score >= t) === p.same ? 1 : 0), 0) / pairs.length;

/**
 * How pairs are dealt into k folds: by the CSV's fold column when it has k of them (full LFW);
 * otherwise by index within each class, so every fold holds the same share of genuine and
 * impostor pairs.
 */
function assignFolds<T extends ScoredPair>(pairs: readonly T[], k: number): { foldSource: FoldedAccuracy['foldSource']; foldOf: (p: T) => number } {
  const csvFolds = [...new Set(pairs.map((p) => p.fold))];
  if (csvFolds.length === k) {
    const index = new Map(csvFolds.sort((a, b) => a - b).map((f, i) => [f, i]));
    return { foldSource: 'csv', foldOf: (p) => index.get(p.fold)! };
  }
  const rank = new Map<T, number>();
  let g = 0;
  let im = 0;
  for (const p of pairs) rank.set(p, p.same ? g++ : im++);
  return { foldSource: 'stratified-by-index', foldOf: (p) => rank.get(p)! % k };
}

/** k-fold accuracy with the threshold chosen on the other k−1 folds (folds: see assignFolds). */
export function kFoldAccuracy(pairs: readonly ScoredPair[], k = 10): FoldedAccuracy {
  const { foldSource, foldOf } = assignFolds(pairs, k);
  const assigned = pairs.map((p) => ({ p, f: foldOf(p) }));
  const accuracies: number[] = [];
  const thresholds: number[] = [];
  for (let f = 0; f < k; f++) {
    const train = assigned.filter((x) => x.f !== f).map((x) => x.p);
    const test = assigned.filter((x) => x.f === f).map((x) => x.p);
    const t = bestThreshold(train);
    thresholds.push(t);
    accuracies.push(accuracyAt(test, t));
  }
  const mean = accuracies.reduce((s, a) => s + a, 0) / k;
  const std = Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / k);
  return { foldSource, folds: k, accuracies, thresholds, mean, std };
}

/** The pairs the k-fold accuracy counts as errors, each with the threshold its fold was judged at. */
export function kFoldErrors<T extends ScoredPair>(pairs: readonly T[], folded: FoldedAccuracy): Array<T & { threshold: number }> {
  const { foldOf } = assignFolds(pairs, folded.folds);
  return pairs
    .map((p) => ({ ...p, threshold: folded.thresholds[foldOf(p)]! }))
    .filter((p) => (p.score >= p.threshold) !== p.same);
}
