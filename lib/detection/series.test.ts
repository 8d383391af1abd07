import { describe, expect, it } from 'vitest';
import {
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
    const { rows } = scoreSeries(series(60, { 40: 40 }), DEFAULT_RULE);
    expect(rows).toHaveLength(60);
    for (const row of rows.slice(0, 8)) {
      expect(row).toMatchObject({ status: 'learning', score: 0, z: null, expected: null });
    }
    expect(rows[40]!.status).toBe('critical');
    expect(rows[40]!.score).toBeGreaterThan(0.8);
    const quiet = rows.slice(8).filter((_, i) => i + 8 !== 40);
    for (const row of quiet) expect(row.score, row.timestamp).toBeLessThan(0.5);
    expect(rows[9]!.expected).toBeCloseTo(100, -1);
    expect(rows[9]!.model).toBe('rolling');
  });

  it('scores in time order but answers in input order', () => {
    const points = series(40, { 39: 40 });
    const { rows } = scoreSeries([...points].reverse(), DEFAULT_RULE);
    expect(rows[0]!.timestamp).toBe(new Date(points[39]!.timestamp).toISOString());
    expect(rows[0]!.status).toBe('critical');
    expect(rows.at(-1)!.status).toBe('learning');
  });

  it('gives an empty value no score', () => {
    const points = series(20);
    points[15] = { ...points[15]!, value: null };
    const { rows } = scoreSeries(points, DEFAULT_RULE);
    expect(rows[15]).toMatchObject({ value: null, z: null, score: 0, status: 'low_volume' });
    expect(rows[16]!.status).toBe('ok');
  });

  it('forces the season of a seasonal rule from the start', () => {
    const points: SeriesPoint[] = [];
    for (let h = 0; h < 24 * 5; h++) {
      points.push({
        line: h + 1,
        timestamp: T0 + h * 3_600_000,
        value: 100 + 50 * Math.sin((2 * Math.PI * (h % 24)) / 24) + (h % 3),
      });
    }
    const scored = scoreSeries(points, { ...DEFAULT_RULE, baseline: 'seasonal', season: 'day' });
    expect(scored.models).toEqual([
      { from: '2026-01-05T00:00:00.000Z', model: 'seasonal-day', correlation: null },
    ]);
    const last = scored.rows.at(-1)!;
    expect(last.status).toBe('ok');
    expect(last.expected).toBeCloseTo(points.at(-1)!.value!, -1);
  });
});

/** A `timestamp,value` export of a daily shape every 5 minutes: 20 at night, 68 by day. */
function dailyExport(days: number, opts: { crlf?: boolean; header?: boolean } = {}): string {
  const lines = opts.header === false ? [] : ['timestamp,value'];
  for (let i = 0; i < days * 288; i++) {
    const t = T0 + i * 5 * MIN;
    const hour = new Date(t).getUTCHours();
    lines.push(`${new Date(t).toISOString()},${hour >= 8 && hour < 20 ? 68 : 20}`);
  }
  return lines.join(opts.crlf ? '\r\n' : '\n') + (opts.crlf ? '\r\n' : '\n');
}

const after = <R extends { timestamp: string }>(rows: readonly R[], ms: number) =>
  rows.filter((r) => Date.parse(r.timestamp) >= T0 + ms);

describe('real exports (parseSeries → scoreSeries)', () => {
  const DAY = 86_400_000;

  it('a series repeating exactly every day is quiet once the season is known (issue 16)', () => {
    // Before the series model: 1,479 of 4,032 points critical, z = 240, score 1.0.
    const { points } = parseSeries(dailyExport(14));
    expect(points).toHaveLength(4032);
    const scored = scoreSeries(points, DEFAULT_RULE);
    expect(scored.models.at(-1)).toMatchObject({ model: 'seasonal-day', correlation: 1 });
    const late = after(scored.rows, 2 * DAY);
    expect(late.filter((r) => r.score >= 0.5)).toEqual([]);
    expect(Math.max(...late.map((r) => Math.abs(r.z ?? 0)))).toBe(0);
  });

  it('reads CRLF line endings and a file with no header alike', () => {
    const lf = parseSeries(dailyExport(3));
    const crlf = parseSeries(dailyExport(3, { crlf: true }));
    const bare = parseSeries(dailyExport(3, { header: false }));
    expect(crlf.points).toEqual(lf.points);
    expect(bare.header).toBeNull();
    expect(bare.points.map((p) => p.value)).toEqual(lf.points.map((p) => p.value));
  });

  it('copes with irregular timestamps, gaps and duplicate timestamps', () => {
    const lines = ['time,value'];
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    for (let i = 0; i < 6 * 288; i++) {
      if (i >= 3 * 288 + 20 && i < 3 * 288 + 80) continue; // a 5-hour gap on day 4
      const t = T0 + i * 5 * MIN + Math.round((random() - 0.5) * 120) * 1000; // ±1 min jitter
      const hour = new Date(T0 + i * 5 * MIN).getUTCHours();
      const value = (hour >= 8 && hour < 20 ? 68 : 20) + (random() - 0.5) * 2;
      lines.push(`${new Date(t).toISOString()},${value.toFixed(2)}`);
      if (i % 97 === 0) lines.push(`${new Date(t).toISOString()},${(value + 0.5).toFixed(2)}`);
    }
    const { points } = parseSeries(lines.join('\n'));
    const scored = scoreSeries(points, DEFAULT_RULE);
    expect(scored.stepMs).toBeGreaterThan(4 * MIN);
    expect(scored.stepMs).toBeLessThan(6 * MIN);
    expect(scored.rows).toHaveLength(points.length);
    expect(scored.models.at(-1)!.model).toBe('seasonal-day');
    const late = after(scored.rows, 2 * DAY);
    expect(late.filter((r) => r.score >= 0.5).length).toBeLessThanOrEqual(2);
  });

  it('scores tens of thousands of rows in a few seconds', () => {
    // 70 days of 5-minute points: 20,160 rows (one row a line, as an export has them).
    const { points } = parseSeries(dailyExport(70));
    expect(points).toHaveLength(20_160);
    const started = performance.now();
    const scored = scoreSeries(points, DEFAULT_RULE);
    // A guard against a quadratic slip, not a benchmark: about 1 s on an idle core.
    expect(performance.now() - started).toBeLessThan(15_000);
    expect(after(scored.rows, 2 * DAY).every((r) => r.score < 0.5)).toBe(true);
  });
});
