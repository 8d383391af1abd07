import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BEYOND_SHARE, classifySlices, explain, type SliceInput } from './breakdown';
import type { Contributor } from '@/lib/types';

interface Cell {
  region: string;
  device: string;
  /** Numerator and denominator now, and the expected metric value of the cell. */
  num: number;
  den: number;
  expected: number;
}

/** Aggregates a region × device cube into the slices explain() takes, plus the total. */
function slicesOf(cube: Cell[], kind: 'count' | 'ratio') {
  const slices: SliceInput[] = [];
  for (const dim of ['region', 'device'] as const) {
    const values = [...new Set(cube.map((c) => c[dim]))];
    for (const value of values) {
      const cells = cube.filter((c) => c[dim] === value);
      const num = cells.reduce((s, c) => s + c.num, 0);
      const den = kind === 'count' ? 1 : cells.reduce((s, c) => s + c.den, 0);
      const expectedNum = cells.reduce(
        (s, c) => s + c.expected * (kind === 'count' ? 1 : c.den),
        0,
      );
      const expectedValue = expectedNum / den;
      const sigma =
        kind === 'count'
          ? Math.sqrt(expectedValue)
          : Math.sqrt((expectedValue * (1 - expectedValue)) / den);
      slices.push({
        dim,
        value,
        num,
        den,
        expectedValue,
        sigma,
        volume: kind === 'count' ? num : den,
      });
    }
  }
  const num = cube.reduce((s, c) => s + c.num, 0);
  const den = kind === 'count' ? 1 : cube.reduce((s, c) => s + c.den, 0);
  const expectedNum = cube.reduce((s, c) => s + c.expected * (kind === 'count' ? 1 : c.den), 0);
  return { total: { actual: num / den, expected: expectedNum / den }, slices };
}

const REGIONS = ['us-east', 'us-west', 'eu-west', 'ap-south'];
const DEVICES = ['ios', 'android', 'desktop'];

function cube(f: (region: string, device: string) => Omit<Cell, 'region' | 'device'>): Cell[] {
  return REGIONS.flatMap((region) =>
    DEVICES.map((device) => ({ region, device, ...f(region, device) })),
  );
}

/** One dimension of a count metric: value → [expected, actual], with Poisson σ. */
function counts(dim: string, values: Record<string, [number, number]>): SliceInput[] {
  return Object.entries(values).map(([value, [expected, actual]]) => ({
    dim,
    value,
    num: actual,
    den: 1,
    expectedValue: expected,
    sigma: Math.sqrt(expected),
    volume: actual,
  }));
}

function sumOf(slices: SliceInput[], dim: string) {
  const list = slices.filter((s) => s.dim === dim);
  return {
    actual: list.reduce((s, c) => s + c.num, 0),
    expected: list.reduce((s, c) => s + c.expectedValue, 0),
  };
}

/** Region and device weights of the expected traffic: us-east 40%, eu-west 30%, … */
const REGION_WEIGHT: Record<string, number> = {
  'us-east': 0.4,
  'us-west': 0.2,
  'eu-west': 0.3,
  'ap-south': 0.1,
};
const DEVICE_WEIGHT: Record<string, number> = { ios: 0.5, android: 0.3, desktop: 0.2 };

describe('explain', () => {
  it('ranks the one value that dropped first, with share ≈ 1', () => {
    const { total, slices } = slicesOf(
      cube((region) => ({ num: region === 'eu-west' ? 40 : 100, den: 1, expected: 100 })),
      'count',
    );
    const result = explain({ total, slices, metricName: 'purchases' });

    const [first, ...rest] = result.dimensions.region!;
    expect(first).toMatchObject({
      dim: 'region',
      value: 'eu-west',
      actual: 120,
      expected: 300,
      deviation: -180,
    });
    expect(first!.share).toBeCloseTo(1, 12);
    expect(first!.expectedShare).toBeCloseTo(0.25, 12);
    expect(first!.excess).toBeCloseTo(0.75, 12);
    expect(first!.z).toBeCloseTo(-180 / Math.sqrt(300), 12);
    expect(rest.every((c) => c.share === 0 && c.z === 0)).toBe(true);
    for (const device of result.dimensions.device!) {
      expect(device.share).toBeCloseTo(1 / 3, 12);
      expect(device.excess).toBeCloseTo(0, 12); // hit in proportion to their size
    }

    expect(result.top[0]).toBe(first);
    expect(result.top.map((c) => `${c.dim}=${c.value}`)).toEqual([
      'region=eu-west',
      'device=android',
      'device=desktop',
      'device=ios',
    ]);
    expect(result.sentence).toBe(
      'Purchases in region=eu-west fell 60%, 120 instead of about 300: that is all of the drop.',
    );
  });

  it('finds a conversion drop in one region of a ratio metric', () => {
    const { total, slices } = slicesOf(
      cube((region, device) => ({
        den: device === 'desktop' ? 600 : 200,
        num: (device === 'desktop' ? 600 : 200) * (region === 'eu-west' ? 0.02 : 0.05),
        expected: 0.05,
      })),
      'ratio',
    );
    const result = explain({ total, slices, metricName: 'conversion', unit: '%' });
    const eu = result.top[0]!;
    expect(eu).toMatchObject({ dim: 'region', value: 'eu-west' });
    expect(eu.actual).toBeCloseTo(0.02, 12);
    expect(eu.expected).toBeCloseTo(0.05, 12);
    expect(eu.share).toBeCloseTo(1, 12);
    expect(eu.deviation).toBeCloseTo(-30, 9);
    expect(eu.z).toBeLessThan(-3);
    // Devices are hit in proportion to their traffic; none of them explains the drop alone.
    expect(result.dimensions.device!.map((c) => c.share)).toEqual([
      expect.closeTo(0.6, 12),
      expect.closeTo(0.2, 12),
      expect.closeTo(0.2, 12),
    ]);
    expect(result.sentence).toBe(
      'Conversion in region=eu-west fell 60%, 2.00% instead of about 5.00%: that is all of the drop.',
    );
  });

  it('lists the disproportionate values when no single value explains the change', () => {
    const drops: Record<string, number> = {
      'us-east': 40,
      'us-west': 30,
      'eu-west': 20,
      'ap-south': 10,
    };
    const slicesWith = (sigma: number): SliceInput[] =>
      REGIONS.map((value) => ({
        dim: 'region',
        value,
        num: 100 - drops[value]!,
        den: 1,
        expectedValue: 100,
        sigma,
        volume: 100,
      }));
    const total = { actual: 300, expected: 400 };
    const result = explain({ total, slices: slicesWith(5), metricName: 'purchases' });
    expect(result.top.map((c) => c.share)).toEqual([0.4, 0.3, 0.2, 0.1]);
    expect(result.top.map((c) => c.excess)).toEqual([
      expect.closeTo(0.15, 12),
      expect.closeTo(0.05, 12),
      expect.closeTo(-0.05, 12),
      expect.closeTo(-0.15, 12),
    ]);
    // Each region is 25% of the expected purchases: only us-east carries noticeably more of
    // the drop than its size (us-west's 30% is within 10 points of it, eu-west's 20% is less).
    expect(result.sentence).toBe(
      'No single value explains the drop in purchases; the value that moved most beyond its share is region=us-east (40% of the drop).',
    );

    // With σ = 10 per region, us-east's 15 purchases beyond its part are within 2σ of the noise
    // of that excess (σ ≈ 8.7): nothing stands out.
    expect(explain({ total, slices: slicesWith(10), metricName: 'purchases' }).sentence).toBe(
      'Purchases fell 25%, 300 instead of about 400; the drop is spread across region values in proportion to their size, and no single value stands out.',
    );
  });

  it('lists several values when each carries more than its size but none dominates', () => {
    const slices = counts('region', {
      a: [100, 55],
      b: [100, 55],
      c: [100, 95],
      d: [100, 95],
    });
    const result = explain({ total: sumOf(slices, 'region'), slices, metricName: 'purchases' });
    expect(result.top.map((c) => c.value)).toEqual(['a', 'b', 'c', 'd']);
    expect(result.sentence).toBe(
      'No single value explains the drop in purchases; the values that moved most beyond their share are region=a (45% of the drop) and region=b (45%).',
    );
  });

  it('does not blame the biggest value for a drop spread in proportion to size', () => {
    const device = counts('device', {
      ios: [500, 400],
      android: [300, 240],
      desktop: [200, 160],
    });
    // An exact 20% drop everywhere, and a noisy one where plan=free carries 77% of the drop
    // with 70% of the purchases (the live case that used to blame plan=free).
    for (const [free, pro, team] of [
      [560, 160, 80],
      [546, 170, 84],
    ] as const) {
      const plan = counts('plan', { free: [700, free], pro: [200, pro], team: [100, team] });
      const slices = [...plan, ...device];
      const result = explain({ total: sumOf(slices, 'plan'), slices, metricName: 'purchases' });

      const planFree = result.dimensions.plan!.find((c) => c.value === 'free')!;
      expect(planFree.expectedShare).toBeCloseTo(0.7, 12);
      expect(planFree.share).toBeGreaterThanOrEqual(0.7);
      expect(planFree.excess).toBeLessThan(0.1);
      expect(planFree.z).toBeLessThan(-5); // it did drop, just not more than the rest
      expect(result.sentence).not.toContain('plan=free');
      expect(result.sentence).toBe(
        'Purchases fell 20%, 800 instead of about 1,000; the drop is spread across device and plan values in proportion to their size, and no single value stands out.',
      );
    }
  });

  it('names a 30% value whose 60% drop is the whole change, ahead of bigger values', () => {
    const { total, slices } = slicesOf(
      cube((region, device) => {
        const expected = 1000 * REGION_WEIGHT[region]! * DEVICE_WEIGHT[device]!;
        return { num: region === 'eu-west' ? expected * 0.4 : expected, den: 1, expected };
      }),
      'count',
    );
    const result = explain({ total, slices, metricName: 'purchases' });

    const first = result.top[0]!;
    expect(first).toMatchObject({ dim: 'region', value: 'eu-west' });
    expect(first.share).toBeCloseTo(1, 12);
    expect(first.expectedShare).toBeCloseTo(0.3, 12);
    expect(first.excess).toBeCloseTo(0.7, 12);
    expect(result.dimensions.region![0]).toBe(first);
    // ios carries half the drop with half the purchases: proportional, ranked after eu-west.
    const ios = result.top.find((c) => c.value === 'ios')!;
    expect(ios.share).toBeCloseTo(0.5, 12);
    expect(ios.excess).toBeCloseTo(0, 12);
    expect(result.sentence).toBe(
      'Purchases in region=eu-west fell 60%, 120 instead of about 300: that is all of the drop.',
    );
  });

  it('names a big value when the others stayed flat, but not one with nearly all the traffic', () => {
    // 80% of the purchases, the whole drop: excess 0.2 < 0.25, but the others did not move.
    const big = counts('region', { a: [800, 600], b: [100, 100], c: [100, 100] });
    expect(explain({ total: sumOf(big, 'region'), slices: big, metricName: 'p' }).sentence).toBe(
      'P in region=a fell 25%, 600 instead of about 800: that is all of the drop.',
    );
    // 90% of the purchases and 95% of the drop: the others dropped half as much, relatively,
    // but 5 points are too little to single a value out.
    const huge = counts('region', { a: [900, 710], b: [100, 90] });
    const result = explain({ total: sumOf(huge, 'region'), slices: huge, metricName: 'p' });
    expect(result.top[0]!.share).toBeCloseTo(0.95, 12);
    expect(result.sentence).toBe(
      'P fell 20%, 800 instead of about 1,000; the drop is spread across region values in proportion to their size, and no single value stands out.',
    );
  });

  it('weighs ratio slices by their expected numerator, not by their denominator', () => {
    const sessions: Record<string, [number, number]> = {
      'us-east': [6000, 0.05],
      'us-west': [2000, 0.04],
      'eu-west': [3000, 0.04],
      'ap-south': [1000, 0.05],
    };
    const slicesWith = (rate: (region: string, expected: number) => number): SliceInput[] =>
      Object.entries(sessions).map(([value, [den, expected]]) => ({
        dim: 'region',
        value,
        num: den * rate(value, expected),
        den,
        expectedValue: expected,
        sigma: Math.sqrt((expected * (1 - expected)) / den),
        volume: den,
      }));
    const totalOf = (slices: SliceInput[]) => ({
      actual: slices.reduce((s, c) => s + c.num, 0) / 12000,
      expected: 550 / 12000,
    });

    // eu-west converts at 1.6% instead of 4%; the other regions are flat.
    const drop = slicesWith((region, e) => (region === 'eu-west' ? 0.016 : e));
    const result = explain({
      total: totalOf(drop),
      slices: drop,
      metricName: 'conversion',
      unit: '%',
    });
    const expectedShares = Object.fromEntries(
      result.dimensions.region!.map((c) => [c.value, c.expectedShare]),
    );
    expect(expectedShares).toEqual({
      'us-east': expect.closeTo(300 / 550, 12),
      'us-west': expect.closeTo(80 / 550, 12),
      'eu-west': expect.closeTo(120 / 550, 12),
      'ap-south': expect.closeTo(50 / 550, 12),
    });
    expect(result.top.map((c) => c.value)).toEqual(['eu-west']);
    expect(result.top[0]!.share).toBeCloseTo(1, 12);
    expect(result.sentence).toBe(
      'Conversion in region=eu-west fell 60%, 1.60% instead of about 4.00%: that is all of the drop.',
    );

    // Every region converts 20% less: us-east carries 55% of the drop, as it should.
    const uniform = slicesWith((_, e) => e * 0.8);
    const spread = explain({
      total: totalOf(uniform),
      slices: uniform,
      metricName: 'conversion',
      unit: '%',
    });
    expect(spread.top[0]).toMatchObject({ value: 'us-east', share: expect.closeTo(300 / 550) });
    expect(spread.top[0]!.z).toBeLessThan(-3);
    expect(spread.sentence).toBe(
      'Conversion fell 20%, 3.67% instead of about 4.58%; the drop is spread across region values in proportion to their size, and no single value stands out.',
    );
  });

  it('names no value when every slice moves within its noise', () => {
    // Deterministic noise within ±8 per cell (σ = 10): z ≈ ±1 at most per slice.
    const noise = [3, -8, 5, -2, 7, -6, 1, -4, 8, -7, 2, -5];
    const cells = cube(() => ({ num: 100, den: 1, expected: 100 })).map((c, i) => ({
      ...c,
      num: 100 + noise[i]!,
    }));
    const { total, slices } = slicesOf(cells, 'count');
    expect(total.actual).toBeLessThan(total.expected);
    const result = explain({ total, slices, metricName: 'purchases' });
    expect(result.top.length).toBeGreaterThan(0);
    expect(result.sentence).toBe(
      'Purchases fell 0.5%, 1,194 instead of about 1,200; the drop is spread across device and region values, each within its normal variation, and no single value stands out.',
    );

    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -8, max: 8 }), { minLength: 12, maxLength: 12 }),
        (n) => {
          const noisy = cells.map((c, i) => ({ ...c, num: 100 + n[i]! }));
          const input = slicesOf(noisy, 'count');
          const { sentence } = explain({ ...input, metricName: 'purchases' });
          expect(sentence).toMatch(
            /^(Purchases (fell|rose) [\d.]+%, [\d,]+ instead of about 1,200; the (drop|rise) is spread across device and region values, each within its normal variation, and no single value stands out|No dimension value explains the (drop|rise) in purchases)\.$/,
          );
        },
      ),
    );
  });

  it('uses "rise" for an increase and lists a lone contributor in the singular', () => {
    const slices: SliceInput[] = [
      { dim: 'plan', value: 'pro', num: 140, den: 1, expectedValue: 100, sigma: 10, volume: 140 },
      { dim: 'plan', value: 'free', num: 160, den: 1, expectedValue: 100, sigma: 10, volume: 160 },
      { dim: 'plan', value: 'team', num: 60, den: 1, expectedValue: 100, sigma: 10, volume: 60 },
    ];
    const result = explain({ total: { actual: 360, expected: 300 }, slices, metricName: 'errors' });
    expect(result.top.map((c) => [c.value, c.share])).toEqual([
      ['free', 1],
      ['pro', 2 / 3],
    ]);
    expect(result.sentence).toBe(
      'Errors in plan=free rose 60%, 160 instead of about 100: that is all of the rise.',
    );
    expect(result.dimensions.plan!.map((c) => c.value)).toEqual(['free', 'pro', 'team']);
    expect(result.dimensions.plan![2]!.share).toBeCloseTo(-2 / 3, 12);
  });

  it('stores raw shares above 1 when values offset each other, and says why in the sentence', () => {
    const slices: SliceInput[] = [
      { dim: 'region', value: 'a', num: 50, den: 1, expectedValue: 100, sigma: 10, volume: 50 },
      { dim: 'region', value: 'b', num: 130, den: 1, expectedValue: 100, sigma: 10, volume: 130 },
    ];
    const result = explain({
      total: { actual: 180, expected: 200 },
      slices,
      metricName: 'purchases',
    });
    expect(result.top).toHaveLength(1);
    expect(result.top[0]).toMatchObject({ value: 'a', share: 2.5, deviation: -50 });
    expect(result.dimensions.region![1]).toMatchObject({ value: 'b', share: -1.5 });
    expect(result.sentence).toBe(
      'Purchases in region=a fell 50%, 50 instead of about 100: that is more than the whole drop, because other region values rose meanwhile.',
    );
  });

  it('gives zero shares when a dimension’s deviations cancel out', () => {
    const slices: SliceInput[] = [
      { dim: 'region', value: 'a', num: 80, den: 1, expectedValue: 100, sigma: 10, volume: 80 },
      { dim: 'region', value: 'b', num: 120, den: 1, expectedValue: 100, sigma: 10, volume: 120 },
    ];
    const result = explain({
      total: { actual: 200, expected: 200 },
      slices,
      metricName: 'purchases',
    });
    expect(result.dimensions.region!.map((c) => c.share)).toEqual([0, 0]);
    expect(result.top).toEqual([]);
    expect(result.sentence).toBe('No dimension value explains the rise in purchases.');
  });

  it('leaves dimensions with a single value out of the top contributors', () => {
    const slices: SliceInput[] = [
      { dim: 'plan', value: 'free', num: 50, den: 1, expectedValue: 100, sigma: 10, volume: 50 },
      { dim: 'region', value: 'a', num: 10, den: 1, expectedValue: 50, sigma: 7, volume: 10 },
      { dim: 'region', value: 'b', num: 40, den: 1, expectedValue: 50, sigma: 7, volume: 40 },
    ];
    const result = explain({
      total: { actual: 50, expected: 100 },
      slices,
      metricName: 'purchases',
    });
    expect(result.dimensions.plan![0]!.share).toBe(1);
    expect(result.top.map((c) => c.value)).toEqual(['a', 'b']);
    expect(result.sentence).toMatch(
      /^Purchases in region=a fell 80%, 10 instead of about 50: that is 80% of the drop\.$/,
    );
  });

  it('treats a slice without denominator as having no value and no surprise', () => {
    const slices: SliceInput[] = [
      { dim: 'region', value: 'a', num: 0, den: 0, expectedValue: 0.05, sigma: 0.01, volume: 0 },
      {
        dim: 'region',
        value: 'b',
        num: 10,
        den: 1000,
        expectedValue: 0.05,
        sigma: 0.007,
        volume: 1000,
      },
    ];
    const result = explain({
      total: { actual: 0.01, expected: 0.05 },
      slices,
      metricName: 'conversion',
      unit: '%',
    });
    expect(result.dimensions.region!.find((c) => c.value === 'a')).toMatchObject({
      actual: 0,
      z: 0,
      deviation: 0,
      share: 0,
    });
    expect(result.top[0]).toMatchObject({ value: 'b', share: 1 });
  });

  it('floors σ so that a flat slice does not divide by zero', () => {
    const slices: SliceInput[] = [
      { dim: 'region', value: 'a', num: 90, den: 1, expectedValue: 100, sigma: 0, volume: 90 },
      { dim: 'region', value: 'b', num: 100, den: 1, expectedValue: 100, sigma: 0, volume: 100 },
    ];
    const result = explain({
      total: { actual: 190, expected: 200 },
      slices,
      metricName: 'purchases',
    });
    expect(result.top[0]!.z).toBe(-10); // σ floored at 1% of the expected value
  });

  it('explains nothing without slices', () => {
    expect(
      explain({ total: { actual: 1, expected: 2 }, slices: [], metricName: 'purchases' }),
    ).toEqual({
      dimensions: {},
      top: [],
      sentence: 'No dimension value explains the drop in purchases.',
    });
  });

  it('caps the top list at 10', () => {
    const slices: SliceInput[] = Array.from({ length: 30 }, (_, i) => ({
      dim: 'feature',
      value: `f${String(i).padStart(2, '0')}`,
      num: 100 - i,
      den: 1,
      expectedValue: 100,
      sigma: 10,
      volume: 100,
    }));
    const result = explain({ total: { actual: 0, expected: 1 }, slices, metricName: 'x' });
    expect(result.top).toHaveLength(10);
    expect(result.top[0]!.value).toBe('f29');
    expect(result.dimensions.feature).toHaveLength(30);
  });

  it('gives shares and expected shares that sum to 1 per dimension, ranked by excess', () => {
    const slice = fc.record({
      dim: fc.constantFrom('region', 'device', 'plan'),
      value: fc.string({ minLength: 1, maxLength: 3 }),
      num: fc.integer({ min: 0, max: 1000 }),
      den: fc.integer({ min: 1, max: 1000 }),
      expectedValue: fc.double({ min: 0, max: 2, noNaN: true }),
      sigma: fc.double({ min: 0, max: 1, noNaN: true }),
      volume: fc.nat(),
    });
    /** Non-increasing, ignoring rounding error. */
    const descending = (xs: number[]) => {
      for (let i = 1; i < xs.length; i++) expect(xs[i - 1]!).toBeGreaterThanOrEqual(xs[i]! - 1e-9);
    };
    fc.assert(
      fc.property(fc.array(slice, { maxLength: 40 }), fc.boolean(), (slices, drop) => {
        const total = drop ? { actual: 0, expected: 1 } : { actual: 1, expected: 0 };
        const result = explain({ total, slices, metricName: 'm' });
        for (const list of Object.values(result.dimensions)) {
          const sum = list.reduce((s, c) => s + c.share, 0);
          if (list.some((c) => c.share !== 0)) expect(sum).toBeCloseTo(1, 6);
          const expectedSum = list.reduce((s, c) => s + c.expectedShare!, 0);
          if (list.some((c) => c.expectedShare !== 0)) expect(expectedSum).toBeCloseTo(1, 6);
          for (const c of list) {
            expect(c.expectedShare).toBeGreaterThanOrEqual(0);
            expect(c.expectedShare).toBeLessThanOrEqual(1);
            expect(c.excess).toBeCloseTo(c.share - c.expectedShare!, 9);
            expect(Number.isFinite(c.z)).toBe(true);
          }
          // Values that push with the deviation first, by excess; then the others by share.
          const pushing = list.filter((c) => c.share > 0);
          expect(list.slice(0, pushing.length)).toEqual(pushing);
          descending(pushing.map((c) => c.excess!));
          descending(list.slice(pushing.length).map((c) => c.share));
        }
        expect(result.top.length).toBeLessThanOrEqual(10);
        for (const c of result.top) {
          expect(c.share).toBeGreaterThan(0);
          expect(drop ? c.deviation < 0 : c.deviation > 0).toBe(true);
        }
        descending(result.top.map((c) => c.excess!));
        expect(result.sentence.length).toBeGreaterThan(0);
      }),
    );
  });
});

describe('classifySlices', () => {
  /** A slice of one dimension: share of the change, expected share, deviation sign from share × total. */
  const slice = (
    value: string,
    share: number,
    expectedShare: number | undefined,
    over: Partial<Contributor> = {},
  ): Contributor => ({
    dim: 'region',
    value,
    actual: 0,
    expected: 100,
    deviation: -100 * share, // a drop of 100 in total
    share,
    z: share === 0 ? 0 : -10 * Math.sign(share),
    volume: 0,
    ...(expectedShare === undefined ? {} : { expectedShare, excess: share - expectedShare }),
    ...over,
  });
  const tones = (list: Contributor[]) =>
    classifySlices(list).map((t) => `${t.direction}:${t.beyondShare ? 'beyond' : 'follows'}`);

  it('colours the cause and leaves the slices that followed their traffic grey', () => {
    // eu-west: 95% of the drop with 25% of the traffic; the others carry about their size.
    expect(
      tones([
        slice('eu-west', 0.95, 0.25),
        slice('us-east', 0.03, 0.4),
        slice('us-west', 0.02, 0.35),
      ]),
    ).toEqual(['down:beyond', 'down:follows', 'down:follows']);
    // A drop spread in proportion: nobody is coloured, however big.
    expect(tones([slice('a', 0.45, 0.4), slice('b', 0.33, 0.35), slice('c', 0.22, 0.25)])).toEqual([
      'down:follows',
      'down:follows',
      'down:follows',
    ]);
  });

  it('needs ten points beyond the expected share: the threshold is inclusive', () => {
    expect(BEYOND_SHARE).toBe(0.1);
    expect(tones([slice('a', 0.35, 0.25), slice('b', 0.65, 0.75)])[0]).toBe('down:beyond');
    expect(tones([slice('a', 0.34, 0.25), slice('b', 0.66, 0.75)])[0]).toBe('down:follows');
  });

  it('colours a slice that moved the other way by a tenth of the change or more', () => {
    // A drop of 100 in total: a fell 120, b rose 20 (share −0.2), c rose 1 (−0.01).
    const list = [
      slice('a', 1.19, 0.5),
      { ...slice('b', -0.2, 0.3), z: 4 },
      { ...slice('c', -0.01, 0.2), z: 0.3 },
    ];
    expect(tones(list)).toEqual(['down:beyond', 'up:beyond', 'up:follows']);
  });

  it('says why a slice is grey', () => {
    const reasons = classifySlices([
      slice('a', 0.8, 0.3),
      { ...slice('b', 0.3, 0.1), z: -1 },
      slice('c', -0.1, 0.6, { z: 0.5 }),
      slice('d', 0, 0, { deviation: 0 }),
    ]).map((t) => t.reason);
    expect(reasons).toEqual(['beyond', 'noise', 'noise', 'flat']);
    expect(classifySlices([slice('a', 0.5, 0.45), slice('b', 0.5, 0.55)])[0]!.reason).toBe('share');
  });

  it('leaves a slice within its noise grey, and a dimension whose changes cancel out', () => {
    expect(tones([{ ...slice('a', 0.9, 0.2), z: -1.5 }, slice('b', 0.1, 0.8)])[0]).toBe(
      'down:follows',
    );
    expect(
      tones([
        slice('a', 0, 0.5, { deviation: -20 }),
        slice('b', 0, 0.5, { deviation: 20 }),
        slice('c', 0, 0, { deviation: 0 }),
      ]),
    ).toEqual(['down:follows', 'up:follows', 'flat:follows']);
  });

  it('derives expected shares for explanations stored without them', () => {
    // Count: sized by the expected value; 300 of 1,000 expected.
    const count = [
      slice('a', 0.9, undefined, { expected: 300 }),
      slice('b', 0.1, undefined, { expected: 700 }),
    ];
    expect(classifySlices(count).map((t) => t.expectedShare)).toEqual([0.3, 0.7]);
    expect(tones(count)).toEqual(['down:beyond', 'down:follows']);
    // Ratio: by expected rate × volume (the denominator).
    const ratio = [
      slice('a', 0.5, undefined, { expected: 0.05, volume: 1000 }),
      slice('b', 0.5, undefined, { expected: 0.05, volume: 3000 }),
    ];
    expect(classifySlices(ratio, 'ratio').map((t) => t.expectedShare)).toEqual([0.25, 0.75]);
    expect(tones(ratio)).toEqual(['down:follows', 'down:follows']);
    expect(classifySlices(ratio, 'ratio').map((t) => t.beyondShare)).toEqual([true, false]);
  });

  it('agrees with the explanation: the value it names is coloured, proportional ones are not', () => {
    const { total, slices } = slicesOf(
      cube((region, device) => {
        const expected = 1000 * REGION_WEIGHT[region]! * DEVICE_WEIGHT[device]!;
        return { num: region === 'eu-west' ? expected * 0.4 : expected, den: 1, expected };
      }),
      'count',
    );
    const result = explain({ total, slices, metricName: 'purchases' });
    const byValue = (dim: string) =>
      Object.fromEntries(
        classifySlices(result.dimensions[dim]!).map((t, i) => [
          result.dimensions[dim]![i]!.value,
          t.beyondShare,
        ]),
      );
    expect(byValue('region')).toEqual({
      'eu-west': true,
      'us-east': false,
      'us-west': false,
      'ap-south': false,
    });
    expect(Object.values(byValue('device'))).toEqual([false, false, false]);
  });
});
