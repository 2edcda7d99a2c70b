// Seeded JavaScript random numbers for what must not depend on (or advance) torch's generator:
// the 1200-D mixture's means, Stacked-MNIST's fixed triples, KID's subsets, the fixed sample-grid
// codes. The same seed gives the same numbers on every machine (integer arithmetic only, then one
// division), unlike libtorch's kernels.

/** mulberry32: a small 32-bit PRNG, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal from two uniforms (Box–Muller, cosine branch). */
export function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}
