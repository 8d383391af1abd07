/**
 * The explore page's reads against real PostgreSQL: the metric downsampled in SQL keeps every
 * spike and stays within the chart's width; a slice is scored against its own history and
 * shows its own drop; a split's lines and "other" add up to the total; anomalies overlap.
 */
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { naiveFold, naiveLeafFold } from '@/lib/stream/rollup-merge';
import { DEFAULT_RULE, type MetricDefinition, type PulseEvent } from '@/lib/types';
import { anomalies, leafRollups, metricPoints, metrics, rollups } from '@/db/schema';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  anomaliesInRange,
  metricSeries,
  metricsSeries,
  sliceConflict,
  sliceSeriesOf,
  splitOf,
} from './explore';
import { BOARD_BUCKETS, loadAnomalyDetail, loadBoard } from './views';

const W = 60_000;
const START = Date.UTC(2026, 10, 1);
const REGIONS = ['eu-west', 'us-east', 'ap-south', 'sa-east'];
/** Window index where eu-west's purchases fall to 30%. */
const DROP_AT = 100;
const WINDOWS = 120;
let t: TestDatabase;
let metricId: number;

const purchases: MetricDefinition = {
  id: 0,
  key: 'purchases',
  name: 'Purchases',
  kind: 'count',
  eventType: 'purchase',
  measure: null,
  denominatorEventType: null,
  extraEventTypes: [],
  filters: {},
  windowMultiple: 1,
  unit: '',
  enabled: true,
};

function events(): PulseEvent[] {
  const out: PulseEvent[] = [];
  for (let w = 0; w < WINDOWS; w++) {
    REGIONS.forEach((region, r) => {
      // eu-west 40 a window, us-east 30, ap-south 20, sa-east 10; eu-west falls at DROP_AT.
      let n = (4 - r) * 10 + ((w * 7 + r * 3) % 5);
      if (region === 'eu-west' && w >= DROP_AT) n = Math.round(n * 0.3);
      for (let i = 0; i < n; i++) {
        out.push({
          ts: START + w * W + i * 100,
          type: 'purchase',
          dims: { region, device: i % 3 === 0 ? 'ios' : 'android' },
          measures: {},
        });
      }
    });
  }
  return out;
}

beforeAll(async () => {
  t = await createTestDatabase();
  const [row] = await t.db
    .insert(metrics)
    .values({ key: 'purchases', name: 'Purchases', kind: 'count', eventType: 'purchase' })
    .returning({ id: metrics.id });
  metricId = row!.id;
  const all = events();
  const cells = naiveFold(all, W);
  for (let at = 0; at < cells.length; at += 1000) {
    await t.db
      .insert(rollups)
      .values(
        cells.slice(at, at + 1000).map((c) => ({ ...c, windowStart: new Date(c.windowStart) })),
      );
  }
  const leaves = naiveLeafFold(all, W);
  for (let at = 0; at < leaves.length; at += 1000) {
    await t.db
      .insert(leafRollups)
      .values(
        leaves.slice(at, at + 1000).map((c) => ({ ...c, windowStart: new Date(c.windowStart) })),
      );
  }
  // Three days of scored windows for the downsampling, with one spike and one dip.
  const points: (typeof metricPoints.$inferInsert)[] = [];
  for (let i = 0; i < 3 * 1440; i++) {
    const value = i === 2000 ? 10_000 : i === 3000 ? -500 : 100 + ((i * 37) % 11);
    points.push({
      metricId,
      windowStart: new Date(START + i * W),
      value: i % 500 === 7 ? null : value,
      expected: 100,
      sigma: 5,
      z: (value - 100) / 5,
      status: 'ok' as const,
      volume: value,
    });
  }
  for (let at = 0; at < points.length; at += 1000) {
    await t.db.insert(metricPoints).values(points.slice(at, at + 1000));
  }
  await t.db
    .insert(anomalies)
    .values([
      anomalyRow(metricId, 10, 12),
      anomalyRow(metricId, 500, 505),
      { ...anomalyRow(metricId, 50, 52), status: 'withdrawn' as const },
    ]);
});
afterAll(() => t.drop());

function anomalyRow(metric: number, first: number, last: number) {
  return {
    metricId: metric,
    status: 'resolved' as const,
    severity: 'critical' as const,
    direction: 'up' as const,
    firstWindow: new Date(START + first * W),
    lastWindow: new Date(START + last * W),
    peakWindow: new Date(START + first * W),
    value: 1,
    expected: 1,
    sigma: 1,
    z: 9,
    sentence: `anomaly at ${first}`,
    explanation: {} as never,
  };
}

describe('the metric over a long range', () => {
  it('keeps the highest and lowest window per bucket, within twice the width', async () => {
    const range = { from: START, to: START + 3 * 1440 * W };
    const { points, downsampled } = await metricSeries(t.db, metricId, range, 100, W);
    expect(downsampled).toBe(true);
    expect(points.length).toBeLessThanOrEqual(200);
    expect(points.length).toBeGreaterThan(100);
    const values = points.map((p) => p.value);
    expect(values).toContain(10_000);
    expect(values).toContain(-500);
    const times = points.map((p) => p.windowStart);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(points.find((p) => p.value === 10_000)).toMatchObject({
      windowStart: START + 2000 * W,
      expected: 100,
      sigma: 5,
    });
  });

  it('reads every window when the range is short', async () => {
    const range = { from: START, to: START + 60 * W };
    const { points, downsampled } = await metricSeries(t.db, metricId, range, 600, W);
    expect(downsampled).toBe(false);
    expect(points).toHaveLength(60);
  });
});

describe('several metrics over a range (the board)', () => {
  it('buckets each metric on its own, in one query', async () => {
    const [other] = await t.db
      .insert(metrics)
      .values({ key: 'other_metric', name: 'Other', kind: 'count', eventType: 'other' })
      .returning({ id: metrics.id });
    await t.db.insert(metricPoints).values(
      Array.from({ length: 600 }, (_, i) => ({
        metricId: other!.id,
        windowStart: new Date(START + i * W),
        value: i === 300 ? 1 : 50,
        expected: 50,
        sigma: 1,
        z: 0,
        status: 'ok' as const,
        volume: 50,
      })),
    );
    const range = { from: START, to: START + 3 * 1440 * W };
    const { series, downsampled } = await metricsSeries(t.db, [metricId, other!.id], range, 100, W);
    expect(downsampled).toBe(true);
    const mine = series.get(metricId)!;
    const theirs = series.get(other!.id)!;
    expect(mine.map((p) => p.value)).toContain(10_000);
    expect(theirs.map((p) => p.value)).toContain(1);
    expect(theirs.every((p) => p.windowStart < START + 600 * W)).toBe(true);
    // The same points as the metric read alone.
    expect(mine).toEqual((await metricSeries(t.db, metricId, range, 100, W)).points);
    const board = await loadBoard(t.db, { windowMs: W, range });
    const card = board.metrics.find((m) => m.id === metricId)!;
    expect(card.points.length).toBeLessThanOrEqual(2 * BOARD_BUCKETS);
    expect(card.points.map((p) => p.value)).toContain(-500);
    await t.db.delete(metrics).where(eq(metrics.id, other!.id));
  });

  it('gives nothing for no metrics', async () => {
    const { series } = await metricsSeries(t.db, [], { from: START, to: START + W }, 10, W);
    expect(series.size).toBe(0);
  });
});

describe('a drill-down over a range', () => {
  it('reads the range downsampled instead of the windows around the anomaly', async () => {
    const [row] = await t.db
      .select({ id: anomalies.id })
      .from(anomalies)
      .where(eq(anomalies.firstWindow, new Date(START + 500 * W)));
    const around = await loadAnomalyDetail(t.db, row!.id, W);
    expect(around!.points[0]!.windowStart).toBe(START + (500 - 30) * W);
    const range = { from: START, to: START + 3 * 1440 * W };
    const wide = await loadAnomalyDetail(t.db, row!.id, W, { range });
    expect(wide!.points.length).toBeLessThanOrEqual(1200);
    expect(wide!.points.map((p) => p.value)).toContain(10_000);
    expect(wide!.points[0]!.windowStart).toBe(START);
  });
});

describe('a slice', () => {
  it('is scored against its own history and shows its own drop', async () => {
    const range = { from: START + 60 * W, to: START + WINDOWS * W };
    const eu = await sliceSeriesOf(t.db, purchases, DEFAULT_RULE, { region: 'eu-west' }, range, W);
    expect(eu).toHaveLength(60);
    const before = eu.find((p) => p.windowStart === START + (DROP_AT - 1) * W)!;
    const after = eu.find((p) => p.windowStart === START + DROP_AT * W)!;
    expect(before.status).toBe('ok');
    expect(before.expected).toBeGreaterThan(38);
    expect(after.value).toBeLessThan(15);
    // 13 against about 42, with a Poisson σ of √42 ≈ 6.5 at least: z ≈ −4.5.
    expect(after.z).toBeLessThan(-4);
    expect(after.status).toBe('warn');
    const us = await sliceSeriesOf(t.db, purchases, DEFAULT_RULE, { region: 'us-east' }, range, W);
    expect(us.every((p) => p.status === 'ok')).toBe(true);
  });

  it('on two dimensions reads the leaf cube', async () => {
    const range = { from: START + 60 * W, to: START + 70 * W };
    const slice = await sliceSeriesOf(
      t.db,
      purchases,
      DEFAULT_RULE,
      { region: 'sa-east', device: 'ios' },
      range,
      W,
    );
    const total = slice.reduce((s, p) => s + (p.value ?? 0), 0);
    const expected = events().filter(
      (e) =>
        e.dims.region === 'sa-east' &&
        e.dims.device === 'ios' &&
        e.ts >= range.from &&
        e.ts < range.to,
    ).length;
    expect(total).toBe(expected);
  });

  it('that the metric’s own filter excludes is named as such', () => {
    expect(sliceConflict({ filters: { region: ['us-east'] } }, { region: 'eu-west' })).toMatch(
      /only counts region = us-east/,
    );
    expect(sliceConflict({ filters: { region: ['us-east'] } }, { region: 'us-east' })).toBeNull();
  });
});

describe('a split', () => {
  it('has its top values as lines and the rest as other, adding up to the total', async () => {
    const range = { from: START, to: START + 30 * W };
    const split = await splitOf(t.db, purchases, 'region', range, W, 2);
    expect(split.lines.map((l) => l.value)).toEqual(['eu-west', 'us-east']);
    expect(split.other?.values).toBe(2);
    const { points } = await metricSeries(t.db, metricId, range, 600, W);
    expect(points).toHaveLength(30);
    const totals = new Map<number, number>();
    for (const e of events()) {
      if (e.ts < range.to) {
        const w = e.ts - (e.ts % W);
        totals.set(w, (totals.get(w) ?? 0) + 1);
      }
    }
    for (let i = 0; i < 30; i++) {
      const sum =
        split.lines.reduce((s, l) => s + (l.points[i]!.value ?? 0), 0) +
        (split.other!.points[i]!.value ?? 0);
      expect(sum).toBe(totals.get(START + i * W));
    }
  });

  it('of a filtered metric reads the leaf cube', async () => {
    const range = { from: START, to: START + 10 * W };
    const split = await splitOf(
      t.db,
      { ...purchases, filters: { region: ['eu-west'] } },
      'device',
      range,
      W,
      5,
    );
    expect(split.lines.map((l) => l.value).sort()).toEqual(['android', 'ios']);
    expect(split.other).toBeNull();
    const eu = events().filter((e) => e.dims.region === 'eu-west' && e.ts < range.to).length;
    expect(split.lines.reduce((s, l) => s + l.volume, 0)).toBe(eu);
  });
});

describe('anomalies in a range', () => {
  it('are those that overlap it, withdrawn ones left out', async () => {
    const found = await anomaliesInRange(
      t.db,
      metricId,
      { from: START + 12 * W, to: START + 501 * W },
      W,
    );
    expect(found.map((a) => a.sentence)).toEqual(['anomaly at 500', 'anomaly at 10']);
    expect(found[1]!.end).toBe(START + 13 * W);
    const none = await anomaliesInRange(
      t.db,
      metricId,
      { from: START + 13 * W, to: START + 40 * W },
      W,
    );
    expect(none).toEqual([]);
  });
});
