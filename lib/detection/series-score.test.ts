import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  combinedProbability,
  probabilityOfScore,
  scoreOfProbability,
  tailFactor,
  tailProbability,
  TESTS,
} from './series-score';

const quiet = [
  { mean: 0, spread: 0.5 },
  { mean: 0, spread: 0.25 },
];

describe('tailProbability', () => {
  it('is the two-sided normal tail, or one side for a one-sided rule', () => {
    expect(tailProbability(0)).toBeCloseTo(1, 6);
    expect(tailProbability(1.96)).toBeCloseTo(0.05, 4);
    expect(tailProbability(-3)).toBeCloseTo(0.0027, 4);
    expect(tailProbability(3, 'down')).toBe(1);
    expect(tailProbability(-3, 'down')).toBeCloseTo(0.0027, 4);
    expect(tailProbability(Number.POSITIVE_INFINITY)).toBe(0);
    expect(tailProbability(Number.NaN)).toBe(1);
  });
});

describe('scoreOfProbability', () => {
  it('puts 0.5 at one in 100,000 and 1 at one in 10¹⁰', () => {
    expect(scoreOfProbability(1)).toBe(0);
    expect(scoreOfProbability(1e-5)).toBeCloseTo(0.5, 10);
    expect(scoreOfProbability(1e-10)).toBeCloseTo(1, 10);
    expect(scoreOfProbability(0)).toBe(1);
    expect(probabilityOfScore(0.5)).toBeCloseTo(1e-5, 12);
  });

  it('stays in [0, 1] and falls as p grows (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (a, b) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const s = scoreOfProbability(lo);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
          expect(scoreOfProbability(hi)).toBeLessThanOrEqual(s);
        },
      ),
    );
  });
});

describe('tailFactor', () => {
  it('is 1 for normal tails and widens heavier ones', () => {
    expect(tailFactor(null)).toBe(1);
    expect(tailFactor({ q99: 2.5, q999: 3.2 })).toBe(1);
    expect(tailFactor({ q99: 2.5758, q999: 6.581 })).toBeCloseTo(2, 3);
  });
});

describe('combinedProbability', () => {
  it('is the smallest test times the number of tests, at most 1', () => {
    expect(combinedProbability({ z: 0, tail: 1, means: quiet })).toBe(1);
    expect(combinedProbability({ z: 5, tail: 1, means: quiet })).toBeCloseTo(
      TESTS * tailProbability(5),
      12,
    );
    // A sustained 2σ shift: each point is unremarkable, the 16-point mean is not.
    const shift = combinedProbability({
      z: 2,
      tail: 1,
      means: [
        { mean: 2, spread: 0.5 },
        { mean: 2, spread: 0.25 },
      ],
    });
    expect(shift).toBeCloseTo(TESTS * tailProbability(8), 12);
    expect(scoreOfProbability(shift)).toBeGreaterThan(0.5);
    // A burst of variance: the mean z² far above its usual level; two-sided rules only.
    const burst = { z: 1, tail: 1, means: quiet, spread: 7 };
    expect(combinedProbability(burst)).toBeCloseTo(TESTS * tailProbability(7, 'up'), 12);
    expect(combinedProbability(burst, 'up')).toBe(1);
  });

  it('never falls as the deviation grows, and a heavier tail never raises the score (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 40, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        (z, more, tail) => {
          const p = combinedProbability({ z, tail: 1, means: quiet });
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(1);
          expect(combinedProbability({ z: z + more, tail: 1, means: quiet })).toBeLessThanOrEqual(
            p,
          );
          expect(combinedProbability({ z, tail, means: quiet })).toBeGreaterThanOrEqual(p);
        },
      ),
    );
  });
});
