import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rng } from './generate';
import { explainRatio, type RatioLeaf } from './index';

const REGIONS = ['eu', 'us', 'apac', 'latam'];
const DEVICES = ['ios', 'android', 'web'];
const RATE: Record<string, number> = { eu: 0.04, us: 0.05, apac: 0.015, latam: 0.03 };

/** Sessions and conversions per region × device; `traffic` and `rate` scale the actual side. */
function funnel(
  seed: number,
  traffic: (region: string, device: string) => number,
  rate: (region: string, device: string) => number,
): RatioLeaf[] {
  const random = rng(seed);
  return REGIONS.flatMap((region) =>
    DEVICES.map((device) => {
      const sessions = 4000 + Math.floor(random() * 8000);
      const r = RATE[region]! * (device === 'web' ? 1.3 : 1);
      const actualSessions = Math.round(sessions * traffic(region, device));
      const noise = 1 + 0.04 * (random() - 0.5);
      return {
        dims: { region, device },
        expected: sessions * r,
        expectedDen: sessions,
        actual: Math.round(actualSessions * r * rate(region, device) * noise),
        actualDen: actualSessions,
      };
    }),
  );
}

describe('explainRatio', () => {
  it('tells a rate change inside a slice', () => {
    const leaves = funnel(
      1,
      () => 1,
      (_, device) => (device === 'android' ? 0.4 : 1),
    );
    const result = explainRatio(leaves, {
      metricName: 'conversion rate',
      denominatorName: 'sessions',
    });
    expect(result.dominant).toBe('rate');
    expect(result.rootCause).toEqual([{ device: 'android' }]);
    expect(result.rate.change).toBeLessThan(0);
    expect(Math.abs(result.effects.mix)).toBeLessThan(Math.abs(result.effects.rate) / 10);
    expect(result.sentence).toMatch(
      /^Conversion rate fell from \d\.\d\d% to \d\.\d\d% \(−\d\.\d\d percentage points\), mostly because it fell inside device=android \(\d\.\d\d% instead of about \d\.\d\d%\), which makes up (all|9\d%) of the drop, not because the mix of sessions changed\.$/,
    );
    const android = result.candidates[0]!;
    expect(android.rate.actual / android.rate.expected).toBeCloseTo(0.4, 1);
    expect(android.traffic.actual).toBeCloseTo(android.traffic.expected, 12);
    expect(android.explains).toBeGreaterThan(0.9);
  });

  it('names where the smaller effect sits when the larger one is spread', () => {
    // Every rate fell 20% (spread, the larger effect) while apac's traffic rose 60% (the mix).
    const leaves = funnel(
      5,
      (region) => (region === 'apac' ? 1.6 : 1),
      () => 0.8,
    );
    const result = explainRatio(leaves, {
      metricName: 'conversion rate',
      denominatorName: 'sessions',
    });
    expect(result.dominant).toBe('rate');
    expect(result.within.rootCause).toEqual([]);
    expect(result.located).toBe('mix');
    expect(result.rootCause).toEqual([{ region: 'apac' }]);
    expect(result.sentence).toMatch(
      /, mostly because it fell inside every slice alike, with no slice standing out; the rest comes from a shift in the mix of sessions: region=apac went from \d+% to \d+% of the sessions\.$/,
    );
  });

  it('tells a shift in the mix of slices', () => {
    // Four times the sessions from apac, which converts at a low rate; no rate changed.
    const leaves = funnel(
      2,
      (region) => (region === 'apac' ? 4 : 1),
      () => 1,
    );
    const result = explainRatio(leaves, {
      metricName: 'conversion rate',
      denominatorName: 'sessions',
    });
    expect(result.dominant).toBe('mix');
    expect(result.rootCause).toEqual([{ region: 'apac' }]);
    expect(Math.abs(result.effects.rate)).toBeLessThan(Math.abs(result.effects.mix) / 10);
    expect(result.sentence).toMatch(
      /, mostly because the mix of sessions changed, not because conversion rate changed inside slices: region=apac went from \d+% to \d+% of the sessions, where conversion rate is 1\.\d\d% against \d\.\d\d% overall\.$/,
    );
    expect(result.within.rootCause).toEqual([]);
    const apac = result.candidates[0]!;
    expect(apac.traffic.actual).toBeGreaterThan(apac.traffic.expected * 2);
    expect(apac.mixEffect).toBeLessThan(0);
  });

  it('says when the rate did not change', () => {
    const result = explainRatio(
      funnel(
        3,
        () => 1,
        () => 1,
      ).map((l) => ({ ...l, actual: l.expected, actualDen: l.expectedDen })),
    );
    expect(result).toMatchObject({ dominant: 'none', rootCause: [], effects: { rate: 0, mix: 0 } });
    expect(result.sentence).toMatch(/^The rate is unchanged at \d\.\d\d%\.$/);
  });

  it('says when there is no denominator', () => {
    const result = explainRatio([
      { dims: { region: 'eu' }, actual: 0, expected: 4, actualDen: 0, expectedDen: 100 },
      { dims: { region: 'us' }, actual: 0, expected: 5, actualDen: 0, expectedDen: 100 },
    ]);
    expect(result).toMatchObject({ dominant: 'none', rootCause: [] });
    expect(result.sentence).toBe('No traffic, so the rate cannot be computed.');
  });

  it('splits any change exactly into rate and mix effects', () => {
    const count = fc.integer({ min: 0, max: 5000 });
    const leaf = fc.record({
      dims: fc.record({ a: fc.constantFrom('x', 'y', 'z'), b: fc.constantFrom('p', 'q') }),
      actual: count,
      expected: count,
      actualDen: count,
      expectedDen: count,
    });
    fc.assert(
      fc.property(fc.array(leaf, { minLength: 1, maxLength: 12 }), (rows) => {
        // Numerators no larger than their denominators, as for a conversion.
        const leaves = rows.map((r) => ({
          ...r,
          actual: Math.min(r.actual, r.actualDen),
          expected: Math.min(r.expected, r.expectedDen),
        }));
        const { rate, effects } = explainRatio(leaves);
        expect(effects.rate + effects.mix).toBeCloseTo(rate.change, 12);
      }),
      { numRuns: 200 },
    );
  });
});
