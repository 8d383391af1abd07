/**
 * The pure parts of the detector's batched reads and writes (db/queries/points.ts,
 * db/queries/engine-store.ts): the baseline cut from a metric's latest points, the rows one
 * multi-row upsert writes, and which outcomes may wait for it.
 */
import { describe, expect, it } from 'vitest';
import type { MetricOutcome } from '@/lib/detection/engine';
import type { Score } from '@/lib/types';
import { pointOnly } from './engine-store';
import { baselineOf, type BaselineRow } from './points';
import { pointRows } from './points-batched';

const W = 60_000;

describe('baselineOf', () => {
  it('keeps the newest `limit` points with a value that did not alert, oldest first', () => {
    const latest: BaselineRow[] = [
      { windowStart: 9 * W, value: 9, status: 'ok' },
      { windowStart: 8 * W, value: 8, status: 'warn' },
      { windowStart: 7 * W, value: null, status: 'ok' },
      { windowStart: 6 * W, value: 6, status: 'learning' },
      { windowStart: 5 * W, value: 5, status: 'critical' },
      { windowStart: 4 * W, value: 4, status: 'low_volume' },
      { windowStart: 3 * W, value: 3, status: 'ok' },
      { windowStart: 2 * W, value: 2, status: 'ok' },
    ];
    expect(baselineOf(latest, 3)).toEqual([
      { windowStart: 3 * W, value: 3 },
      { windowStart: 6 * W, value: 6 },
      { windowStart: 9 * W, value: 9 },
    ]);
    expect(baselineOf(latest, 0)).toEqual([]);
    expect(baselineOf([], 5)).toEqual([]);
  });
});

const score = (value: number, status: Score['status'] = 'ok'): Score => ({
  value,
  expected: 1,
  sigma: 0.5,
  z: (value - 1) / 0.5,
  status,
  severity: null,
  direction: null,
  baselineUsed: 'rolling',
});

describe('pointRows', () => {
  it('writes non-finite numbers as null, as upsertPoint does', () => {
    const [row] = pointRows([
      {
        metricId: 1,
        windowStart: W,
        score: { ...score(Number.NaN), expected: Infinity, sigma: -Infinity },
        volume: 0,
        anomalyId: null,
      },
    ]);
    expect(row).toEqual({
      metricId: 1,
      windowStart: W,
      value: null,
      expected: null,
      sigma: null,
      z: null,
      volume: 0,
      status: 'ok',
      anomalyId: null,
    });
  });

  it('writes a point twice in one statement as its later write (one row per key)', () => {
    const rows = pointRows([
      { metricId: 1, windowStart: W, score: score(2), volume: 1, anomalyId: null },
      { metricId: 2, windowStart: W, score: score(3), volume: 1, anomalyId: null },
      { metricId: 1, windowStart: 2 * W, score: score(4), volume: 1, anomalyId: null },
      { metricId: 1, windowStart: W, score: score(5, 'learning'), volume: 7, anomalyId: null },
    ]);
    expect(rows.map((r) => [r.metricId, r.windowStart, r.value, r.status, r.volume])).toEqual([
      [2, W, 3, 'ok', 1],
      [1, 2 * W, 4, 'ok', 1],
      [1, W, 5, 'learning', 7],
    ]);
  });
});

describe('pointOnly', () => {
  const step = (kind: MetricOutcome['step']['kind']) => ({ kind }) as MetricOutcome['step'];
  it('holds back the outcomes that write a point and nothing else', () => {
    expect(pointOnly({ step: step('none') })).toBe(true);
    expect(pointOnly({ step: step('pending') })).toBe(true);
    for (const kind of ['open', 'extend', 'count_normal', 'resolve'] as const) {
      expect(pointOnly({ step: step(kind) })).toBe(false);
    }
  });
  it('not when the window has an interim anomaly to confirm or withdraw', () => {
    expect(pointOnly({ step: step('none'), interimId: 4 })).toBe(false);
    expect(pointOnly({ step: step('none'), interimId: null })).toBe(true);
  });
});
