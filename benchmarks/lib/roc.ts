/** Verification maths on cosine scores. Genuine = same person; impostor = different people. */

export interface RocPoint {
  threshold: number;
  far: number;
  tar: number;
}

/** Decisions are `score >= threshold`. Points run from the strictest threshold to the loosest. */
export function rocCurve(genuine: readonly number[], impostor: readonly number[]): RocPoint[] {
  const all = [...genuine.map((s) => ({ s, g: true })), ...impostor.map((s) => ({ s, g: false }))].sort((x, y) => y.s - x.s);
  const points: RocPoint[] = [{ threshold: Infinity, far: 0, tar: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i]!.g) tp++;
    else fp++;
    // Only emit where the score changes, so ties are one step.
    if (i === all.length - 1 || all[i + 1]!.s !== all[i]!.s) {
      points.push({ threshold: all[i]!.s, far: fp / impostor.length, tar: tp / genuine.length });
    }
  }
  return points;
}

/** Area under the ROC curve by the trapezoid rule (= probability a genuine pair outscores an impostor one). */
export function auc(points: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    area += (b.far - a.far) * (a.tar + b.tar) / 2;
  }
  return area;
}

/** Equal error rate: where FAR = FRR, interpolated between the two bracketing points. */
export function eer(points: readonly RocPoint[]): number {
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!;
    const b = points[i]!;
    const da = a.far - (1 - a.tar);
    const db = b.far - (1 - b.tar);
    if (da <= 0 && db >= 0) {
      const t = da === db ? 0 : -da / (db - da);
      return a.far + t * (b.far - a.far);
    }
  }
  return 1;
}

/** Highest TAR whose FAR does not exceed the target, and the threshold giving it. */
export function tarAtFar(points: readonly RocPoint[], targetFar: number): { tar: number; threshold: number } {
  let best = { tar: 0, threshold: Infinity };
  for (const p of points) if (p.far <= targetFar && p.tar >= best.tar) best = { tar: p.tar, threshold: p.threshold };
  return best;
}

/** Lowest threshold keeping FAR at or below the target on these impostor scores. */
export function thresholdForFar(impostor: readonly number[], targetFar: number): number {
  const sorted = [...impostor].sort((a, b) => b - a);
  const allowed = Math.floor(targetFar * sorted.length);
  // Accept strictly above the (allowed+1)-th highest impostor score.
  const boundary = sorted[allowed] ?? -1;
  return nextAbove(boundary);
}

export interface ErrorCounts {
  falseAccepts: number;
  falseRejects: number;
  accuracy: number;
}

export function errorsAt(genuine: readonly number[], impostor: readonly number[], threshold: number): ErrorCounts {
  const fr = genuine.filter((s) => s < threshold).length;
  const fa = impostor.filter((s) => s >= threshold).length;
  return {
    falseAccepts: fa / impostor.length,
    falseRejects: fr / genuine.length,
    accuracy: 1 - (fa + fr) / (genuine.length + impostor.length),
  };
}

/** Smallest double above x, so "score >= threshold" excludes the boundary score itself. */
function nextAbove(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigInt64(0);
  view.setBigInt64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}
