import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { explain, type SliceInput } from './rootcause';

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
    expect(first!.z).toBeCloseTo(-180 / Math.sqrt(300), 12);
    expect(rest.every((c) => c.share === 0 && c.z === 0)).toBe(true);
    for (const device of result.dimensions.device!) expect(device.share).toBeCloseTo(1 / 3, 12);

    expect(result.top[0]).toBe(first);
    expect(result.top.map((c) => `${c.dim}=${c.value}`)).toEqual([
      'region=eu-west',
      'device=android',
      'device=desktop',
      'device=ios',
    ]);
    expect(result.sentence).toBe(
      'region=eu-west accounts for 100% of the drop in purchases (120 vs 300 expected)',
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
      'region=eu-west accounts for 100% of the drop in conversion (2.00% vs 5.00% expected)',
    );
  });

  it('says so when no single value explains the change', () => {
    const drops: Record<string, number> = {
      'us-east': 40,
      'us-west': 30,
      'eu-west': 20,
      'ap-south': 10,
    };
    const slices: SliceInput[] = REGIONS.map((value) => ({
      dim: 'region',
      value,
      num: 100 - drops[value]!,
      den: 1,
      expectedValue: 100,
      sigma: 10,
      volume: 100,
    }));
    const result = explain({
      total: { actual: 300, expected: 400 },
      slices,
      metricName: 'purchases',
    });
    expect(result.top.map((c) => c.share)).toEqual([0.4, 0.3, 0.2, 0.1]);
    expect(result.sentence).toBe(
      'no single value explains it; the largest contributors are region=us-east (40%), region=us-west (30%) and region=eu-west (20%)',
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
      'plan=free accounts for 100% of the rise in errors (160 vs 100 expected)',
    );
    expect(result.dimensions.plan!.map((c) => c.value)).toEqual(['free', 'pro', 'team']);
    expect(result.dimensions.plan![2]!.share).toBeCloseTo(-2 / 3, 12);
  });

  it('stores raw shares above 1 when values offset each other, and clamps them in the sentence', () => {
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
      'region=a accounts for 100% of the drop in purchases (50 vs 100 expected)',
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
    expect(result.sentence).toBe('no dimension value explains the rise in purchases');
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
    expect(result.sentence).toMatch(/^region=a accounts for 80% of the drop/);
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
      sentence: 'no dimension value explains the drop in purchases',
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

  it('gives shares that sum to 1 per dimension and lists each dimension by descending share', () => {
    const slice = fc.record({
      dim: fc.constantFrom('region', 'device', 'plan'),
      value: fc.string({ minLength: 1, maxLength: 3 }),
      num: fc.integer({ min: 0, max: 1000 }),
      den: fc.integer({ min: 1, max: 1000 }),
      expectedValue: fc.double({ min: 0, max: 2, noNaN: true }),
      sigma: fc.double({ min: 0, max: 1, noNaN: true }),
      volume: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(slice, { maxLength: 40 }), fc.boolean(), (slices, drop) => {
        const total = drop ? { actual: 0, expected: 1 } : { actual: 1, expected: 0 };
        const result = explain({ total, slices, metricName: 'm' });
        for (const list of Object.values(result.dimensions)) {
          const sum = list.reduce((s, c) => s + c.share, 0);
          if (list.some((c) => c.share !== 0)) expect(sum).toBeCloseTo(1, 6);
          for (let i = 1; i < list.length; i++)
            expect(list[i - 1]!.share).toBeGreaterThanOrEqual(list[i]!.share);
          for (const c of list) expect(Number.isFinite(c.z)).toBe(true);
        }
        expect(result.top.length).toBeLessThanOrEqual(10);
        for (const c of result.top) {
          expect(c.share).toBeGreaterThan(0);
          expect(drop ? c.deviation < 0 : c.deviation > 0).toBe(true);
        }
        expect(result.sentence.length).toBeGreaterThan(0);
      }),
    );
  });
});
