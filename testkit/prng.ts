/** A deterministic source of numbers in [0, 1): tests and benchmarks that must repeat exactly. */
export type Rng = () => number;

/** mulberry32: 32-bit state, fast, good enough for synthetic data (not for anything secret). */
export function mulberry32(seed: number): Rng {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal deviate (Box–Muller, one of the pair). */
export function gaussian(rand: Rng): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}
