import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anomalyScore,
  csvKind,
  parseSeries,
  parseTimestamp,
  scoreSeries,
  SeriesInputError,
  type SeriesPoint,
} from './series';
import { DEFAULT_RULE } from '@/lib/types';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;

/** A quiet series around 100 (deterministic wobble), with `spikes` added at given indices. */
function series(n: number, spikes: Record<number, number> = {}): SeriesPoint[] {
  return Array.from({ length: n }, (_, i) => ({
    line: i + 1,
    timestamp: T0 + i * MIN,
    value: 100 + 3 * Math.sin(i * 1.7) + (spikes[i] ?? 0),
  }));
}

describe('anomalyScore', () => {
  it('is 0 at z = 0, about 0.5 at the warn z and 0.95 at the critical z, below 1', () => {
    expect(anomalyScore(0, DEFAULT_RULE)).toBe(0);
    expect(anomalyScore(3, DEFAULT_RULE)).toBeCloseTo(0.494, 3);
    expect(anomalyScore(-5, DEFAULT_RULE)).toBeCloseTo(0.949, 3);
    expect(anomalyScore(1e6, DEFAULT_RULE)).toBeLessThanOrEqual(1);
    expect(anomalyScore(Number.NaN, DEFAULT_RULE)).toBe(0);
  });

  it('stays in [0, 1], is symmetric and never decreases with |z|', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: 0.5, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (z, dz, warnZ, gap) => {
          const rule = { warnZ, criticalZ: warnZ + gap, direction: 'both' as const };
          const s = anomalyScore(z, rule);
          expect(s).toBeGreaterThanOrEqual(0);
          expect(s).toBeLessThanOrEqual(1);
          expect(anomalyScore(-z, rule)).toBe(s);
          const further = z >= 0 ? z + dz : z - dz;
          expect(anomalyScore(further, rule)).toBeGreaterThanOrEqual(s);
        },
      ),
    );
  });

  it('ignores the side a one-sided rule ignores', () => {
    expect(anomalyScore(-6, { ...DEFAULT_RULE, direction: 'up' })).toBe(0);
    expect(anomalyScore(6, { ...DEFAULT_RULE, direction: 'up' })).toBeGreaterThan(0.9);
    expect(anomalyScore(6, { ...DEFAULT_RULE, direction: 'down' })).toBe(0);
  });
});

describe('parseTimestamp', () => {
  it('reads epoch ms, RFC 3339 and date-times without a zone as UTC', () => {
    expect(parseTimestamp(String(T0))).toBe(T0);
    expect(parseTimestamp('2026-01-05T00:00:00Z')).toBe(T0);
    expect(parseTimestamp('2026-01-05T01:00:00+01:00')).toBe(T0);
    expect(parseTimestamp('2026-01-05')).toBe(T0);
    expect(parseTimestamp('2026-01-05 00:01')).toBe(T0 + MIN);
    expect(parseTimestamp(' 2026-01-05 00:00:01.5 ')).toBe(T0 + 1500);
  });

  it('refuses what is not a time', () => {
    for (const bad of ['', 'yesterday', '2026-02-30', '2026-01-05 24:00', '1.5', '2026-13-01']) {
      expect(parseTimestamp(bad), bad).toBeNull();
    }
  });
});

describe('csvKind and parseSeries', () => {
  it('tells an events header from a time series', () => {
    expect(csvKind(['ts', 'type', 'dims.region'])).toBe('events');
    expect(csvKind(['timestamp', 'value'])).toBe('series');
    expect(csvKind(['2026-01-05', '3'])).toBe('series');
    expect(() => csvKind(['a', 'b', 'c'])).toThrow(SeriesInputError);
  });

  it('detects a header row and reads points with their lines', () => {
    const withHeader = parseSeries(
      'time,requests\n2026-01-05T00:00:00Z,10\n\n2026-01-05T00:01:00Z,\n',
    );
    expect(withHeader.header).toEqual(['time', 'requests']);
    expect(withHeader.points).toEqual([
      { line: 2, timestamp: T0, value: 10 },
      { line: 3, timestamp: T0 + MIN, value: null },
    ]);
    const bare = parseSeries(`${T0},1.5\n${T0 + MIN},-2e3\n`);
    expect(bare.header).toBeNull();
    expect(bare.points.map((p) => p.value)).toEqual([1.5, -2000]);
  });

  it('names the line of a bad row', () => {
    expect(() => parseSeries('timestamp,value\n2026-01-05,1\nnot a time,2\n')).toThrow(/line 3/);
    expect(() => parseSeries('timestamp,value\n2026-01-05,abc\n')).toThrow(/line 2: "abc"/);
    expect(() => parseSeries('timestamp,value\n2026-01-05,1,2\n')).toThrow(/2 columns/);
    expect(() => parseSeries('timestamp,value\n')).toThrow(/no points/);
    expect(() => parseSeries('')).toThrow(SeriesInputError);
  });
});

describe('scoreSeries', () => {
  it('learns first (score 0), then scores a spike high and quiet points low', () => {
    const rows = scoreSeries(series(40, { 30: 40 }), DEFAULT_RULE);
    expect(rows).toHaveLength(40);
    for (const row of rows.slice(0, 8)) {
      expect(row).toMatchObject({ status: 'learning', score: 0, z: null, expected: null });
    }
    expect(rows[30]!.status).toBe('critical');
    expect(rows[30]!.score).toBeGreaterThan(0.95);
    const quiet = rows.slice(8).filter((_, i) => i + 8 !== 30);
    for (const row of quiet) expect(row.score, row.timestamp).toBeLessThan(0.5);
    expect(rows[9]!.expected).toBeCloseTo(100, 0);
  });

  it('leaves alerting points out of later baselines', () => {
    const rows = scoreSeries(series(40, { 25: 50, 26: 50 }), DEFAULT_RULE);
    // The second spike is scored against the quiet points only, so it alerts too.
    expect(rows[25]!.status).toBe('critical');
    expect(rows[26]!.status).toBe('critical');
    expect(rows[27]!.expected).toBeCloseTo(100, 0);
  });

  it('scores in time order but answers in input order', () => {
    const points = series(30, { 29: 40 });
    const shuffled = [...points].reverse();
    const rows = scoreSeries(shuffled, DEFAULT_RULE);
    expect(rows[0]!.timestamp).toBe(new Date(points[29]!.timestamp).toISOString());
    expect(rows[0]!.status).toBe('critical');
    expect(rows.at(-1)!.status).toBe('learning');
  });

  it('gives an empty value no score', () => {
    const points = series(20);
    points[15] = { ...points[15]!, value: null };
    const rows = scoreSeries(points, DEFAULT_RULE);
    expect(rows[15]).toMatchObject({ value: null, z: null, score: 0, status: 'low_volume' });
    expect(rows[16]!.status).toBe('ok');
  });

  it('uses the seasonal baseline when the rule asks for it', () => {
    const DAY = 86_400_000;
    const points: SeriesPoint[] = [];
    // Hourly points over 5 days: a daily cycle; the same hour each day has the same value.
    for (let h = 0; h < 24 * 5; h++) {
      points.push({
        line: h + 1,
        timestamp: T0 + h * 3_600_000,
        value: 100 + 50 * Math.sin((2 * Math.PI * (h % 24)) / 24) + (h % 3),
      });
    }
    const seasonal = scoreSeries(points, { ...DEFAULT_RULE, baseline: 'seasonal' });
    const last = seasonal.at(-1)!;
    expect(points.at(-1)!.timestamp - 3 * DAY).toBeGreaterThan(T0);
    expect(last.status).toBe('ok');
    expect(last.expected).toBeCloseTo(points.at(-1)!.value!, -1);
  });
});
