import { describe, expect, it } from 'vitest';
import type { BoardPoint } from '@/lib/views';
import { describeLatest, sparklineDomain, sparklinePoints } from './sparkline';

function point(over: Partial<BoardPoint>): BoardPoint {
  return {
    windowStart: 0,
    value: 1,
    expected: null,
    sigma: null,
    z: null,
    volume: 100,
    status: 'ok',
    anomalyId: null,
    ...over,
  };
}

/** A back-fill ramp from 0 while learning, then a conversion near 0.5 that drops 16%. */
const ramp = [0, 0.1, 0.2, 0.3].map((value, i) =>
  point({ windowStart: i, value, status: 'learning' }),
);
const scored = [0.5, 0.51, 0.49, 0.42].map((value, i) =>
  point({
    windowStart: 10 + i,
    value,
    expected: 0.5,
    sigma: 0.005,
    z: (value - 0.5) / 0.005,
    status: i === 3 ? 'critical' : 'ok',
  }),
);

describe('sparklinePoints', () => {
  it('leaves the learning windows out once any window was scored', () => {
    expect(sparklinePoints([...ramp, ...scored])).toEqual(scored);
  });

  it('keeps every window while the metric is still learning', () => {
    expect(sparklinePoints(ramp)).toEqual(ramp);
    expect(sparklinePoints([])).toEqual([]);
  });

  it('counts low-volume windows as scored', () => {
    const low = point({ status: 'low_volume', value: 7 });
    expect(sparklinePoints([...ramp, low])).toEqual([low]);
  });
});

describe('sparklineDomain', () => {
  it('spans the scored values and their band, not the learning ramp', () => {
    const [lo, hi] = sparklineDomain(sparklinePoints([...ramp, ...scored]))!;
    // values 0.42..0.51, band 0.485..0.515: span 0.095, padded 8% each side
    expect(lo).toBeCloseTo(0.42 - 0.095 * 0.08, 9);
    expect(hi).toBeCloseTo(0.515 + 0.095 * 0.08, 9);
    // The 16% drop fills most of the chart's height.
    expect((0.5 - 0.42) / (hi - lo)).toBeGreaterThan(0.7);
  });

  it('makes a +10σ jump fill the chart instead of the band', () => {
    const latency = [120, 121, 119, 160].map((value, i) =>
      point({ windowStart: i, value, expected: 120, sigma: 4 }),
    );
    // band 108..132, values up to 160: span 52, padded 8% each side
    const [lo, hi] = sparklineDomain(latency)!;
    expect(lo).toBeCloseTo(108 - 52 * 0.08, 9);
    expect(hi).toBeCloseTo(160 + 52 * 0.08, 9);
    // The jump above the band takes about half the chart's height.
    expect((160 - 132) / (hi - lo)).toBeGreaterThan(0.45);
  });

  it('ignores missing and non-finite values and sigmas', () => {
    const pts = [
      point({ value: null }),
      point({ value: 5, expected: 5, sigma: Number.NaN }),
      point({ value: Number.POSITIVE_INFINITY }),
      point({ value: 7 }),
    ];
    const [lo, hi] = sparklineDomain(pts, 3, 0)!;
    expect([lo, hi]).toEqual([5, 7]);
  });

  it('gives a flat series a span around its level, and nothing a null domain', () => {
    expect(sparklineDomain([point({ value: 200 }), point({ value: 200 })])).toEqual([190, 210]);
    expect(sparklineDomain([point({ value: 0 })])).toEqual([-1, 1]);
    expect(sparklineDomain([point({ value: null })])).toBeNull();
    expect(sparklineDomain([])).toBeNull();
  });
});

describe('describeLatest', () => {
  const pct = (v: number) => `${(v * 100).toFixed(2)}%`;

  it('says how far the latest value is from expected, its z and whether it left the band', () => {
    expect(describeLatest(scored.at(-1), pct)).toBe(
      'latest 42.00%, 16.0% below expected 50.00% (z −16.0), outside the normal band',
    );
    expect(describeLatest(scored[1], pct)).toBe(
      'latest 51.00%, 2.0% above expected 50.00% (z +2.0), within the normal band',
    );
  });

  it('says so when the value is exactly as expected or no expectation exists yet', () => {
    expect(describeLatest(point({ value: 3, expected: 3, sigma: 1, z: 0 }), String)).toBe(
      'latest 3, as expected, 3 (z +0.0), within the normal band',
    );
    expect(describeLatest(ramp.at(-1), pct)).toBe('latest 30.00%, still learning its baseline');
    expect(describeLatest(undefined, pct)).toBe('no value yet');
    expect(describeLatest(point({ value: null }), pct)).toBe('no value yet');
  });

  it('leaves the percentage out when expected is zero', () => {
    expect(describeLatest(point({ value: 2, expected: 0, sigma: null, z: null }), String)).toBe(
      'latest 2, above expected 0',
    );
  });
});
