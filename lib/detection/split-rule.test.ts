import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { correctedZ, splitSeriesRule } from './split-rule';
import { normalQuantile, normalTail } from './normal';
import { DEFAULT_RULE } from '@/lib/types';

describe('normal tail and quantile', () => {
  it('match known values', () => {
    expect(normalTail(0)).toBeCloseTo(0.5, 6);
    expect(normalTail(1.96)).toBeCloseTo(0.025, 4);
    expect(normalTail(3)).toBeCloseTo(0.0013499, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(1e-6)).toBeCloseTo(-4.753424, 4);
  });

  it('are inverses of each other', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 7, noNaN: true }), (z) => {
        expect(-normalQuantile(normalTail(z))).toBeCloseTo(z, 3);
      }),
    );
  });

  it('refuses probabilities outside (0, 1)', () => {
    expect(() => normalQuantile(0)).toThrow(RangeError);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe('thresholds of a split series', () => {
  it('divide the tail by the number of series', () => {
    const z = correctedZ(3, 100);
    expect(normalTail(z)).toBeCloseTo(normalTail(3) / 100, 7);
    expect(z).toBeGreaterThan(4);
  });

  it('rise with the number of series and never fall below the parent', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.5, max: 12, noNaN: true }),
        fc.integer({ min: 1, max: 500 }),
        (z, n) => {
          expect(correctedZ(z, n)).toBeGreaterThanOrEqual(z);
          expect(correctedZ(z, n + 1)).toBeGreaterThanOrEqual(correctedZ(z, n));
        },
      ),
    );
  });

  it('keep the rule for one series and correct both thresholds for more', () => {
    expect(splitSeriesRule(DEFAULT_RULE, 1)).toEqual(DEFAULT_RULE);
    const rule = splitSeriesRule({ ...DEFAULT_RULE, warnZ: 3, criticalZ: 5 }, 11);
    expect(rule.warnZ).toBe(3.67);
    expect(rule.criticalZ).toBeGreaterThan(5);
    expect(rule.criticalZ).toBeLessThan(5.6);
    expect({ ...rule, warnZ: 3, criticalZ: 5 }).toEqual({
      ...DEFAULT_RULE,
      warnZ: 3,
      criticalZ: 5,
    });
  });
});
