// A small seeded PRNG (mulberry32) and the draws the generator needs. Math.random is not reproducible; this is.

export interface Rng {
  /** Uniform [0, 1). */
  next(): number;
}

export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Derives an independent stream seed from a seed and an index (splitmix-style mixing). */
export function subSeed(seed: number, index: number): number {
  let z = (seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

export function uniform(r: Rng, lo: number, hi: number): number {
  return lo + (hi - lo) * r.next();
}

export function int(r: Rng, lo: number, hiInclusive: number): number {
  return lo + Math.floor(r.next() * (hiInclusive - lo + 1));
}

export function chance(r: Rng, p: number): boolean {
  return r.next() < p;
}

export function pick<T>(r: Rng, xs: readonly T[]): T {
  if (xs.length === 0) throw new Error('pick from an empty list');
  return xs[Math.floor(r.next() * xs.length)];
}

/** Standard normal (Box–Muller). */
export function normal(r: Rng): number {
  const u = 1 - r.next();
  const v = r.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Poisson by inversion (λ is small here: daily transaction counts). */
export function poisson(r: Rng, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = r.next();
  while (p > l && k < 1000) {
    k++;
    p *= r.next();
  }
  return k;
}
