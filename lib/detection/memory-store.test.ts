import { describe, expect, it } from 'vitest';
import type { MetricOutcome } from './engine';
import { MemoryEngineStore } from './memory-store';
import { stepIncident } from './hysteresis';
import { defaultMetrics } from '@/lib/metrics/defaults';
import {
  DEFAULT_RULE,
  type Explanation,
  type MetricDefinition,
  type PointStatus,
  type RollupDelta,
  type Score,
} from '@/lib/types';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const metric: MetricDefinition = { ...defaultMetrics()[0]!, id: 1 };
const rule = { ...DEFAULT_RULE, consecutiveWindows: 2, resolveAfter: 2 };
const explanation: Explanation = { dimensions: {}, top: [], sentence: 'because' };

function score(value: number, z: number, status: PointStatus): Score {
  const severity = status === 'warn' || status === 'critical' ? status : null;
  return {
    value,
    expected: 100,
    sigma: 10,
    z,
    status,
    severity,
    direction: z > 0 ? 'up' : z < 0 ? 'down' : null,
    baselineUsed: 'rolling',
  };
}

/** Scores one window through the store the way the engine does (state → step → record). */
async function scoreAt(store: MemoryEngineStore, i: number, z: number, status: PointStatus) {
  const windowStart = T0 + i * W;
  const s = score(100 + 10 * z, z, status);
  const state = await store.incident(metric.id, windowStart, W, rule.consecutiveWindows);
  const { step } = stepIncident(state, { windowStart, severity: s.severity, z }, rule);
  const peak =
    step.kind === 'open'
      ? { windowStart: step.anomaly.peakWindow, score: s, explanation }
      : step.kind === 'extend' && step.peak
        ? { windowStart, score: s, explanation: { ...explanation, sentence: `peak ${i}` } }
        : null;
  const outcome: MetricOutcome = {
    metric,
    rule,
    windowStart,
    windowMs: W,
    score: s,
    volume: 50,
    step,
    openId: state.openId,
    peak,
  };
  return { step, id: await store.record(outcome) };
}

describe('MemoryEngineStore', () => {
  it('adds deltas like the upsert: counts and sums add, min/max combine, NaN as PostgreSQL orders it', async () => {
    const store = new MemoryEngineStore();
    const cell: RollupDelta = {
      windowStart: T0,
      eventType: 'purchase',
      dim: '*',
      value: '*',
      measure: 'revenue',
      count: 2,
      sum: 10,
      sumsq: 60,
      min: 4,
      max: 6,
    };
    store.addRollups([cell]);
    store.addRollups([{ ...cell, count: 1, sum: 1, sumsq: 1, min: 1, max: 1 }]);
    store.addRollups([{ ...cell, count: 0, sum: 0, sumsq: 0, min: NaN, max: NaN }]);
    expect(await store.cells([T0], ['purchase'])).toEqual([
      { ...cell, count: 3, sum: 11, sumsq: 61, min: 1, max: NaN },
    ]);
    expect(await store.cells([T0 + W], ['purchase'])).toEqual([]);
    expect(await store.cells([T0], ['error'])).toEqual([]);
    // Callers get copies.
    const [read] = await store.cells([T0], ['purchase']);
    read!.count = 999;
    expect((await store.cells([T0], ['purchase']))[0]!.count).toBe(3);

    const leaf = {
      windowStart: T0,
      eventType: 'purchase',
      leaf: '{}',
      measure: '',
      count: 2,
      sum: 0,
      sumsq: 0,
    };
    store.addLeaves([leaf, { ...leaf, windowStart: T0 + W }]);
    store.addLeaves([leaf]);
    expect(await store.leaves([T0, T0 + W], ['purchase'])).toEqual([
      { ...leaf, count: 4 },
      { ...leaf, windowStart: T0 + W },
    ]);
    store.dropCellsBefore(T0 + W);
    expect(await store.leaves([T0, T0 + W], ['purchase'])).toEqual([
      { ...leaf, windowStart: T0 + W },
    ]);
  });

  it('reads history as baselineHistory does: alerting windows left out, 2·limit windows back', async () => {
    const store = new MemoryEngineStore();
    const statuses: PointStatus[] = [
      'learning',
      'ok',
      'warn',
      'ok',
      'low_volume',
      'ok',
      'critical',
      'ok',
    ];
    for (const [i, status] of statuses.entries()) {
      const z = status === 'warn' || status === 'critical' ? 4 : 0;
      await store.record({
        metric,
        rule: { ...rule, consecutiveWindows: 5 },
        windowStart: T0 + i * W,
        windowMs: W,
        score: score(i, z, status),
        volume: 1,
        step:
          status === 'warn' || status === 'critical'
            ? {
                kind: 'pending',
                run: {
                  firstWindow: 0,
                  lastWindow: 0,
                  count: 1,
                  peakWindow: 0,
                  peakZ: z,
                  severity: 'warn',
                  direction: 'up',
                },
              }
            : { kind: 'none', dropped: null },
        openId: null,
        peak: null,
      });
    }
    const at = (i: number) => T0 + i * W;
    expect(await store.history(1, at(8), 20)).toEqual(
      [0, 1, 3, 5, 7].map((i) => ({ windowStart: at(i), value: i })),
    );
    // limit 2 looks at the last 4 windows (4..7): two of them count.
    expect(await store.history(1, at(8), 2)).toEqual([
      { windowStart: at(5), value: 5 },
      { windowStart: at(7), value: 7 },
    ]);
    // limit 1 before window 7 looks at windows 5 and 6 only.
    expect(await store.history(1, at(7), 1)).toEqual([{ windowStart: at(5), value: 5 }]);
    expect(await store.history(1, at(3), 5)).toEqual([
      { windowStart: at(0), value: 0 },
      { windowStart: at(1), value: 1 },
    ]);
    expect(await store.history(2, at(8), 5)).toEqual([]);
  });

  it('reads the same slot on earlier days for a seasonal baseline', async () => {
    const store = new MemoryEngineStore();
    const DAY = 86_400_000;
    const now = T0 + 10 * DAY;
    for (const [d, status] of [
      [1, 'ok'],
      [2, 'warn'],
      [3, 'ok'],
      [9, 'ok'],
    ] as const) {
      await store.record({
        metric,
        rule,
        windowStart: now - d * DAY,
        windowMs: W,
        score: score(d, 0, status),
        volume: 1,
        step: { kind: 'none', dropped: null },
        openId: null,
        peak: null,
      });
    }
    expect(await store.seasonal(1, now, 'day', 7)).toEqual([
      { windowStart: now - 3 * DAY, value: 3 },
      { windowStart: now - DAY, value: 1 },
    ]);
    expect(await store.seasonal(1, now, 'day', 0)).toEqual([]);
  });

  it('takes stored points in any order and reads them as if it had recorded them', async () => {
    const DAY = 86_400_000;
    const now = T0 + 10 * DAY;
    const point = (windowStart: number, value: number, status: PointStatus) => ({
      metricId: 1,
      windowStart,
      value,
      expected: 100,
      sigma: 10,
      z: status === 'warn' ? 4 : 0,
      volume: 1,
      status,
      anomalyId: null,
    });
    const store = new MemoryEngineStore();
    // Shuffled: the last three windows before `now` and the same slot on earlier days.
    store.addPoints([
      point(now - W, 3, 'ok'),
      point(now - 2 * DAY, 20, 'ok'),
      point(now - 3 * W, 1, 'ok'),
      point(now - DAY, 10, 'warn'),
      point(now - 2 * W, 2, 'warn'),
      point(now - 3 * DAY, 30, 'ok'),
    ]);
    expect(store.points(1).map((p) => p.windowStart)).toEqual(
      [...store.points(1).map((p) => p.windowStart)].sort((a, b) => a - b),
    );
    // Alerting windows stay out of the baseline; the same slot on earlier days, oldest first.
    expect(await store.history(1, now, 5)).toEqual([
      { windowStart: now - 3 * DAY, value: 30 },
      { windowStart: now - 2 * DAY, value: 20 },
      { windowStart: now - 3 * W, value: 1 },
      { windowStart: now - W, value: 3 },
    ]);
    expect(await store.seasonal(1, now, 'day', 3)).toEqual([
      { windowStart: now - 3 * DAY, value: 30 },
      { windowStart: now - 2 * DAY, value: 20 },
    ]);
    // Window now − 2W was flagged, now − W was not: no run is pending at `now`, one is at
    // now − W, and nothing is open.
    expect(await store.incident(1, now, W, 2)).toMatchObject({
      open: null,
      run: null,
      openId: null,
    });
    expect(await store.incident(1, now - W, W, 2)).toMatchObject({
      open: null,
      run: { firstWindow: now - 2 * W, lastWindow: now - 2 * W, count: 1 },
    });
  });

  it('keeps the lifecycle as the detector does: pending run, open over the run, extend, resolve', async () => {
    const store = new MemoryEngineStore();
    await scoreAt(store, 0, 0, 'ok');
    expect((await scoreAt(store, 1, 4, 'warn')).step.kind).toBe('pending');
    const state = await store.incident(1, T0 + 2 * W, W, 2);
    expect(state.openId).toBeNull();
    expect(state.run).toMatchObject({ firstWindow: T0 + W, count: 1 });

    const opened = await scoreAt(store, 2, 6, 'critical');
    expect(opened.step.kind).toBe('open');
    expect(opened.id).toBe(1);
    // The run's first window belongs to the anomaly too.
    expect(store.points(1).map((p) => p.anomalyId)).toEqual([null, 1, 1]);

    expect(await scoreAt(store, 3, 8, 'critical')).toMatchObject({
      step: { kind: 'extend', peak: true },
      id: 1,
    });
    expect(store.anomalies()[0]).toMatchObject({
      z: 8,
      peakWindow: T0 + 3 * W,
      sentence: 'peak 3',
      lastWindow: T0 + 3 * W,
    });
    expect(await scoreAt(store, 4, 3.5, 'warn')).toMatchObject({
      step: { kind: 'extend', peak: false },
    });
    expect(store.anomalies()[0]).toMatchObject({
      z: 8,
      peakWindow: T0 + 3 * W,
      lastWindow: T0 + 4 * W,
    });
    expect((await scoreAt(store, 5, 0, 'ok')).step.kind).toBe('count_normal');
    expect(store.anomalies()[0]).toMatchObject({ normalWindows: 1, status: 'open' });
    expect((await scoreAt(store, 6, 0, 'ok')).step.kind).toBe('resolve');
    expect(store.anomalies()[0]).toMatchObject({
      normalWindows: 2,
      status: 'resolved',
      lastWindow: T0 + 4 * W,
    });
    expect(store.points(1).map((p) => p.anomalyId)).toEqual([null, 1, 1, 1, 1, null, null]);
    expect((await store.incident(1, T0 + 7 * W, W, 2)).open).toBeNull();

    // A new incident opens a new anomaly; history leaves the alerted windows out.
    await scoreAt(store, 7, -5, 'critical');
    expect((await scoreAt(store, 8, -5, 'critical')).id).toBe(2);
    expect((await store.history(1, T0 + 9 * W, 20)).map((p) => (p.windowStart - T0) / W)).toEqual([
      0, 5, 6,
    ]);
  });

  it('stores non-finite numbers as null and explanations as JSON', async () => {
    const store = new MemoryEngineStore();
    await store.record({
      metric,
      rule,
      windowStart: T0,
      windowMs: W,
      score: { ...score(0, 0, 'low_volume'), value: NaN, z: NaN },
      volume: 0,
      step: { kind: 'none', dropped: null },
      openId: null,
      peak: null,
    });
    expect(store.points()[0]).toMatchObject({ value: null, z: null, expected: 100, sigma: 10 });
  });
});
