import { SLICE_DRIFT_WINDOWS } from './slice-drift';
import { describe, expect, it } from 'vitest';
import { scoreWindow } from './score-window';
import { scoreBaseWindow } from './engine';
import { MemoryEngineStore } from './memory-store';
import { stepIncident, type IncidentState, NO_INCIDENT } from './hysteresis';
import { defaultMetrics } from '@/lib/metrics/defaults';
import {
  anomaliesOf,
  previewCounts,
  previewMetric,
  previewReads,
  previewSeasonRange,
  previewWindow,
  type PreviewWindow,
} from './rule-preview';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import {
  DEFAULT_RULE,
  NEW_METRIC_RULE,
  TOTAL,
  type AlertRule,
  type ScoredPoint,
  type WindowPoint,
  type MetricDefinition,
  type RollupDelta,
} from '@/lib/types';

const W = 60_000;
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 5, 10);
const at = (i: number) => T0 + i * W;

const byKey = (key: string, id: number): MetricDefinition => ({
  ...defaultMetrics().find((m) => m.key === key)!,
  id,
});
const purchases = byKey('purchases', 1);
const latency = byKey('api_latency', 2);

function cell(windowStart: number, fields: Partial<RollupDelta>): RollupDelta {
  return {
    windowStart,
    eventType: 'purchase',
    dim: TOTAL,
    value: TOTAL,
    measure: COUNT_MEASURE,
    count: 0,
    sum: 0,
    sumsq: 0,
    min: Number.NaN,
    max: Number.NaN,
    ...fields,
  };
}

/** Purchases: ~1000 a window, a one-window spike at 60 and a drop over 100..104. */
function purchaseCount(i: number): number {
  if (i === 60) return 1250;
  if (i >= 100 && i <= 104) return 500;
  return 1000 + Math.round(20 * Math.sin(i * 1.7));
}

/** The total count row of purchases, and (to show they are not read) two slices. */
function purchaseCells(i: number, slices = false): RollupDelta[] {
  const count = purchaseCount(i);
  const total = cell(at(i), { count });
  if (!slices) return [total];
  const eu = Math.round(count * 0.3);
  return [
    total,
    cell(at(i), { dim: 'region', value: 'eu-west', count: eu }),
    cell(at(i), { dim: 'region', value: 'us-east', count: count - eu }),
  ];
}

/**
 * API latency: 100 requests a window averaging a very flat 200 ms but spread widely within the
 * window (sd 50 ms, so the mean's standard error, 5 ms, is the σ floor); windows 70 and
 * 100..103 are slower. The flat history alone would make σ 2 ms (1% of the mean).
 */
function latencyCells(i: number): RollupDelta[] {
  const n = 100;
  const mean = (i === 70 ? 240 : i >= 100 && i <= 103 ? 230 : 200) + (i % 15 === 0 ? 9 : 0);
  const sd = 50;
  const requests = { windowStart: at(i), eventType: 'api_request' };
  return [
    cell(at(i), { ...requests, count: n }),
    cell(at(i), {
      ...requests,
      measure: 'latency_ms',
      count: n,
      sum: n * mean,
      sumsq: n * (mean * mean + sd * sd),
      min: 1,
      max: 900,
    }),
  ];
}

/** The live engine over `cells`, scoring base windows 0..n−1 in order (with explanations). */
async function detect(metric: MetricDefinition, rule: AlertRule, cells: RollupDelta[], n: number) {
  const store = new MemoryEngineStore();
  store.addRollups(cells);
  for (let i = 0; i < n; i++) {
    await scoreBaseWindow(store, [{ definition: metric, rule }], at(i), W);
  }
  return store;
}

const range = (from: number, to: number) => ({ from: at(from), to: at(to) });

describe('previewReads', () => {
  it('reads 2·baselineWindows points back, or the pending run when longer, for either rule', () => {
    const reads = previewReads(
      [
        { ...DEFAULT_RULE, baselineWindows: 20 },
        { ...DEFAULT_RULE, baselineWindows: 5, consecutiveWindows: 60 },
      ],
      range(0, 9),
      5 * W,
    );
    // Cells from the slice drift test's reach before the range (./slice-drift.ts).
    expect(reads).toEqual({
      before: 60,
      seasonal: [],
      cellsFrom: at(0) - SLICE_DRIFT_WINDOWS * 5 * W,
      cellsTo: at(9) + 5 * W,
    });
  });

  it('reads the range shifted back by each period of a seasonal rule, each shift once', () => {
    const day: AlertRule = { ...DEFAULT_RULE, baseline: 'seasonal', season: 'day' };
    const week: AlertRule = { ...day, season: 'week' };
    const reads = previewReads([day, week, day], range(0, 9), W);
    const shifts = reads.seasonal.map((r) => (at(0) - r.from) / DAY);
    expect(shifts).toEqual([1, 2, 3, 4, 5, 6, 7, 14, 21, 28]);
    expect(reads.seasonal[0]).toEqual({ from: at(0) - DAY, to: at(9) - DAY });
  });

  it('reads what an automatic rule resolves to: the detected season, or nothing more', () => {
    const auto: AlertRule = { ...NEW_METRIC_RULE, season: 'day' };
    const shifts = (season: 'day' | 'week' | null) =>
      previewReads([auto], range(0, 9), W, { season, checkedAt: at(0) }).seasonal.map(
        (r) => (at(0) - r.from) / DAY,
      );
    expect(shifts('week')).toEqual([7, 14, 21, 28]);
    expect(shifts('day')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(shifts(null)).toEqual([]);
    expect(previewReads([auto], range(0, 9), W).seasonal).toEqual([]);
  });
});

describe('previewSeasonRange', () => {
  it('is the 4 weeks up to the end of the range, hourly', () => {
    expect(previewSeasonRange(range(0, 9), W)).toEqual({
      from: at(9) + W - 28 * DAY,
      to: at(9) + W,
      stepMs: Math.max(W, 3_600_000),
    });
  });
});

describe('previewWindow', () => {
  const point: WindowPoint = {
    windowStart: at(3),
    value: 12,
    expected: 10,
    sigma: 2,
    z: 1,
    volume: 40,
    status: 'ok',
    anomalyId: 7,
  };

  it('shows a scored point as stored, with the anomaly index given', () => {
    expect(previewWindow(point, 0)).toEqual({ ...point, anomalyId: 0 });
  });

  it('has no expected value or z while learning, and no z without a value', () => {
    expect(previewWindow({ ...point, status: 'learning', z: 0 }, null)).toMatchObject({
      expected: null,
      sigma: null,
      z: null,
      value: 12,
    });
    expect(
      previewWindow({ ...point, status: 'low_volume', value: null, z: 0 }, null),
    ).toMatchObject({ expected: 10, z: null });
  });
});

describe('previewCounts', () => {
  it('counts scored, learning and flagged windows, and flagged ones no anomaly covers', () => {
    const w = (status: PreviewWindow['status'], z: number | null, anomalyId: number | null) =>
      ({
        windowStart: 0,
        value: 1,
        expected: 1,
        sigma: 1,
        z,
        volume: 1,
        status,
        anomalyId,
      }) as const;
    expect(
      previewCounts(
        [
          w('learning', null, null),
          w('ok', 0.5, null),
          w('warn', 3.5, null),
          w('warn', 3.2, 0),
          w('critical', 9, 0),
        ],
        [],
      ),
    ).toEqual({ scored: 4, warn: 2, critical: 1, learning: 1, unconfirmed: 1, anomalies: 0 });
  });
});

describe('anomaliesOf', () => {
  it('follows each anomaly from its opening to its last step, by the store’s ids', () => {
    const rule = { consecutiveWindows: 2, resolveAfter: 2 };
    const zs = [0, 4, 4, 0, 6, 0, 0, 4, 4];
    let state: IncidentState = NO_INCIDENT;
    let openId: number | null = null;
    let next = 41;
    const outcomes = zs.map((z, i) => {
      const severity = z >= 5 ? ('critical' as const) : z >= 3 ? ('warn' as const) : null;
      const result = stepIncident(state, { windowStart: at(i), severity, z }, rule);
      state = result.state;
      const { step } = result;
      const before = openId;
      let anomalyId: number | null = null;
      if (step.kind === 'open') anomalyId = openId = next++;
      else if (step.kind !== 'none' && step.kind !== 'pending') anomalyId = openId;
      if (step.kind === 'resolve') openId = null;
      return { step, openId: before, anomalyId, windowStart: at(i) };
    });
    const { anomalies, index } = anomaliesOf(outcomes);
    expect([...index.entries()]).toEqual([
      [41, 0],
      [42, 1],
    ]);
    expect(anomalies).toEqual([
      expect.objectContaining({
        firstWindow: at(1),
        lastWindow: at(4),
        peakWindow: at(4),
        severity: 'critical',
        direction: 'up',
        resolved: true,
        resolvedAt: at(6),
      }),
      expect.objectContaining({ firstWindow: at(7), lastWindow: at(8), resolved: false }),
    ]);
  });
});

describe('scoring reads only the total slice', () => {
  it('scores a window from its total cells as from all its marginal cells', () => {
    // The preview loads the total slice only; this is what makes that enough.
    const history = Array.from({ length: 20 }, (_, i) => ({ windowStart: at(i), value: 1000 }));
    for (const [metric, cells] of [
      [purchases, purchaseCells(60, true)],
      [latency, latencyCells(70)],
    ] as const) {
      const all = [...cells, { ...cells[0]!, dim: 'device', value: 'ios', count: 3 }];
      const totals = all.filter((c) => c.dim === TOTAL);
      expect(scoreWindow(metric, DEFAULT_RULE, totals, history, [])).toEqual(
        scoreWindow(metric, DEFAULT_RULE, all, history, []),
      );
    }
  });
});

describe('scoreBaseWindow without explanations', () => {
  it('gives the same scores and steps, and peaks an empty explanation', async () => {
    const cells = Array.from({ length: 70 }, (_, i) => purchaseCells(i, true)).flat();
    const rule = { ...DEFAULT_RULE };
    const a = new MemoryEngineStore();
    const b = new MemoryEngineStore();
    a.addRollups(cells);
    b.addRollups(cells);
    for (let i = 0; i < 70; i++) {
      const [explained] = await scoreBaseWindow(a, [{ definition: purchases, rule }], at(i), W);
      const [bare] = await scoreBaseWindow(b, [{ definition: purchases, rule }], at(i), W, {
        explain: false,
      });
      expect(bare!.step).toEqual(explained!.step);
      expect(bare!.score).toEqual(explained!.score);
      if (i === 60) {
        expect(explained!.peak?.explanation.sentence).not.toBe('');
        expect(bare!.peak?.explanation).toEqual({ dimensions: {}, top: [], sentence: '' });
      }
    }
    expect(b.points()).toEqual(a.points());
  });
});

describe('previewMetric', () => {
  /** The detector's points in [from, to] as the preview shows them, anomalies by index. */
  function shown(points: ScoredPoint[], from: number, to: number): PreviewWindow[] {
    const inRange = points.filter((p) => p.windowStart >= from && p.windowStart <= to);
    const ids = [...new Set(inRange.flatMap((p) => (p.anomalyId === null ? [] : [p.anomalyId])))];
    return inRange.map(({ metricId: _, ...p }) =>
      previewWindow(p, p.anomalyId === null ? null : ids.indexOf(p.anomalyId)),
    );
  }

  for (const [name, metric, cellsOf, rule] of [
    ['a count metric', purchases, (i: number) => purchaseCells(i, true), DEFAULT_RULE],
    ['an average metric', latency, latencyCells, DEFAULT_RULE],
    [
      'a count metric under a robust baseline, opening and resolving after one window',
      purchases,
      (i: number) => purchaseCells(i),
      { ...DEFAULT_RULE, baseline: 'robust', consecutiveWindows: 1, resolveAfter: 1 },
    ],
  ] as const) {
    it(`reproduces what the detector stored for ${name}, from stored points before the range`, async () => {
      const all = Array.from({ length: 120 }, (_, i) => cellsOf(i)).flat();
      const detector = await detect(metric, rule, all, 120);
      const points = detector.points(metric.id);
      const from = at(30);
      const to = at(119);
      const preview = await previewMetric({
        metric,
        rule,
        baseWindowMs: W,
        range: { from, to },
        // Only the range's totals: what the loader reads.
        cells: all.filter((c) => c.windowStart >= from && c.dim === TOTAL),
        points,
      });
      expect(preview.windows).toEqual(shown(points, from, to));
      const stored = detector.anomalies();
      expect(stored.length).toBeGreaterThanOrEqual(2);
      expect(
        preview.outcome.anomalies.map((a) => [
          a.firstWindow,
          a.lastWindow,
          a.peakWindow,
          a.severity,
          a.direction,
          a.resolved,
        ]),
      ).toEqual(
        stored.map((a) => [
          a.firstWindow,
          a.lastWindow,
          a.peakWindow,
          a.severity,
          a.direction,
          a.status === 'resolved',
        ]),
      );
      expect(preview.outcome.counts.scored).toBe(90);
    });
  }

  it('uses the average’s sampling noise as the σ floor, as the detector does', async () => {
    const all = Array.from({ length: 100 }, (_, i) => latencyCells(i)).flat();
    const preview = await previewMetric({
      metric: latency,
      rule: DEFAULT_RULE,
      baseWindowMs: W,
      range: range(30, 99),
      cells: all,
      points: (await detect(latency, DEFAULT_RULE, all, 30))
        .points(latency.id)
        .concat(Array.from({ length: 70 }, (_, i) => recorded(30 + i))),
    });
    // The +9 ms windows are 2σ at most with a 5 ms standard error as σ (they would be over 3σ
    // of the flat history's 2 ms); +40 ms is not noise.
    expect(preview.windows.map((w) => w.status).filter((s) => s !== 'ok')).toEqual(['critical']);
    expect(preview.windows[40]!.status).toBe('critical');
    expect(preview.windows[40]!.sigma).toBeCloseTo(5, 9);
    expect(preview.windows[45]!.z).toBeLessThan(2);
  });

  /** A stored point in the range: only its window is read. */
  function recorded(i: number, status: WindowPoint['status'] = 'ok'): ScoredPoint {
    return {
      metricId: 0,
      windowStart: at(i),
      value: -1,
      expected: null,
      sigma: null,
      z: null,
      volume: 0,
      status,
      anomalyId: null,
    };
  }

  it('re-scores only the windows the detector stored, from the cells', async () => {
    const cells = Array.from({ length: 40 }, (_, i) => purchaseCells(i)).flat();
    const points = [...Array(40).keys()].filter((i) => i !== 25).map((i) => recorded(i));
    const { windows, outcome } = await previewMetric({
      metric: purchases,
      rule: DEFAULT_RULE,
      baseWindowMs: W,
      range: range(20, 29),
      cells,
      points,
    });
    expect(windows.map((w) => (w.windowStart - T0) / W)).toEqual([
      20, 21, 22, 23, 24, 26, 27, 28, 29,
    ]);
    expect(windows[0]!.value).toBe(purchaseCount(20));
    // The stored values before the range are its baseline: -1 each, so 1000 is far above.
    expect(windows[0]).toMatchObject({ status: 'critical', expected: -1 });
    expect(outcome.counts.critical).toBe(9);
    expect(outcome.anomalies).toHaveLength(1);
    expect(outcome.baselineUsed).toBe('robust; 20 of 30 windows, σ ×1.17 while learning');
  });

  it('leaves stored alerting windows before the range out of the baseline', async () => {
    const before = Array.from({ length: 20 }, (_, i): ScoredPoint => {
      const flagged = i >= 10;
      return {
        ...recorded(i, flagged ? 'critical' : 'ok'),
        value: flagged ? 5000 : 1000,
        z: flagged ? 50 : 0,
        anomalyId: flagged ? 99 : null,
      };
    });
    const { windows } = await previewMetric({
      metric: purchases,
      rule: DEFAULT_RULE,
      baseWindowMs: W,
      range: range(20, 20),
      cells: [cell(at(20), { count: 1000 })],
      points: [...before, recorded(20, 'critical')],
    });
    expect(windows[0]).toMatchObject({ status: 'ok', expected: 1000, anomalyId: null });
  });

  it('carries a pending run of stored flagged windows into the range, as the detector would', async () => {
    const before = [18, 19].map((i) => ({ ...recorded(i, 'warn'), value: 1100, z: 4 }));
    const history = Array.from({ length: 18 }, (_, i) => ({ ...recorded(i), value: 1000 }));
    const rule = { ...DEFAULT_RULE, consecutiveWindows: 3 };
    const { outcome } = await previewMetric({
      metric: purchases,
      rule,
      baseWindowMs: W,
      range: range(20, 20),
      cells: [cell(at(20), { count: 1120 })],
      points: [...history, ...before, recorded(20)],
    });
    expect(outcome.anomalies).toEqual([
      expect.objectContaining({ firstWindow: at(18), lastWindow: at(20), resolved: false }),
    ]);
  });

  it('counts flagged windows no anomaly covers as unconfirmed, and numbers anomalies', async () => {
    const value = (i: number) => (i === 25 || i === 30 || i === 31 ? 1150 : purchaseCount(i));
    const cells = Array.from({ length: 40 }, (_, i) => cell(at(i), { count: value(i) }));
    const rule = { ...DEFAULT_RULE, consecutiveWindows: 2, criticalZ: 1000 };
    const detector = await detect(purchases, rule, cells, 20);
    const { windows, outcome } = await previewMetric({
      metric: purchases,
      rule,
      baseWindowMs: W,
      range: range(20, 39),
      cells,
      points: [...detector.points(), ...Array.from({ length: 20 }, (_, i) => recorded(20 + i))],
    });
    expect(outcome.counts).toMatchObject({ warn: 3, unconfirmed: 1, anomalies: 1 });
    expect(windows.find((w) => w.windowStart === at(25))?.anomalyId).toBeNull();
    expect(windows.find((w) => w.windowStart === at(31))?.anomalyId).toBe(0);
    expect(outcome.anomalies[0]).toMatchObject({ firstWindow: at(30), lastWindow: at(31) });
  });

  it('reads the same slot on earlier days for a seasonal rule', async () => {
    const sameSlot = [1, 2, 3].map((k) => ({
      ...recorded(30),
      windowStart: at(30) - k * DAY,
      value: 300,
    }));
    const rolling = Array.from({ length: 30 }, (_, i) => ({ ...recorded(i), value: 1000 }));
    const { windows, outcome } = await previewMetric({
      metric: purchases,
      rule: { ...DEFAULT_RULE, baseline: 'seasonal' },
      baseWindowMs: W,
      range: range(30, 30),
      cells: [cell(at(30), { count: 300 })],
      points: [...sameSlot, ...rolling, recorded(30)],
    });
    expect(outcome.baselineUsed).toBe('seasonal');
    expect(windows[0]).toMatchObject({ expected: 300, status: 'ok' });
  });

  it('resolves an automatic rule with the season it is given, and says so', async () => {
    const sameSlot = [1, 2, 3].map((k) => ({
      ...recorded(30),
      windowStart: at(30) - k * DAY,
      value: 300,
    }));
    const rolling = Array.from({ length: 30 }, (_, i) => ({ ...recorded(i), value: 1000 }));
    const input = {
      metric: purchases,
      rule: NEW_METRIC_RULE,
      baseWindowMs: W,
      range: range(30, 30),
      cells: [cell(at(30), { count: 300 })],
      points: [...sameSlot, ...rolling, recorded(30)],
    };
    const daily = await previewMetric({ ...input, season: { season: 'day', checkedAt: at(30) } });
    expect(daily.outcome.baselineUsed).toBe('seasonal (daily, detected)');
    expect(daily.windows[0]).toMatchObject({ expected: 300, status: 'ok' });
    const none = await previewMetric({ ...input, season: { season: null, checkedAt: at(30) } });
    expect(none.outcome.baselineUsed).toBe('robust (no daily or weekly season detected)');
    expect(none.windows[0]).toMatchObject({ expected: 1000, status: 'critical' });
  });

  it('scores a metric window of several base windows from all of them, disabled or not', async () => {
    const metric = { ...purchases, windowMultiple: 2, enabled: false };
    const cells = Array.from({ length: 44 }, (_, i) => cell(at(i), { count: 500 }));
    const history = Array.from({ length: 10 }, (_, j) => ({ ...recorded(2 * j), value: 1000 }));
    const { windows } = await previewMetric({
      metric,
      rule: DEFAULT_RULE,
      baseWindowMs: W,
      range: range(20, 42),
      cells,
      points: [...history, recorded(20), recorded(22), recorded(42)],
    });
    expect(windows).toEqual([
      expect.objectContaining({ windowStart: at(20), value: 1000, status: 'ok' }),
      expect.objectContaining({ windowStart: at(22), value: 1000, status: 'ok' }),
      expect.objectContaining({ windowStart: at(42), value: 1000, status: 'ok' }),
    ]);
  });

  it('scores a filtered metric from its filtered totals', async () => {
    const metric = { ...purchases, filters: { region: ['eu-west'] } };
    const history = Array.from({ length: 20 }, (_, i) => ({ ...recorded(i), value: 300 }));
    const { windows } = await previewMetric({
      metric,
      rule: DEFAULT_RULE,
      baseWindowMs: W,
      range: range(20, 20),
      cells: [cell(at(20), { count: 310 })],
      points: [...history, recorded(20)],
    });
    expect(windows[0]).toMatchObject({ value: 310, expected: 300, status: 'ok' });
  });

  it('scores nothing without stored windows in the range', async () => {
    const preview = await previewMetric({
      metric: purchases,
      rule: DEFAULT_RULE,
      baseWindowMs: W,
      range: range(0, 9),
      cells: [cell(at(0), { count: 5 })],
      points: [],
    });
    expect(preview).toEqual({
      windows: [],
      outcome: {
        counts: { scored: 0, warn: 0, critical: 0, learning: 0, unconfirmed: 0, anomalies: 0 },
        anomalies: [],
        baselineUsed: null,
      },
    });
  });
});
