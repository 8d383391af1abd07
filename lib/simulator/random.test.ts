import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mixSeed, Random, WeightedTable } from './random';

function draws(rng: Random, n: number, draw: (r: Random) => number): number[] {
  return Array.from({ length: n }, () => draw(rng));
}

function meanAndVariance(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

describe('mixSeed', () => {
  it('is deterministic and separates nearby and wide inputs', () => {
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(0)).not.toBe(mixSeed(2 ** 32)); // the high word counts
    expect(mixSeed(1_735_732_800_000)).not.toBe(mixSeed(1_735_732_800_001));
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.array(fc.maxSafeInteger()), (values) => {
        const h = mixSeed(...values);
        return Number.isInteger(h) && h >= 0 && h < 2 ** 32;
      }),
    );
  });

  it('rejects values that are not safe integers', () => {
    expect(() => mixSeed(1.5)).toThrow(RangeError);
    expect(() => mixSeed(Number.NaN)).toThrow(RangeError);
  });
});

describe('Random', () => {
  it('replays the same sequence for the same seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const a = new Random(seed);
        const b = new Random(seed);
        const xs = [a.next(), a.normal(), a.poisson(4), a.poisson(100), a.uniform(-1, 1)];
        const ys = [b.next(), b.normal(), b.poisson(4), b.poisson(100), b.uniform(-1, 1)];
        expect(xs).toEqual(ys);
      }),
      { numRuns: 50 },
    );
  });

  it('gives different sequences for different seeds', () => {
    expect(draws(new Random(1), 5, (r) => r.next())).not.toEqual(
      draws(new Random(2), 5, (r) => r.next()),
    );
  });

  it('draws uniforms in [min, max) with the right mean', () => {
    const xs = draws(new Random(7), 20_000, (r) => r.uniform(2, 4));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(2);
    expect(Math.max(...xs)).toBeLessThan(4);
    expect(meanAndVariance(xs).mean).toBeCloseTo(3, 1);
  });

  it('draws normals with the requested mean and standard deviation', () => {
    const { mean, variance } = meanAndVariance(
      draws(new Random(8), 20_000, (r) => r.normal(10, 2)),
    );
    expect(mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(2, 1);
  });

  it('draws lognormals around the median', () => {
    const xs = draws(new Random(9), 20_001, (r) => r.lognormal(60, 0.5)).sort((a, b) => a - b);
    expect(xs[10_000]).toBeGreaterThan(57);
    expect(xs[10_000]).toBeLessThan(63);
  });

  it.each([0.5, 4, 25, 40, 5_000])('draws Poisson(%d) with mean ≈ variance ≈ λ', (lambda) => {
    const { mean, variance } = meanAndVariance(
      draws(new Random(10), 10_000, (r) => r.poisson(lambda)),
    );
    expect(Math.abs(mean - lambda)).toBeLessThan(4 * Math.sqrt(lambda / 10_000));
    expect(variance / lambda).toBeGreaterThan(0.9);
    expect(variance / lambda).toBeLessThan(1.1);
  });

  it('draws Poisson(0) as 0 and rejects invalid means', () => {
    expect(new Random(1).poisson(0)).toBe(0);
    expect(() => new Random(1).poisson(-1)).toThrow(RangeError);
    expect(() => new Random(1).poisson(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});

describe('WeightedTable', () => {
  it('picks items in proportion to their weights and never a zero weight', () => {
    const table = new WeightedTable([
      ['a', 0.5],
      ['never', 0],
      ['b', 0.3],
      ['c', 0.2],
    ] as const);
    const rng = new Random(11);
    const counts = new Map<string, number>();
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const item = rng.pick(table);
      counts.set(item, (counts.get(item) ?? 0) + 1);
    }
    expect(counts.get('never')).toBeUndefined();
    expect((counts.get('a') ?? 0) / n).toBeCloseTo(0.5, 1);
    expect((counts.get('b') ?? 0) / n).toBeCloseTo(0.3, 1);
    expect((counts.get('c') ?? 0) / n).toBeCloseTo(0.2, 1);
  });

  it('accepts weights that do not sum to 1', () => {
    const table = new WeightedTable([
      ['x', 3],
      ['y', 1],
    ] as const);
    const rng = new Random(12);
    const xs = draws(rng, 10_000, (r) => table.sampleIndex(r));
    expect(xs.filter((i) => i === 0).length / xs.length).toBeCloseTo(0.75, 1);
  });

  it('rejects empty, negative and all-zero weights', () => {
    expect(() => new WeightedTable([])).toThrow(RangeError);
    expect(() => new WeightedTable([['a', -1]])).toThrow(RangeError);
    expect(() => new WeightedTable([['a', 0]])).toThrow(RangeError);
    expect(() => new WeightedTable([['a', Number.NaN]])).toThrow(RangeError);
  });
});
