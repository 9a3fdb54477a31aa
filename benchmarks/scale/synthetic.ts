/**
 * A synthetic population of faces whose genuine and impostor cosine similarities look like real
 * ones, derived from REAL embeddings (the SDK pipeline run on LFW images, held in memory only).
 *
 * How. From the real embeddings e (unit vectors) we take
 *   m    — their mean (face embeddings are not centred: it is what makes any two faces a bit alike),
 *   R_I  — each real identity's residual c_I − m (c_I = mean of that person's embeddings),
 *   D    — within-person deviations e − c_I, from the people with two or more images
 *          (what changes between two captures of one face: pose, light, age, camera).
 * A synthetic identity is  C = m + λ·( √(1−β_id²)·Σ_j g_j R_{J_j} / √k  +  β_id·s_R·z ),
 *   k = 4 real identities J_j drawn at random, g_j ~ N(0,1), z an isotropic Gaussian direction
 *   (per-dimension N(0, 1/d)), s_R the RMS norm of the residuals;
 * one capture of it is  x = normalise( C + γ·( √(1−β_c²)·Σ_j h_j D_{K_j} / √k_c  +  β_c·s_D·z' ) ),
 *   k_c real deviations K_j at random, h_j ~ N(0,1), s_D their RMS norm.
 * The enrolled template is one capture, a verification probe another: a genuine pair is two
 * captures of one synthetic identity, an impostor pair captures of two.
 * λ and γ are calibrated by bisection so that the synthetic impostor and genuine MEANS equal the
 * real ones; β_id, β_c (the isotropic shares, which fill the dimensions the ~400 real people
 * do not span and set how wide the distributions are) and k_c are chosen from a grid to bring
 * the STANDARD DEVIATIONS closest. Both distributions, real and synthetic, are reported side by side
 * (mean, std, percentiles), so the reader can judge the match.
 */

import { mulberry32, type Rng } from '../../testkit/prng.js';
import { percentileOfSorted } from '../../testkit/stats.js';

/** A seed from several integers (identity index, capture number…). */
export const seedOf = (...xs: number[]) => xs.reduce((h, x) => Math.imul(h ^ (x | 0), 0x9e3779b1) ^ (h >>> 15), 0x12345678) | 0;

/** Standard normal samples, two at a time (Box–Muller). */
export function gaussians(rand: Rng, out: Float32Array | Float64Array, scale = 1): void {
  for (let i = 0; i < out.length; i += 2) {
    const u = rand() || 1e-12;
    const r = Math.sqrt(-2 * Math.log(u)) * scale;
    const t = 2 * Math.PI * rand();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}

export function normalise(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[bOffset + i]!;
  return s;
}

export interface Distribution {
  n: number;
  mean: number;
  std: number;
  percentiles: Record<'p1' | 'p5' | 'p25' | 'p50' | 'p75' | 'p95' | 'p99' | 'p99.9', number>;
  min: number;
  max: number;
}

export function describe(values: readonly number[]): Distribution {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
  const q = (p: number) => +percentileOfSorted(s, p).toFixed(4);
  return {
    n,
    mean: +mean.toFixed(4),
    std: +std.toFixed(4),
    percentiles: { p1: q(1), p5: q(5), p25: q(25), p50: q(50), p75: q(75), p95: q(95), p99: q(99), 'p99.9': q(99.9) },
    min: +s[0]!.toFixed(4),
    max: +s[n - 1]!.toFixed(4),
  };
}

/** Real embeddings grouped by person. */
export type RealFaces = Map<string, Float32Array[]>;

/** Every genuine and impostor cosine among the real embeddings. */
export function realDistributions(real: RealFaces): { genuine: number[]; impostor: number[] } {
  const all: Array<{ who: string; e: Float32Array }> = [];
  for (const [who, es] of real) for (const e of es) all.push({ who, e });
  const genuine: number[] = [];
  const impostor: number[] = [];
  for (let i = 0; i < all.length; i++) {
    for (let j = i + 1; j < all.length; j++) (all[i]!.who === all[j]!.who ? genuine : impostor).push(dot(all[i]!.e, all[j]!.e));
  }
  return { genuine, impostor };
}

export interface PopulationParams {
  /** Scale of the identity residual around the common mean. */
  lambda: number;
  /** Scale of the capture deviation around the identity. */
  gamma: number;
  /** Isotropic share of an identity residual. */
  betaId: number;
  /** Isotropic share of a capture deviation. */
  betaCapture: number;
  /** Real identities mixed into one synthetic identity. */
  k: number;
  /** Real within-person deviations mixed into one capture. */
  kCapture: number;
  seed: number;
}

export class Population {
  readonly dim: number;
  private readonly mean: Float32Array;
  private readonly residuals: Float32Array[];
  private readonly deviations: Float32Array[];
  private readonly sR: number;
  private readonly sD: number;
  private readonly tmp: Float32Array;

  constructor(
    real: RealFaces,
    readonly params: PopulationParams,
  ) {
    const people = [...real.values()].filter((es) => es.length > 0);
    this.dim = people[0]![0]!.length;
    const d = this.dim;
    this.mean = new Float32Array(d);
    let n = 0;
    for (const es of people) for (const e of es) (n++, e.forEach((x, i) => (this.mean[i]! += x)));
    this.mean.forEach((x, i) => (this.mean[i] = x / n));
    this.residuals = [];
    this.deviations = [];
    for (const es of people) {
      const c = new Float32Array(d);
      for (const e of es) e.forEach((x, i) => (c[i]! += x / es.length));
      this.residuals.push(c.map((x, i) => x - this.mean[i]!));
      if (es.length >= 2) for (const e of es) this.deviations.push(e.map((x, i) => x - c[i]!));
    }
    const rms = (vs: Float32Array[]) => Math.sqrt(vs.reduce((s, v) => s + dot(v, v), 0) / vs.length);
    this.sR = rms(this.residuals);
    this.sD = rms(this.deviations);
    this.tmp = new Float32Array(d);
  }

  get sources() {
    return { identities: this.residuals.length, deviations: this.deviations.length, meanNorm: +Math.sqrt(dot(this.mean, this.mean)).toFixed(4), residualRms: +this.sR.toFixed(4), deviationRms: +this.sD.toFixed(4) };
  }

  with(p: Partial<PopulationParams>): Population {
    const q = Object.create(Population.prototype) as Population;
    Object.assign(q, this, { params: { ...this.params, ...p }, tmp: new Float32Array(this.dim) });
    return q;
  }

  /** Adds scale · (a random N(0,1)-weighted mixture of `count` vectors of `pool`, plus the isotropic share beta). */
  private mix(rand: Rng, pool: Float32Array[], count: number, beta: number, rmsNorm: number, scale: number, out: Float32Array): void {
    const a = (Math.sqrt(1 - beta * beta) * scale) / Math.sqrt(count);
    for (let j = 0; j < count; j++) {
      const src = pool[Math.floor(rand() * pool.length)]!;
      const u = rand() || 1e-12;
      const w = a * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
      for (let i = 0; i < out.length; i++) out[i]! += w * src[i]!;
    }
    if (beta > 0) {
      gaussians(rand, this.tmp, (beta * scale * rmsNorm) / Math.sqrt(this.dim));
      for (let i = 0; i < out.length; i++) out[i]! += this.tmp[i]!;
    }
  }

  private residual(i: number, scale: number, out: Float32Array): void {
    this.mix(mulberry32(seedOf(this.params.seed, i, 0x1d)), this.residuals, this.params.k, this.params.betaId, this.sR, scale, out);
  }

  private deviation(i: number, c: number, scale: number, out: Float32Array): void {
    this.mix(mulberry32(seedOf(this.params.seed, i, c, 0xca)), this.deviations, this.params.kCapture, this.params.betaCapture, this.sD, scale, out);
  }

  /** Identity i's centre (not normalised), written into out. */
  identity(i: number, out = new Float32Array(this.dim)): Float32Array {
    out.set(this.mean);
    this.residual(i, this.params.lambda, out);
    return out;
  }

  /** Capture number c of identity i (a unit vector), from its centre. */
  capture(centre: Float32Array, i: number, c: number, out = new Float32Array(this.dim)): Float32Array {
    out.set(centre);
    this.deviation(i, c, this.params.gamma, out);
    return normalise(out);
  }

  /** Genuine and impostor cosines of `pairs` synthetic pairs each, generated in full. */
  sample(pairs: number, offset = 1_000_000_000): { genuine: number[]; impostor: number[] } {
    const genuine: number[] = [];
    const impostor: number[] = [];
    const ca = new Float32Array(this.dim);
    const cb = new Float32Array(this.dim);
    for (let p = 0; p < pairs; p++) {
      const a = offset + 2 * p;
      this.identity(a, ca);
      this.identity(a + 1, cb);
      const x1 = this.capture(ca, a, 1);
      genuine.push(dot(x1, this.capture(ca, a, 2)));
      impostor.push(dot(x1, this.capture(cb, a + 1, 1)));
    }
    return { genuine, impostor };
  }

  /**
   * The same pairs as sample(), kept as Gram matrices of their parts (mean, residual, deviation),
   * so the cosines for any λ and γ follow without regenerating vectors: calibration is fast.
   */
  components(pairs: number, offset = 1_000_000_000): (lambda: number, gamma: number) => { genuine: number[]; impostor: number[] } {
    const d = this.dim;
    const ra = new Float32Array(d);
    const rb = new Float32Array(d);
    const da1 = new Float32Array(d);
    const da2 = new Float32Array(d);
    const db1 = new Float32Array(d);
    // Per pair: the 3×3 Gram blocks [m, r, δ] of (x1,x2), (x1,y), and the self blocks of x1, x2, y.
    const grams = new Float64Array(pairs * 45);
    const block = (u: Float32Array[], v: Float32Array[], at: number) => {
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) grams[at + i * 3 + j] = dot(u[i]!, v[j]!);
    };
    for (let p = 0; p < pairs; p++) {
      const a = offset + 2 * p;
      for (const v of [ra, rb, da1, da2, db1]) v.fill(0);
      this.residual(a, 1, ra);
      this.residual(a + 1, 1, rb);
      this.deviation(a, 1, 1, da1);
      this.deviation(a, 2, 1, da2);
      this.deviation(a + 1, 1, 1, db1);
      const x1 = [this.mean, ra, da1];
      const x2 = [this.mean, ra, da2];
      const y = [this.mean, rb, db1];
      block(x1, x2, p * 45);
      block(x1, y, p * 45 + 9);
      block(x1, x1, p * 45 + 18);
      block(x2, x2, p * 45 + 27);
      block(y, y, p * 45 + 36);
    }
    return (lambda, gamma) => {
      const c = [1, lambda, gamma];
      const q = (at: number) => {
        let s = 0;
        for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) s += c[i]! * c[j]! * grams[at + i * 3 + j]!;
        return s;
      };
      const genuine: number[] = [];
      const impostor: number[] = [];
      for (let p = 0; p < pairs; p++) {
        const o = p * 45;
        const n1 = Math.sqrt(q(o + 18));
        genuine.push(q(o) / (n1 * Math.sqrt(q(o + 27))));
        impostor.push(q(o + 9) / (n1 * Math.sqrt(q(o + 36))));
      }
      return { genuine, impostor };
    };
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** Bisection on a monotone function f over [lo, hi] to reach target. */
function solve(f: (x: number) => number, target: number, lo: number, hi: number, decreasing: boolean, steps = 30): number {
  for (let s = 0; s < steps; s++) {
    const mid = (lo + hi) / 2;
    const above = f(mid) > target;
    if (above === decreasing) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Calibration {
  params: PopulationParams;
  target: { genuine: { mean: number; std: number }; impostor: { mean: number; std: number } };
  /** On fresh pairs generated in full with the chosen parameters (not the calibration pairs). */
  achieved: { genuine: { mean: number; std: number }; impostor: { mean: number; std: number } };
  /** Every combination tried, with the standard deviations it reached and its error. */
  grid: Array<{ kCapture: number; betaId: number; betaCapture: number; lambda: number; gamma: number; genuineStd: number; impostorStd: number; error: number }>;
  seconds: number;
}

/**
 * For every (βid, βcapture, kCapture) of a grid: fits λ (impostor mean) and γ (genuine mean) by
 * alternating bisection, then keeps the combination whose genuine and impostor standard
 * deviations are closest to the real ones (relative error, the impostor's counted twice). Deterministic (fixed seeds).
 */
export function calibrate(real: RealFaces, realDist: { genuine: number[]; impostor: number[] }, seed = 7, pairs = 1500): { population: Population; calibration: Calibration } {
  const started = performance.now();
  const target = { genuine: { mean: mean(realDist.genuine), std: std(realDist.genuine) }, impostor: { mean: mean(realDist.impostor), std: std(realDist.impostor) } };
  const base = new Population(real, { lambda: 1, gamma: 1, betaId: 0, betaCapture: 0, k: 4, kCapture: 2, seed });
  let best: { params: PopulationParams; error: number } | undefined;
  const grid: Calibration['grid'] = [];
  for (const kCapture of [4, 8]) {
    for (const betaId of [0, 0.1, 0.2, 0.3, 0.45, 0.6]) {
      for (const betaCapture of [0, 0.25, 0.5, 0.75]) {
        const pop = base.with({ kCapture, betaId, betaCapture });
        const at = pop.components(pairs);
        let lambda = 1;
        let gamma = 1;
        for (let round = 0; round < 6; round++) {
          lambda = solve((l) => mean(at(l, gamma).impostor), target.impostor.mean, 0.05, 20, true);
          gamma = solve((g) => mean(at(lambda, g).genuine), target.genuine.mean, 0, 20, true);
        }
        const s = at(lambda, gamma);
        // The impostor spread counts twice: its upper tail is what competes with the right person in 1:N.
        const error = Math.abs(std(s.genuine) - target.genuine.std) / target.genuine.std + (2 * Math.abs(std(s.impostor) - target.impostor.std)) / target.impostor.std;
        grid.push({ kCapture, betaId, betaCapture, lambda: +lambda.toFixed(4), gamma: +gamma.toFixed(4), genuineStd: +std(s.genuine).toFixed(4), impostorStd: +std(s.impostor).toFixed(4), error: +error.toFixed(4) });
        if (!best || error < best.error) best = { params: { ...pop.params, lambda, gamma }, error };
      }
    }
  }
  const population = base.with(best!.params);
  const s = population.sample(pairs * 2, 2_000_000_000);
  const r4 = (xs: number[]) => ({ mean: +mean(xs).toFixed(4), std: +std(xs).toFixed(4) });
  const r4t = (x: { mean: number; std: number }) => ({ mean: +x.mean.toFixed(4), std: +x.std.toFixed(4) });
  const params = { ...best!.params, lambda: +best!.params.lambda.toFixed(4), gamma: +best!.params.gamma.toFixed(4) };
  return {
    population: base.with(params),
    calibration: {
      params,
      target: { genuine: r4t(target.genuine), impostor: r4t(target.impostor) },
      achieved: { genuine: r4(s.genuine), impostor: r4(s.impostor) },
      grid,
      seconds: +((performance.now() - started) / 1000).toFixed(1),
    },
  };
}
