import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PulseEvent } from '@/lib/types';
import { MAX_DISORDER_MS, Simulator, toNdjson } from './generator';
import { dailyShape, DIMENSION_NAMES, EVENT_MIX, EVENT_TYPES, rateNoise } from './model';
import { schedule } from './scenarios';

const DAY = Date.UTC(2025, 2, 10);
const HOUR = 3_600_000;
const MINUTE = 60_000;

function countBy(
  events: readonly PulseEvent[],
  key: (e: PulseEvent) => string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
  return counts;
}

describe('Simulator determinism', () => {
  const injections = schedule({
    startMs: DAY,
    firstAfterMs: 0,
    durationMs: MINUTE,
    gapMs: 0,
    scenarios: ['purchase_drop_eu_west', 'error_burst_app_version'],
    untilMs: DAY + 2 * MINUTE,
  });

  it('gives the same events for the same seed and calls', () => {
    const a = new Simulator({ seed: 42, ratePerSec: 50, injections });
    const b = new Simulator({ seed: 42, ratePerSec: 50, injections });
    for (let t = DAY; t < DAY + 2 * MINUTE; t += 30_000) {
      expect(a.generate(t, t + 30_000)).toEqual(b.generate(t, t + 30_000));
    }
  });

  it('depends only on the interval, not on earlier calls', () => {
    const a = new Simulator({ seed: 42, ratePerSec: 200, injections });
    const b = new Simulator({ seed: 42, ratePerSec: 200, injections });
    a.generate(DAY, DAY + 5_000);
    expect(a.generate(DAY + 5_000, DAY + 6_000)).toEqual(b.generate(DAY + 5_000, DAY + 6_000));
  });

  it('gives different events for different seeds', () => {
    const a = new Simulator({ seed: 1, ratePerSec: 200, injections: [] });
    const b = new Simulator({ seed: 2, ratePerSec: 200, injections: [] });
    expect(a.generate(DAY, DAY + 1_000)).not.toEqual(b.generate(DAY, DAY + 1_000));
  });
});

describe('Simulator.generate', () => {
  it('keeps event times in [from, to) and disorder under MAX_DISORDER_MS', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: 0, max: 20_000 }),
        (seed, from, length) => {
          const events = new Simulator({ seed, ratePerSec: 100, injections: [] }).generate(
            from,
            from + length,
          );
          let newest = Number.NEGATIVE_INFINITY;
          return events.every((e) => {
            const ok =
              Number.isInteger(e.ts) &&
              e.ts >= from &&
              e.ts < from + length &&
              newest - e.ts < MAX_DISORDER_MS;
            newest = Math.max(newest, e.ts);
            return ok;
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('delivers a few events out of order', () => {
    const events = new Simulator({ seed: 5, ratePerSec: 200, injections: [] }).generate(
      DAY,
      DAY + 10_000,
    );
    const inversions = events.filter((e, i) => i > 0 && e.ts < (events[i - 1]?.ts ?? 0)).length;
    expect(inversions).toBeGreaterThan(0);
    expect(inversions / events.length).toBeLessThan(0.2);
  });

  it('returns nothing for an empty interval or a zero rate', () => {
    expect(new Simulator({ seed: 1, ratePerSec: 100, injections: [] }).generate(DAY, DAY)).toEqual(
      [],
    );
    expect(
      new Simulator({ seed: 1, ratePerSec: 0, injections: [] }).generate(DAY, DAY + MINUTE),
    ).toEqual([]);
  });

  it('produces the expected volume whether called per second or per 10 minutes', () => {
    const from = DAY + 9 * HOUR; // steepest part of the daily curve
    const sim = new Simulator({ seed: 6, ratePerSec: 100, injections: [] });
    let perSecond = 0;
    for (let t = from; t < from + 10 * MINUTE; t += 1_000)
      perSecond += sim.generate(t, t + 1_000).length;
    const whole = sim.generate(from, from + 10 * MINUTE).length;
    let expected = 0;
    for (let m = 0; m < 10; m++) {
      const t = from + m * MINUTE;
      expected += 100 * 60 * dailyShape(t + MINUTE / 2) * rateNoise(6, t);
    }
    expect(Math.abs(perSecond / expected - 1)).toBeLessThan(0.02);
    expect(Math.abs(whole / expected - 1)).toBeLessThan(0.02);
  });

  it('follows the daily shape: 1.4× the rate at 15:00 UTC, 0.6× at 03:00 UTC', () => {
    const sim = new Simulator({ seed: 7, ratePerSec: 100, injections: [] });
    const volume = (hour: number): number =>
      sim.generate(DAY + hour * HOUR, DAY + hour * HOUR + 2 * MINUTE).length / (100 * 120);
    expect(volume(15)).toBeGreaterThan(1.3);
    expect(volume(15)).toBeLessThan(1.5);
    expect(volume(3)).toBeGreaterThan(0.55);
    expect(volume(3)).toBeLessThan(0.65);
  });

  it('matches the event mix over ~100k events, with stable conversion by region', () => {
    const events = new Simulator({ seed: 8, ratePerSec: 200, injections: [] }).generate(
      DAY + 9 * HOUR,
      DAY + 9 * HOUR + 500_000,
    );
    expect(events.length).toBeGreaterThan(90_000);
    const byType = countBy(events, (e) => e.type);
    for (const type of EVENT_TYPES) {
      const p = EVENT_MIX[type];
      const share = (byType.get(type) ?? 0) / events.length;
      expect(Math.abs(share - p), type).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / events.length));
    }
    const errorRate = (byType.get('error') ?? 0) / (byType.get('api_request') ?? 1);
    expect(errorRate).toBeGreaterThan(0.008);
    expect(errorRate).toBeLessThan(0.012);

    const sessions = countBy(
      events.filter((e) => e.type === 'session_start'),
      (e) => e.dims.region ?? '',
    );
    const purchases = countBy(
      events.filter((e) => e.type === 'purchase'),
      (e) => e.dims.region ?? '',
    );
    const conversions = [...sessions].map(([region, n]) => (purchases.get(region) ?? 0) / n);
    expect(conversions).toHaveLength(5);
    for (const c of conversions) {
      expect(c).toBeGreaterThan(0.4);
      expect(c).toBeLessThan(0.6);
    }
  });

  it('gives every event all five dimensions', () => {
    const events = new Simulator({ seed: 9, ratePerSec: 200, injections: [] }).generate(
      DAY,
      DAY + 5_000,
    );
    for (const e of events) expect(Object.keys(e.dims)).toEqual(DIMENSION_NAMES);
  });

  it('rejects invalid arguments', () => {
    expect(() => new Simulator({ seed: 1, ratePerSec: -1, injections: [] })).toThrow(RangeError);
    const sim = new Simulator({ seed: 1, ratePerSec: 1, injections: [] });
    expect(() => sim.generate(DAY + 1, DAY)).toThrow(RangeError);
    expect(() => sim.generate(DAY + 0.5, DAY + 1)).toThrow(RangeError);
  });

  it('rejects injections it cannot apply', () => {
    const base = {
      scenario: 'purchase_drop_eu_west',
      metricKey: 'purchases',
      description: '',
      rootCause: { region: 'eu-west' },
      startsAt: DAY,
      endsAt: DAY + MINUTE,
    } as const;
    const make = (overrides: object): Simulator =>
      new Simulator({ seed: 1, ratePerSec: 1, injections: [{ ...base, ...overrides }] });
    expect(() => make({})).not.toThrow();
    expect(() => make({ scenario: 'nope' })).toThrow(/purchase_drop_eu_west/);
    expect(() => make({ rootCause: { region: 'mars' } })).toThrow(/mars/);
    expect(() => make({ rootCause: { country: 'fr' } })).toThrow(/country/);
    expect(() => make({ endsAt: DAY - 1 })).toThrow(RangeError);
  });
});

describe('toNdjson', () => {
  it('writes one parseable line per event with ts as a number', () => {
    const events = new Simulator({ seed: 10, ratePerSec: 50, injections: [] }).generate(
      DAY,
      DAY + 2_000,
    );
    const text = toNdjson(events);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual(events);
    expect(lines[0]).toMatch(/^\{"ts":\d+,"type":"/);
  });

  it('writes nothing for no events', () => {
    expect(toNdjson([])).toBe('');
  });
});
