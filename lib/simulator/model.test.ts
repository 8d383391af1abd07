import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  dailyShape,
  DIMENSION_NAMES,
  DIMENSIONS,
  dimensionIndex,
  EVENT_MIX,
  EVENT_TYPES,
  eventTypeIndex,
  MEASURES,
  rateNoise,
  TelemetrySampler,
  valueIndex,
} from './model';
import { Random } from './random';

const DAY = Date.UTC(2025, 2, 10);
const HOUR = 3_600_000;
const MINUTE = 60_000;

describe('model data', () => {
  it('has an event mix that sums to 1 with ≈50% conversion and ≈1% error rate', () => {
    const total = EVENT_TYPES.reduce((sum, t) => sum + EVENT_MIX[t], 0);
    expect(total).toBeCloseTo(1, 9);
    expect(EVENT_MIX.purchase / EVENT_MIX.session_start).toBeCloseTo(0.5, 9);
    expect(EVENT_MIX.error / EVENT_MIX.api_request).toBeCloseTo(0.01, 9);
  });

  it('has dimension weights that sum to 1', () => {
    for (const dim of DIMENSIONS) {
      expect(
        dim.values.reduce((sum, [, w]) => sum + w, 0),
        dim.name,
      ).toBeCloseTo(1, 9);
    }
    expect(DIMENSION_NAMES).toEqual(['region', 'device', 'feature', 'plan', 'app_version']);
  });

  it('has a median for every value of the dimension each measure depends on', () => {
    for (const m of MEASURES) {
      const dim = DIMENSIONS[dimensionIndex(m.byDimension)];
      for (const [value] of dim?.values ?? []) expect(m.medians[value]).toBeGreaterThan(0);
    }
  });

  it('resolves names to indices and rejects unknown ones', () => {
    expect(eventTypeIndex('purchase')).toBe(EVENT_TYPES.indexOf('purchase'));
    expect(valueIndex(dimensionIndex('device'), 'android')).toBe(2);
    expect(() => eventTypeIndex('refund')).toThrow(/refund/);
    expect(() => dimensionIndex('country')).toThrow(/country/);
    expect(() => valueIndex(dimensionIndex('region'), 'mars')).toThrow(/mars/);
  });
});

describe('dailyShape', () => {
  it('peaks at 1.4 at 15:00 UTC and bottoms at 0.6 at 03:00 UTC', () => {
    expect(dailyShape(DAY + 15 * HOUR)).toBeCloseTo(1.4, 9);
    expect(dailyShape(DAY + 3 * HOUR)).toBeCloseTo(0.6, 9);
    expect(dailyShape(DAY + 9 * HOUR)).toBeCloseTo(1, 9);
  });

  it('stays within 0.6..1.4 and repeats every day', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (ts) => {
        const s = dailyShape(ts);
        expect(s).toBeGreaterThanOrEqual(0.6 - 1e-12);
        expect(s).toBeLessThanOrEqual(1.4 + 1e-12);
        expect(dailyShape(ts + 24 * HOUR)).toBeCloseTo(s, 9);
      }),
    );
  });

  it('moves by less than 4% over any 20 minutes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000_000 }), (ts) => {
        expect(Math.abs(dailyShape(ts + 20 * MINUTE) - dailyShape(ts))).toBeLessThan(0.04);
      }),
    );
  });
});

describe('rateNoise', () => {
  it('is a pure function of seed and UTC minute', () => {
    expect(rateNoise(1, DAY)).toBe(rateNoise(1, DAY + MINUTE - 1));
    expect(rateNoise(1, DAY)).not.toBe(rateNoise(1, DAY + MINUTE));
    expect(rateNoise(1, DAY)).not.toBe(rateNoise(2, DAY));
  });

  it('has mean ≈ 1 and a few percent of spread', () => {
    const xs = Array.from({ length: 5_000 }, (_, i) => rateNoise(3, DAY + i * MINUTE));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(1, 2);
    expect(sd).toBeGreaterThan(0.02);
    expect(sd).toBeLessThan(0.04);
  });
});

describe('TelemetrySampler', () => {
  const sampler = new TelemetrySampler();
  const PURCHASE = eventTypeIndex('purchase');
  const API = eventTypeIndex('api_request');
  const FEATURE = dimensionIndex('feature');

  function sampleMeasures(type: number, n: number): { value: number; dims: number[] }[] {
    const rng = new Random(21);
    const dims = new Uint8Array(DIMENSIONS.length);
    return Array.from({ length: n }, () => {
      sampler.sampleDims(rng, type, dims);
      const event = sampler.buildEvent(0, type, dims, sampler.sampleMeasure(rng, type, dims));
      return { value: Object.values(event.measures)[0] ?? Number.NaN, dims: [...dims] };
    });
  }

  it('draws revenue with a mean around $60, rounded to cents', () => {
    const xs = sampleMeasures(PURCHASE, 20_000).map((x) => x.value);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean).toBeGreaterThan(55);
    expect(mean).toBeLessThan(65);
    expect(xs.every((x) => x > 0 && Math.abs(x * 100 - Math.round(x * 100)) < 1e-6)).toBe(true);
  });

  it('draws latency with a mean around 120 ms that varies by feature', () => {
    const xs = sampleMeasures(API, 20_000);
    const mean = (rows: { value: number }[]): number =>
      rows.reduce((a, r) => a + r.value, 0) / rows.length;
    expect(mean(xs)).toBeGreaterThan(110);
    expect(mean(xs)).toBeLessThan(130);
    const search = valueIndex(FEATURE, 'search');
    const profile = valueIndex(FEATURE, 'profile');
    expect(mean(xs.filter((x) => x.dims[FEATURE] === search))).toBeGreaterThan(
      1.5 * mean(xs.filter((x) => x.dims[FEATURE] === profile)),
    );
  });

  it('builds events with every dimension and only their own measure', () => {
    const rng = new Random(22);
    const dims = new Uint8Array(DIMENSIONS.length);
    for (let i = 0; i < 1_000; i++) {
      const type = sampler.sampleType(rng);
      sampler.sampleDims(rng, type, dims);
      const event = sampler.buildEvent(5, type, dims, sampler.sampleMeasure(rng, type, dims));
      expect(Object.keys(event.dims)).toEqual(DIMENSION_NAMES);
      const expected = MEASURES.find((m) => m.eventType === event.type)?.measure;
      expect(Object.keys(event.measures)).toEqual(expected ? [expected] : []);
    }
  });
});
