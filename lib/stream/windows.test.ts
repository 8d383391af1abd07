import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  WatermarkTracker,
  globalWatermark,
  isWindowFinal,
  lastFinalWindowStart,
  windowEnd,
  windowStart,
} from './windows';

const MIN = 60_000;

describe('windowStart / windowEnd', () => {
  it('aligns to the epoch and is half-open', () => {
    expect(windowStart(0, MIN)).toBe(0);
    expect(windowStart(MIN - 1, MIN)).toBe(0);
    expect(windowStart(MIN, MIN)).toBe(MIN);
    expect(windowEnd(MIN - 1, MIN)).toBe(MIN);
    expect(windowEnd(MIN, MIN)).toBe(2 * MIN);
    expect(windowStart(-1, MIN)).toBe(-MIN);
  });

  it('contains every timestamp in its window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 86_400_000 }),
        (ts, windowMs) => {
          const start = windowStart(ts, windowMs);
          expect(start).toBeLessThanOrEqual(ts);
          expect(ts).toBeLessThan(windowEnd(ts, windowMs));
          expect(start % windowMs).toBe(0);
          expect(windowStart(start, windowMs)).toBe(start);
        },
      ),
    );
  });
});

describe('WatermarkTracker', () => {
  it('is −Infinity before any event and nothing is final or late', () => {
    const tracker = new WatermarkTracker({ outOfOrderMs: 5000 });
    expect(tracker.watermark()).toBe(-Infinity);
    expect(tracker.maxSeen()).toBe(-Infinity);
    expect(tracker.finalWindowsUpTo(MIN, 0)).toBeNull();
    expect(tracker.isLate(0, MIN, 0)).toBe(false);
  });

  it('trails the maximum event time by the out-of-orderness and ignores older events', () => {
    const tracker = new WatermarkTracker({ outOfOrderMs: 5000 });
    tracker.observe(100_000);
    expect(tracker.watermark()).toBe(95_000);
    tracker.observe(90_000);
    expect(tracker.watermark()).toBe(95_000);
    tracker.observe(Number.NaN);
    expect(tracker.watermark()).toBe(95_000);
    tracker.observe(130_000);
    expect(tracker.maxSeen()).toBe(130_000);
    expect(tracker.watermark()).toBe(125_000);
  });

  it('marks an event late only once its window end plus lateness has passed the watermark', () => {
    const tracker = new WatermarkTracker({ outOfOrderMs: 5000 });
    const lateness = 10_000;
    // window [0, 60s) is final when watermark >= 70s, i.e. max seen >= 75s
    tracker.observe(74_999);
    expect(tracker.isLate(30_000, MIN, lateness)).toBe(false);
    expect(tracker.finalWindowsUpTo(MIN, lateness)).toBe(-MIN);
    tracker.observe(75_000);
    expect(tracker.isLate(30_000, MIN, lateness)).toBe(true);
    expect(tracker.isLate(59_999, MIN, lateness)).toBe(true);
    expect(tracker.isLate(60_000, MIN, lateness)).toBe(false);
    expect(tracker.finalWindowsUpTo(MIN, lateness)).toBe(0);
    tracker.observe(10 * MIN);
    expect(tracker.finalWindowsUpTo(MIN, lateness)).toBe(8 * MIN);
  });

  it('never decreases, for any sequence of observations', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 600_000 }),
        fc.array(fc.oneof(fc.integer({ min: -1e12, max: 1e13 }), fc.constant(Number.NaN))),
        (outOfOrderMs, times) => {
          const tracker = new WatermarkTracker({ outOfOrderMs });
          let previous = tracker.watermark();
          for (const ts of times) {
            tracker.observe(ts);
            const current = tracker.watermark();
            expect(current).toBeGreaterThanOrEqual(previous);
            previous = current;
          }
          const finite = times.filter((t) => !Number.isNaN(t));
          const expected = finite.length === 0 ? -Infinity : Math.max(...finite) - outOfOrderMs;
          expect(tracker.watermark()).toBe(expected);
        },
      ),
    );
  });

  it('agrees between isLate and finalWindowsUpTo', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3_600_000 }), { minLength: 1 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 1000, max: 600_000 }),
        fc.nat({ max: 120_000 }),
        (times, probe, windowMs, lateness) => {
          const tracker = new WatermarkTracker({ outOfOrderMs: 2000 });
          times.forEach((t) => tracker.observe(t));
          const lastFinal = tracker.finalWindowsUpTo(windowMs, lateness);
          const late = tracker.isLate(probe, windowMs, lateness);
          expect(late).toBe(lastFinal !== null && windowStart(probe, windowMs) <= lastFinal);
        },
      ),
    );
  });
});

describe('isWindowFinal / lastFinalWindowStart', () => {
  it('computes the boundary exactly', () => {
    expect(isWindowFinal(0, MIN, 0, MIN - 1)).toBe(false);
    expect(isWindowFinal(0, MIN, 0, MIN)).toBe(true);
    expect(lastFinalWindowStart(MIN, MIN, 0)).toBe(0);
    expect(lastFinalWindowStart(MIN - 1, MIN, 0)).toBe(-MIN);
    expect(lastFinalWindowStart(-Infinity, MIN, 0)).toBeNull();
  });
});

describe('globalWatermark', () => {
  const now = 1_000_000;
  const idle = 30_000;

  it('is −Infinity with no partitions', () => {
    expect(globalWatermark([], now, idle)).toBe(-Infinity);
  });

  it('is the minimum over active partitions', () => {
    const partitions = [
      { watermark: 500, lastSeenAt: now },
      { watermark: 300, lastSeenAt: now - idle },
      { watermark: 100, lastSeenAt: now - idle - 1 }, // idle: excluded
    ];
    expect(globalWatermark(partitions, now, idle)).toBe(300);
  });

  it('lets an active partition without events hold everything back', () => {
    const partitions = [
      { watermark: 500, lastSeenAt: now },
      { watermark: -Infinity, lastSeenAt: now },
    ];
    expect(globalWatermark(partitions, now, idle)).toBe(-Infinity);
  });

  it('is the maximum when every partition is idle', () => {
    const partitions = [
      { watermark: 500, lastSeenAt: 0 },
      { watermark: 700, lastSeenAt: 0 },
    ];
    expect(globalWatermark(partitions, now, idle)).toBe(700);
  });

  it('never exceeds an active partition and is one of the watermarks', () => {
    const partition = fc.record({
      watermark: fc.integer({ min: 0, max: 1e6 }),
      lastSeenAt: fc.integer({ min: 0, max: now }),
    });
    fc.assert(
      fc.property(fc.array(partition, { minLength: 1 }), (partitions) => {
        const result = globalWatermark(partitions, now, idle);
        expect(partitions.map((p) => p.watermark)).toContain(result);
        for (const p of partitions) {
          if (now - p.lastSeenAt <= idle) expect(result).toBeLessThanOrEqual(p.watermark);
        }
      }),
    );
  });
});
