import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TICK_STEPS, tickStep, timeTicks } from './ticks';

const H = 3_600_000;

describe('time axis ticks', () => {
  it('falls on round times', () => {
    const from = Date.UTC(2026, 11, 6, 4, 13, 27);
    expect(timeTicks(from, from + 6 * H)).toEqual(
      [5, 6, 7, 8, 9, 10].map((h) => Date.UTC(2026, 11, 6, h)),
    );
    expect(timeTicks(from, from + 30 * 60_000).map((t) => new Date(t).toISOString())).toEqual([
      '2026-12-06T04:15:00.000Z',
      '2026-12-06T04:20:00.000Z',
      '2026-12-06T04:25:00.000Z',
      '2026-12-06T04:30:00.000Z',
      '2026-12-06T04:35:00.000Z',
      '2026-12-06T04:40:00.000Z',
    ]);
  });

  it('is empty for an empty range', () => {
    expect(timeTicks(10, 10)).toEqual([]);
    expect(timeTicks(10, 5)).toEqual([]);
    expect(timeTicks(Number.NaN, 5)).toEqual([]);
  });

  it('property: inside the range, ascending, a whole step apart, at most target + 1', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2_000_000_000_000 }),
        fc.integer({ min: 60_000, max: 90 * 24 * H }),
        fc.integer({ min: 2, max: 12 }),
        (from, span, target) => {
          const ticks = timeTicks(from, from + span, target);
          const step = tickStep(span, target);
          expect(TICK_STEPS).toContain(step);
          expect(ticks.length).toBeLessThanOrEqual(
            Math.max(target + 1, Math.ceil(span / step) + 1),
          );
          for (const [i, t] of ticks.entries()) {
            expect(t).toBeGreaterThanOrEqual(from);
            expect(t).toBeLessThanOrEqual(from + span);
            expect(t % step).toBe(0);
            if (i > 0) expect(t - ticks[i - 1]!).toBe(step);
          }
        },
      ),
    );
  });
});
