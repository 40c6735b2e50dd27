/**
 * A seeded source of randomness, so that a demo run is the same on every machine for one seed.
 *
 * @example
 * ```ts
 * const rand = createPrng(7);
 * const amount = rand.int(100, 5_000); // inclusive bounds
 * if (rand.chance(0.1)) console.log(rand.pick(['a', 'b']));
 * ```
 */
export type Prng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
};

/**
 * Creates a {@link Prng} (mulberry32: tiny, fast and good enough for workloads, not for secrets).
 *
 * @example
 * ```ts
 * const a = createPrng(1).next();
 * const b = createPrng(1).next(); // a === b
 * ```
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('cannot pick from an empty array');
      return items[Math.floor(next() * items.length)]!;
    },
  };
}
