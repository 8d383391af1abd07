import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUCKETS,
  MAX_BUCKETS,
  MIN_BUCKETS,
  breakGaps,
  bucketsFor,
  downsampleMinMax,
  gapThreshold,
} from './downsample';
import type { WindowPoint } from '@/lib/types';

interface Point {
  t: number;
  v: number | null;
}

const time = (p: Point) => p.t;
const value = (p: Point) => p.v;
const points = (...pairs: [number, number | null][]): Point[] => pairs.map(([t, v]) => ({ t, v }));
/** The values of the points picked, for readable expectations. */
const pick = (series: Point[], from: number, to: number, buckets: number) =>
  downsampleMinMax(series, { from, to, buckets, time, value });

describe('downsampleMinMax', () => {
  it('returns a short series as it is, as a copy', () => {
    const series = points([0, 1], [1, 5], [2, null], [3, 2]);
    const picked = pick(series, 0, 4, 2);
    expect(picked).toEqual(series);
    expect(picked).not.toBe(series);
    expect(pick([], 0, 10, 1)).toEqual([]);
  });

  it('keeps the minimum and the maximum of each bucket, in time order', () => {
    // Two buckets of 5 ms; in the first the maximum comes before the minimum.
    const series = points([0, 3], [1, 9], [2, 1], [3, 4], [5, 2], [6, 2], [7, 8], [9, 5]);
    expect(pick(series, 0, 10, 2)).toEqual(points([1, 9], [2, 1], [5, 2], [7, 8]));
  });

  it('keeps one point where the minimum and the maximum are the same point', () => {
    const series = points([0, 4], [1, null], [2, null], [3, null], [5, 1], [6, 2], [7, 3]);
    expect(pick(series, 0, 10, 2)).toEqual(points([0, 4], [5, 1], [7, 3]));
  });

  it('keeps the first of equal values', () => {
    const series = points([0, 2], [1, 2], [2, 2], [3, 2], [4, 2], [5, 2]);
    expect(pick(series, 0, 6, 1)).toEqual(points([0, 2]));
  });

  it('keeps the first point of a bucket with no values, so the gap shows', () => {
    const series = points([0, 1], [1, 2], [2, 3], [5, null], [6, null], [7, null], [8, null]);
    expect(pick(series, 0, 10, 2)).toEqual(points([0, 1], [2, 3], [5, null]));
  });

  it('treats NaN as a gap', () => {
    const series = points([0, NaN], [1, NaN], [2, NaN], [3, 7], [4, NaN]);
    expect(pick(series, 0, 5, 1)).toEqual(points([3, 7]));
  });

  it('counts points outside [from, to) in the edge buckets', () => {
    const series = points([-5, 100], [0, 1], [1, 2], [9, 3], [10, -100], [20, 0]);
    expect(pick(series, 0, 10, 2)).toEqual(points([-5, 100], [0, 1], [9, 3], [10, -100]));
  });

  it("uses the series' own span when from and to make no range", () => {
    const series = points([0, 1], [1, 5], [2, 3], [10, 4], [11, 0], [12, 2]);
    const expected = points([0, 1], [1, 5], [10, 4], [11, 0]);
    expect(pick(series, 5, 5, 2)).toEqual(expected);
    expect(pick(series, NaN, 5, 2)).toEqual(expected);
  });

  it('treats a bucket count below one as one', () => {
    const series = points([0, 1], [1, 5], [2, 3]);
    expect(pick(series, 0, 3, 0)).toEqual(points([0, 1], [1, 5]));
    expect(pick(series, 0, 3, NaN)).toEqual(points([0, 1], [1, 5]));
  });

  it('takes 30 days of 1-minute windows down to 720 buckets', () => {
    const from = Date.UTC(2026, 10, 1);
    const series: Point[] = Array.from({ length: 43_200 }, (_, i) => ({
      t: from + i * 60_000,
      v: i % 997 === 0 ? null : Math.sin(i / 50) + (i === 30_001 ? 100 : 0),
    }));
    const picked = downsampleMinMax(series, {
      from,
      to: from + 43_200 * 60_000,
      buckets: 720,
      time,
      value,
    });
    expect(picked.length).toBeGreaterThan(720);
    expect(picked.length).toBeLessThanOrEqual(1440);
    expect(picked).toContain(series[30_001]);
  });

  const FROM = 1_000;
  const TO = 11_000;
  /** A time-ordered series over [FROM, TO) with repeated times, gaps and runs of nulls. */
  const series = fc
    .array(
      fc.record({
        t: fc.integer({ min: FROM, max: TO - 1 }),
        v: fc.oneof(
          { weight: 1, arbitrary: fc.constant(null) },
          { weight: 4, arbitrary: fc.integer({ min: -50, max: 50 }) },
          { weight: 1, arbitrary: fc.double({ noNaN: true, min: -1e6, max: 1e6 }) },
        ),
      }),
      { maxLength: 400 },
    )
    .map((list) => list.sort((a, b) => a.t - b.t));
  const bucketCount = fc.integer({ min: 1, max: 60 });
  /** Map.groupBy, which Node 20 lacks. */
  const groupBy = <K, V>(list: readonly V[], key: (v: V) => K): Map<K, V[]> => {
    const groups = new Map<K, V[]>();
    for (const v of list) {
      const k = key(v);
      groups.set(k, [...(groups.get(k) ?? []), v]);
    }
    return groups;
  };
  const bucketOf = (p: Point, buckets: number) =>
    Math.floor(((p.t - FROM) * buckets) / (TO - FROM));

  it('returns a subset of the input, in input order', () => {
    fc.assert(
      fc.property(series, bucketCount, (list, buckets) => {
        const index = new Map(list.map((p, i) => [p, i]));
        const picked = pick(list, FROM, TO, buckets);
        const at = picked.map((p) => index.get(p));
        expect(at.every((i) => i !== undefined)).toBe(true);
        for (let i = 1; i < at.length; i++) expect(at[i]!).toBeGreaterThan(at[i - 1]!);
      }),
    );
  });

  it('returns at most 2 points a bucket (so at most 2·buckets + the all-null buckets)', () => {
    fc.assert(
      fc.property(series, bucketCount, (list, buckets) => {
        const picked = pick(list, FROM, TO, buckets);
        expect(picked.length).toBeLessThanOrEqual(2 * buckets);
        if (list.length <= 2 * buckets) return; // short: returned whole
        const perBucket = new Map<number, number>();
        for (const p of picked) {
          const b = bucketOf(p, buckets);
          perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
        }
        for (const n of perBucket.values()) expect(n).toBeLessThanOrEqual(2);
      }),
    );
  });

  it('keeps the global minimum and maximum', () => {
    fc.assert(
      fc.property(series, bucketCount, (list, buckets) => {
        const values = list.flatMap((p) => (p.v === null ? [] : [p.v]));
        fc.pre(values.length > 0);
        const kept = pick(list, FROM, TO, buckets).map((p) => p.v);
        expect(kept).toContain(Math.min(...values));
        expect(kept).toContain(Math.max(...values));
      }),
    );
  });

  it('keeps every bucket: its min and max, or its first point when all are null', () => {
    fc.assert(
      fc.property(series, bucketCount, (list, buckets) => {
        fc.pre(list.length > 2 * buckets);
        const picked = pick(list, FROM, TO, buckets);
        const groups = groupBy(list, (p) => bucketOf(p, buckets));
        const keptGroups = groupBy(picked, (p) => bucketOf(p, buckets));
        expect([...keptGroups.keys()]).toEqual([...groups.keys()]);
        for (const [b, group] of groups) {
          const kept = keptGroups.get(b)!;
          const values = group.flatMap((p) => (p.v === null ? [] : [p.v]));
          if (values.length === 0) {
            expect(kept).toEqual([group[0]]);
          } else {
            const keptValues = kept.map((p) => p.v);
            expect(keptValues).toContain(Math.min(...values));
            expect(keptValues).toContain(Math.max(...values));
            expect(kept.length).toBe(Math.min(...values) === Math.max(...values) ? 1 : 2);
          }
        }
      }),
    );
  });

  it('is the identity on a short series', () => {
    fc.assert(
      fc.property(series, bucketCount, (list, buckets) => {
        fc.pre(list.length <= 2 * buckets);
        expect(pick(list, FROM, TO, buckets)).toEqual(list);
      }),
    );
  });
});

describe('bucketsFor', () => {
  it.each([
    [undefined, DEFAULT_BUCKETS],
    [NaN, DEFAULT_BUCKETS],
    [800, 800],
    [799.6, 800],
    [10, MIN_BUCKETS],
    [-1, MIN_BUCKETS],
    [-Infinity, MIN_BUCKETS],
    [5000, MAX_BUCKETS],
    [Infinity, MAX_BUCKETS],
  ])('%s px → %d buckets', (width, buckets) => {
    expect(bucketsFor(width)).toBe(buckets);
  });

  it('is 50..2000, 600 by default', () => {
    expect([MIN_BUCKETS, MAX_BUCKETS, DEFAULT_BUCKETS]).toEqual([50, 2000, 600]);
  });
});

const at = (windowStart: number, value = 1): WindowPoint => ({
  windowStart,
  value,
  expected: 1,
  sigma: 0.1,
  z: 0,
  volume: 10,
  status: 'ok',
  anomalyId: null,
});

describe('breakGaps', () => {
  it('leaves windows closer than the gap as they are', () => {
    const points = [at(0), at(60_000), at(180_000)];
    expect(breakGaps(points, 180_000)).toEqual(points);
  });

  it('puts one empty window after the last one before each gap', () => {
    const out = breakGaps([at(0), at(60_000), at(3_600_000), at(7_300_000)], 180_000);
    expect(out.map((p) => [p.windowStart, p.value])).toEqual([
      [0, 1],
      [60_000, 1],
      [60_001, null],
      [3_600_000, 1],
      [3_600_001, null],
      [7_300_000, 1],
    ]);
    expect(out.filter((p) => p.value === null).every((p) => p.expected === null)).toBe(true);
  });
});

describe('gapThreshold', () => {
  const starts = (...ms: number[]) => ms.map((windowStart) => at(windowStart));

  it('is four windows for consecutive windows', () => {
    expect(gapThreshold(starts(0, 60_000, 120_000, 180_000), 60_000)).toBe(240_000);
  });

  it('follows the usual step of a downsampled range', () => {
    expect(gapThreshold(starts(0, 600_000, 1_200_000, 1_800_000), 60_000)).toBe(2_400_000);
  });

  it('is four windows when there is nothing to measure', () => {
    expect(gapThreshold(starts(0), 10_000)).toBe(40_000);
  });
});
