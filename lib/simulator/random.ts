/**
 * Seeded pseudo-random numbers for the simulator: the sfc32 generator (128-bit state, fast,
 * passes PractRand) and the few distributions the telemetry model draws from. Everything is
 * deterministic for a given seed; nothing here reads the clock or `Math.random`.
 */

const TWO_POW_32 = 4294967296;

/** Below this mean, Poisson draws use Knuth's multiplication method; above, a normal approximation. */
const POISSON_EXACT_LIMIT = 30;

/**
 * Hashes any number of safe integers (epoch milliseconds included) into one 32-bit seed.
 * Each value contributes its low and high 32-bit words, mixed with the murmur3 finaliser.
 */
export function mixSeed(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const value of values) {
    if (!Number.isSafeInteger(value))
      throw new RangeError(`mixSeed: ${value} is not a safe integer`);
    h = fmix32(h ^ (value >>> 0));
    h = fmix32(h ^ (Math.floor(value / TWO_POW_32) >>> 0));
  }
  return h >>> 0;
}

function fmix32(x: number): number {
  let h = x;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * mulberry32: a smaller seeded generator (32-bit state), uniform in [0, 1). The test-data
 * generators draw from it (root-cause cubes, the real-series corpus, kill points of fault
 * tests); the figures docs/detection-quality.md reports depend on its exact sequence.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / TWO_POW_32;
  };
}

/** A seeded random source (sfc32) with uniform, normal, lognormal, Poisson and weighted draws. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Second value of the last Box-Muller pair, or NaN when none is pending. */
  private spareNormal = Number.NaN;

  /** @param seed any number; only its low 32 bits matter (use {@link mixSeed} for wider seeds). */
  constructor(seed: number) {
    // splitmix32 spreads a single 32-bit seed over the four state words.
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return fmix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = 1;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  private nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform draw in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A uniform draw in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** A normal draw (Box-Muller; the second value of each pair is kept for the next call). */
  normal(mean = 0, sd = 1): number {
    let z = this.spareNormal;
    if (Number.isNaN(z)) {
      const radius = Math.sqrt(-2 * Math.log(1 - this.next())); // 1 - u is in (0, 1]
      const angle = 2 * Math.PI * this.next();
      z = radius * Math.cos(angle);
      this.spareNormal = radius * Math.sin(angle);
    } else {
      this.spareNormal = Number.NaN;
    }
    return mean + sd * z;
  }

  /** A lognormal draw: `median × e^(sigma·Z)`; its mean is `median × e^(sigma²/2)`. */
  lognormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /**
   * A Poisson draw with mean `lambda`: exact (Knuth) for small means, a rounded normal
   * approximation (clamped at 0) for large ones, where the two are indistinguishable.
   */
  poisson(lambda: number): number {
    if (!(lambda >= 0) || !Number.isFinite(lambda)) {
      throw new RangeError(`poisson: mean must be finite and >= 0, got ${lambda}`);
    }
    if (lambda >= POISSON_EXACT_LIMIT) {
      return Math.max(0, Math.round(this.normal(lambda, Math.sqrt(lambda))));
    }
    const limit = Math.exp(-lambda);
    let k = 0;
    let product = this.next();
    while (product > limit) {
      k++;
      product *= this.next();
    }
    return k;
  }

  /** A weighted pick from a precomputed table (see {@link WeightedTable}). */
  pick<T>(table: WeightedTable<T>): T {
    return table.items[table.sampleIndex(this)] as T;
  }
}

/**
 * A categorical distribution over `[item, weight]` pairs, with cumulative weights computed once
 * so that each draw is one uniform and a short scan. Weights need not sum to 1.
 */
export class WeightedTable<T> {
  readonly items: readonly T[];
  private readonly cumulative: Float64Array;
  private readonly total: number;

  constructor(entries: readonly (readonly [T, number])[]) {
    if (entries.length === 0) throw new RangeError('WeightedTable: no entries');
    this.items = entries.map(([item]) => item);
    this.cumulative = new Float64Array(entries.length);
    let total = 0;
    entries.forEach(([item, weight], i) => {
      if (!(weight >= 0) || !Number.isFinite(weight)) {
        throw new RangeError(`WeightedTable: weight of ${String(item)} must be finite and >= 0`);
      }
      total += weight;
      this.cumulative[i] = total;
    });
    if (total <= 0) throw new RangeError('WeightedTable: weights sum to 0');
    this.total = total;
  }

  /** The index of a weighted draw, for callers that keep items as small integers. */
  sampleIndex(rng: Random): number {
    const target = rng.next() * this.total;
    const last = this.cumulative.length - 1;
    let i = 0;
    while (i < last && (this.cumulative[i] as number) <= target) i++;
    return i;
  }
}
