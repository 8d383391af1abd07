import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  centrePerPeriod,
  detectSeasonality,
  lagCorrelation,
  medianStep,
  MIN_CORRELATION,
} from './seasonality';

const MIN = 60_000;
const STEP = 5 * MIN;
const PER_DAY = 288;

/** Deterministic noise in [−1, 1). */
function noise(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

/** `days` of 5-minute points: `shape(step of the day, day)` plus noise of the given size. */
function grid(days: number, shape: (slot: number, day: number) => number, size = 0, seed = 1) {
  const n = noise(seed);
  return Array.from(
    { length: days * PER_DAY },
    (_, i) => shape(i % PER_DAY, Math.floor(i / PER_DAY)) + size * n(),
  );
}

const dayShape = (slot: number) => (slot >= 96 && slot < 240 ? 68 : 20);

describe('medianStep', () => {
  it('is the median positive gap, ignoring duplicates', () => {
    expect(medianStep([0, 5, 5, 10, 15, 40])).toBe(5);
    expect(medianStep([7, 7])).toBeNull();
    expect(medianStep([])).toBeNull();
  });
});

describe('lagCorrelation and centrePerPeriod', () => {
  it('skips pairs with a gap and returns null for a flat series', () => {
    expect(lagCorrelation([1, 2, Number.NaN, 4, 1, 2, 3, 4], 4).pairs).toBe(3);
    expect(lagCorrelation([5, 5, 5, 5, 5, 5], 2).correlation).toBeNull();
  });

  it('centres each whole period on its own mean', () => {
    expect(centrePerPeriod([1, 3, 10, 20], 2)).toEqual([-1, 1, -5, 5]);
  });

  it('stays within [−1, 1] (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 4, maxLength: 80 }),
        fc.integer({ min: 1, max: 10 }),
        (values, lag) => {
          const { correlation } = lagCorrelation(values, lag);
          if (correlation !== null) {
            expect(correlation).toBeGreaterThanOrEqual(-1);
            expect(correlation).toBeLessThanOrEqual(1);
          }
        },
      ),
    );
  });
});

describe('detectSeasonality', () => {
  it('finds the daily period of an exact daily repetition, with correlation 1', () => {
    const found = detectSeasonality(grid(3, dayShape), STEP);
    expect(found.season).toBe('day');
    expect(found.candidates[0]).toMatchObject({ season: 'day', steps: 288, correlation: 1 });
  });

  it('needs two whole periods before it looks', () => {
    expect(detectSeasonality(grid(1.9, dayShape), STEP).season).toBeNull();
    expect(detectSeasonality(grid(2, dayShape), STEP).season).toBe('day');
  });

  it('finds a daily shape under noise, and no season in noise alone or a random walk', () => {
    const smooth = (slot: number) => 100 + 40 * Math.sin((2 * Math.PI * slot) / PER_DAY);
    expect(detectSeasonality(grid(4, smooth, 30), STEP).season).toBe('day');
    expect(
      detectSeasonality(
        grid(10, () => 100, 10),
        STEP,
      ).season,
    ).toBeNull();
    const n = noise(3);
    let level = 0;
    const walk = Array.from({ length: 10 * PER_DAY }, () => (level += n()));
    expect(detectSeasonality(walk, STEP).season).toBeNull();
  });

  it('prefers the week when weekends differ, and keeps it once chosen', () => {
    const weekly = (slot: number, day: number) => dayShape(slot) * (day % 7 >= 5 ? 0.3 : 1);
    const found = detectSeasonality(grid(14, weekly, 1), STEP);
    expect(found.season).toBe('week');
    // A daily shape that is the same every day of the week: the day suffices.
    expect(detectSeasonality(grid(14, dayShape, 1), STEP).season).toBe('day');
    expect(detectSeasonality(grid(14, dayShape, 1), STEP, 'week').season).toBe('week');
  });

  it('does not take a daily period from daily points', () => {
    const found = detectSeasonality(grid(30, dayShape), 86_400_000);
    expect(found.candidates[0]).toMatchObject({ season: 'day', correlation: null });
  });

  it('never calls a shuffled series seasonal more than chance allows (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const n = noise(seed);
        const values = Array.from({ length: 3 * PER_DAY }, () => n());
        const found = detectSeasonality(values, STEP);
        expect(found.season).toBeNull();
        expect(found.candidates[0]!.correlation!).toBeLessThan(MIN_CORRELATION);
      }),
      { numRuns: 30 },
    );
  });

  it('finds any repeated daily shape with enough amplitude (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -100, max: 100, noNaN: true }), { minLength: 24, maxLength: 24 }),
        fc.integer({ min: 1, max: 1000 }),
        (hours, seed) => {
          const spread = Math.max(...hours) - Math.min(...hours);
          fc.pre(spread > 20);
          const shape = (slot: number) => hours[Math.floor(slot / 12)]!;
          expect(detectSeasonality(grid(3, shape, 1, seed), STEP).season).toBe('day');
        },
      ),
      { numRuns: 30 },
    );
  });
});
