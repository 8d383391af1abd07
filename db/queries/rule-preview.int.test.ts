/**
 * The thresholds preview on real PostgreSQL: the range's cells and the stored points before it
 * are loaded, and the range re-scored by the detector's engine with a candidate rule and the
 * saved one. Previewing the saved rule reproduces what the detector stored, for every kind of
 * metric. Also the seasonal history query, the detector's hysteresis state, and the re-score
 * request on save.
 */
import { and, asc, eq, gte } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RULE,
  TOTAL,
  type AlertRule,
  type MetricDefinition,
  type PointStatus,
  type RollupDelta,
} from '@/lib/types';
import { ensureTestMetrics, TEST_BASELINE_WINDOWS } from '@/db/testing/metrics';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createUser } from '@/db/queries/auth';
import { incidentState } from '@/db/queries/anomalies';
import { attachPointsToAnomaly, pointsBetween, seasonalHistory } from '@/db/queries/points';
import { pgEngineStore } from '@/db/queries/engine-store';
import {
  ensureDefaultMetrics,
  getMetricByKey,
  listMetrics,
  savedRule,
  toDefinition,
  toRule,
  updateRule,
} from '@/db/queries/metrics';
import { writeFlush } from '@/db/queries/stream';
import { anomalies, leafRollups, metricPoints, metrics, rollups } from '@/db/schema';
import { allLeaves } from '@/db/testing/rollups';
import { cellsFromLeaves } from '@/lib/metrics/cells';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { scoreBaseWindow } from '@/lib/detection/engine';
import { Pipeline } from '@/lib/stream/pipeline';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { previewCells, previewRange, previewRule } from './rule-preview';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** 120 one-minute windows ending an hour before now, on a whole day boundary + 10:00. */
const base = Math.floor((Date.now() - 2 * DAY) / DAY) * DAY + 10 * 60 * MINUTE;
const at = (i: number) => base + i * MINUTE;
const now = at(120) + MINUTE;

let t: TestDatabase;
let metricId: number;
let userId: number;

const normal = (i: number) => 1000 + Math.round(20 * Math.sin(i * 1.7));
/** One-window spike at 60, an incident (a drop) over 100..104; the rest normal. */
function valueOf(i: number): number {
  if (i === 60) return 1250;
  if (i >= 100 && i <= 104) return 500;
  return normal(i);
}

/** The purchase events of window i as the stream folds them: the total count row. */
async function insertCounts(windows: { windowStart: number; count: number }[]) {
  await t.db.insert(rollups).values(
    windows.map((w) => ({
      windowStart: new Date(w.windowStart),
      eventType: 'purchase',
      dim: TOTAL,
      value: TOTAL,
      measure: COUNT_MEASURE,
      count: w.count,
      sum: 0,
      sumsq: 0,
      min: 0,
      max: 0,
    })),
  );
}

async function insertPoints(rows: { windowStart: number; value: number; status: PointStatus }[]) {
  await t.db.insert(metricPoints).values(
    rows.map((r) => ({
      metricId,
      windowStart: new Date(r.windowStart),
      value: r.value,
      expected: 1000,
      sigma: 30,
      z: (r.value - 1000) / 30,
      volume: r.value,
      status: r.status,
    })),
  );
}

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  metricId = (await getMetricByKey(t.db, 'purchases'))!.id;
  userId = (await createUser(t.db, { username: 'ed', passwordHash: 'x', role: 'editor' })).id;
  await insertCounts(
    Array.from({ length: 120 }, (_, i) => ({ windowStart: at(i), count: valueOf(i) })),
  );
  await insertPoints(
    Array.from({ length: 120 }, (_, i) => ({
      windowStart: at(i),
      value: valueOf(i),
      status: i === 60 || (i >= 100 && i <= 104) ? 'critical' : 'ok',
    })),
  );
});
afterAll(() => t.drop());

const preview = async (rule: AlertRule, hours?: number) => {
  const row = (await getMetricByKey(t.db, 'purchases'))!;
  return previewRule(t.db, row, rule, {
    baseWindowMs: MINUTE,
    now,
    ...(hours ? { hours } : {}),
  });
};

describe('previewRule', () => {
  it('covers the last 24 h of windows up to the last closed one, capped at 1440', () => {
    expect(previewRange(now, MINUTE)).toEqual({ from: at(120) - 1439 * MINUTE, to: at(120) });
    expect(previewRange(now, MINUTE, 1)).toEqual({ from: at(120) - 59 * MINUTE, to: at(120) });
    expect(previewRange(now, 10_000, 24).to - previewRange(now, 10_000, 24).from).toBe(
      1439 * 10_000,
    );
  });

  it('re-scores the stored windows: the spike and the incident each open one anomaly', async () => {
    const p = await preview(DEFAULT_RULE);
    expect(p.windowMs).toBe(MINUTE);
    expect(p.windows).toHaveLength(120);
    expect(p.windows[0]).toMatchObject({
      windowStart: at(0),
      status: 'learning',
      z: null,
      expected: null,
    });
    expect(p.candidate.counts).toMatchObject({ critical: 6, anomalies: 2, unconfirmed: 0 });
    expect(p.candidate.anomalies.map((a) => [a.firstWindow, a.lastWindow, a.direction])).toEqual([
      [at(60), at(60), 'up'],
      [at(100), at(104), 'down'],
    ]);
    expect(p.candidate.anomalies.every((a) => a.resolved)).toBe(true);
    expect(p.windows[102]).toMatchObject({ anomalyId: 1, status: 'critical' });
    // The saved rule is a new metric's, the automatic baseline: with no season in two hours of
    // history, the same outcome as the robust default, and the words say why.
    expect(p.current).toEqual({
      ...p.candidate,
      baselineUsed: 'robust (no daily or weekly season detected)',
    });
  });

  it('with 2 consecutive windows a one-window warn spike is flagged but opens nothing', async () => {
    // Critical windows open an anomaly at once; with critical out of reach every window is a
    // warn, which needs two in a row.
    const p = await preview({ ...DEFAULT_RULE, consecutiveWindows: 2, criticalZ: 1000 });
    expect(p.candidate.counts).toMatchObject({ anomalies: 1, unconfirmed: 1, critical: 0 });
    expect(p.candidate.anomalies[0]).toMatchObject({ firstWindow: at(100), lastWindow: at(104) });
    expect(p.windows[60]).toMatchObject({ status: 'warn', anomalyId: null });
    // The saved (default) rule opens the spike: it is critical.
    expect(p.current.counts.anomalies).toBe(2);
  });

  it('leaves windows the candidate flags out of later baselines, as the detector does', async () => {
    const p = await preview(DEFAULT_RULE);
    // Right after the drop the baseline is still ~1000, not dragged towards 500.
    expect(p.windows[105]!.expected).toBeGreaterThan(980);
    // A rule that never alerts lets the drop into the baseline.
    const lax = await preview({ ...DEFAULT_RULE, warnZ: 900, criticalZ: 1000 });
    expect(lax.candidate.counts).toMatchObject({ warn: 0, critical: 0, anomalies: 0 });
    expect(lax.windows[105]!.expected).toBeLessThan(p.windows[105]!.expected!);
  });

  it('seasonal: falls back to rolling and says so, then uses the same slot once 3 days exist', async () => {
    const seasonal: AlertRule = { ...DEFAULT_RULE, baseline: 'seasonal', season: 'day' };
    const before = await preview(seasonal);
    expect(before.candidate.baselineUsed).toBe(
      'rolling (not enough seasonal history: 0 of 3 days)',
    );
    // Earlier days had 500 at 10:40..10:59 (i = 40..59): today's 1000 there is a rise.
    const earlier = [1, 2, 3].flatMap((k) =>
      Array.from({ length: 20 }, (_, j) => ({
        windowStart: at(40 + j) - k * DAY,
        value: 500 + (j % 3) * 10,
        status: 'ok' as const,
      })),
    );
    await insertPoints(earlier);
    const after = await preview(seasonal);
    for (const w of after.windows.slice(40, 60)) {
      expect(w.status).toBe('critical');
      expect(w.expected).toBeGreaterThanOrEqual(500);
      expect(w.expected).toBeLessThanOrEqual(520);
    }
    // The last window has no same-slot history.
    expect(after.candidate.baselineUsed).toBe('rolling (not enough seasonal history: 0 of 3 days)');
    // The rolling rule does not read the earlier days' slot: 10:40..10:59 stays normal.
    const rolling = await preview({ ...DEFAULT_RULE, baseline: 'rolling', baselineWindows: 20 });
    expect(rolling.windows[45]!.status).toBe('ok');
  });
});

describe('previewCells', () => {
  it('adds up the leaves that pass the filters as cellsFromLeaves does, awkward values too', async () => {
    const odd = 'a "quoted", {braced} \\ value ü';
    const leaf = (dims: Record<string, string>) =>
      JSON.stringify(Object.fromEntries(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : 1))));
    const combos: Record<string, string>[] = [
      { region: odd, device: 'android' },
      { region: 'eu-west', device: 'android' },
      { region: 'eu-west', device: 'ios' },
      { region: 'us-east', device: 'android' },
      { device: 'android' },
    ];
    const leaves = combos.flatMap((dims, j) =>
      [0, 1, 2].flatMap((i) => [
        {
          windowStart: new Date(at(200 + i)),
          eventType: 'signup',
          leaf: leaf(dims),
          measure: COUNT_MEASURE,
          count: 1 + j + i,
          sum: 0,
          sumsq: 0,
        },
        {
          windowStart: new Date(at(200 + i)),
          eventType: 'signup',
          leaf: leaf(dims),
          measure: 'age',
          count: 1 + j,
          sum: 30.5 * (1 + j),
          sumsq: 930.25 * (1 + j) + i,
        },
      ]),
    );
    await t.db.insert(leafRollups).values(leaves);
    const metric: MetricDefinition = {
      ...defaultMetrics()[0]!,
      id: 999,
      kind: 'avg',
      eventType: 'signup',
      measure: 'age',
      filters: { region: [odd, 'eu-west'], device: ['android'] },
    };
    const cells = await previewCells(t.db, metric, at(200), at(202));
    const expected = cellsFromLeaves(
      metric,
      (await allLeaves(t.db)).filter((l) => l.windowStart < at(202)),
    ).filter((c) => c.dim === TOTAL);
    const key = (c: RollupDelta) => `${c.windowStart} ${c.measure}`;
    const sorted = (list: RollupDelta[]) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : 1));
    expect(cells).toHaveLength(4);
    expect(sorted(cells)).toEqual(sorted(expected));
    // The odd region and eu-west on android: leaves 0 and 1 (counts 1 + j + i).
    expect(cells.find((c) => c.windowStart === at(201) && c.measure === '')?.count).toBe(2 + 3);
    expect(
      await previewCells(t.db, { ...metric, filters: { region: ['nowhere'] } }, at(200), at(203)),
    ).toEqual([]);
  });
});

describe('seasonalHistory', () => {
  it('reads the same slot on earlier days, non-anomalous points with a value only', async () => {
    const w = at(45);
    expect(await seasonalHistory(t.db, metricId, w, 'day', 7)).toEqual([
      { windowStart: w - 3 * DAY, value: 520 },
      { windowStart: w - 2 * DAY, value: 520 },
      { windowStart: w - DAY, value: 520 },
    ]);
    expect(await seasonalHistory(t.db, metricId, w, 'day', 2)).toHaveLength(2);
    expect(await seasonalHistory(t.db, metricId, w, 'week', 4)).toEqual([]);
    await insertPoints([{ windowStart: at(46) - 4 * DAY, value: 9999, status: 'warn' }]);
    expect(await seasonalHistory(t.db, metricId, at(46), 'day', 7)).toHaveLength(3);
  });
});

describe('incidentState and attachPointsToAnomaly', () => {
  it('rebuilds a pending run from flagged points, then the open anomaly once there is one', async () => {
    // Windows 100..104 are critical without an anomaly: a run of 5 ends before window 105.
    const pending = await incidentState(t.db, metricId, at(105), MINUTE, 3);
    expect(pending).toMatchObject({ openId: null, open: null, run: { count: 3 } });
    expect(pending.run?.firstWindow).toBe(at(102));

    const [point] = await pointsBetween(t.db, metricId, at(104), at(104));
    const [created] = await t.db
      .insert(anomalies)
      .values({
        metricId,
        severity: 'critical',
        direction: 'down',
        firstWindow: new Date(at(100)),
        lastWindow: new Date(at(104)),
        peakWindow: new Date(at(104)),
        value: point!.value!,
        expected: 1000,
        sigma: 30,
        z: -16.7,
        explanation: { dimensions: {}, top: [], sentence: 'drop' },
        sentence: 'drop',
      })
      .returning({ id: anomalies.id });
    const id = created!.id;
    await attachPointsToAnomaly(t.db, metricId, id, at(100), at(104));
    const members = await pointsBetween(t.db, metricId, at(99), at(105));
    expect(members.map((p) => p.anomalyId)).toEqual([null, id, id, id, id, id, null]);
    const open = await incidentState(t.db, metricId, at(105), MINUTE, 3);
    expect(open).toMatchObject({
      openId: id,
      run: null,
      open: { lastWindow: at(104), direction: 'down', normalWindows: 0, severity: 'critical' },
    });
  });
});

describe('updateRule', () => {
  it('stores the new settings and a re-score request, keeping an earlier pending one', async () => {
    const row = (await getMetricByKey(t.db, 'purchases'))!;
    expect(row.rescoreFrom).toBeNull();
    const rule: AlertRule = {
      ...savedRule(row),
      baseline: 'robust',
      consecutiveWindows: 2,
      resolveAfter: 4,
      sigmaFloor: 1.5,
      season: 'week',
    };
    const saved = await updateRule(t.db, row.id, rule, userId, { rescoreFrom: at(50) });
    expect(savedRule(saved!)).toEqual(rule);
    expect(toRule(saved!)).toEqual(rule);
    expect(saved!.rescoreFrom?.getTime()).toBe(at(50));
    const later = await updateRule(t.db, row.id, rule, userId, { rescoreFrom: at(80) });
    expect(later!.rescoreFrom?.getTime()).toBe(at(50));
    const earlier = await updateRule(t.db, row.id, rule, userId, { rescoreFrom: at(10) });
    expect(earlier!.rescoreFrom?.getTime()).toBe(at(10));
    const plain = await updateRule(t.db, row.id, { ...rule, warnZ: 4 }, userId);
    expect(plain!.rescoreFrom?.getTime()).toBe(at(10));
    expect(plain!.warnZ).toBe(4);
  });
});

describe('previewRule with the saved rule', () => {
  // Simulated traffic with incidents on purchases (count), API latency (average) and revenue
  // (sum), through the stream's flushes into PostgreSQL and scored window by window by the
  // detector's engine over PostgreSQL: what the detector stores.
  const start = Date.UTC(2026, 0, 5, 14);
  const windows = 75;
  const end = start + windows * MINUTE;
  let d: TestDatabase;

  beforeAll(async () => {
    d = await createTestDatabase();
    await ensureTestMetrics(d.db);
    // A filtered metric (cells from the leaf cube) over two base windows.
    await d.db.insert(metrics).values({
      key: 'eu_android_purchases',
      name: 'EU Android purchases',
      kind: 'count',
      eventType: 'purchase',
      filters: { region: ['eu-west', 'eu-central'], device: ['android'] },
      windowMultiple: 2,
    });
    // An average whose history is much flatter than its requests are spread within a window:
    // its σ is the window's standard error (5 ms), so +9 ms is normal (z < 2) where the flat
    // history alone (σ ≈ 2 ms) would call it anomalous.
    await d.db.insert(metrics).values({
      key: 'render_time',
      name: 'Render time',
      kind: 'avg',
      eventType: 'render',
      measure: 'ms',
      unit: 'ms',
      baselineWindows: TEST_BASELINE_WINDOWS,
    });
    await d.db.insert(rollups).values(
      Array.from({ length: windows }, (_, i) => {
        const mean = (i === 40 ? 240 : i >= 55 && i <= 58 ? 230 : 200) + (i % 15 === 0 ? 9 : 0);
        const n = 100;
        const row = {
          windowStart: new Date(start + i * MINUTE),
          eventType: 'render',
          dim: TOTAL,
          value: TOTAL,
          min: 1,
          max: 900,
        };
        return [
          { ...row, measure: COUNT_MEASURE, count: n, sum: 0, sumsq: 0 },
          { ...row, measure: 'ms', count: n, sum: n * mean, sumsq: n * (mean * mean + 2500) },
        ];
      }).flat(),
    );
    // Saved rules that differ from the default, so the preview must use the saved one.
    await d.db.update(metrics).set({ consecutiveWindows: 1 }).where(eq(metrics.key, 'purchases'));
    await d.db.update(metrics).set({ resolveAfter: 1 }).where(eq(metrics.key, 'api_latency'));
    await d.db
      .update(metrics)
      .set({ warnZ: 2.5, consecutiveWindows: 1 })
      .where(eq(metrics.key, 'revenue'));

    const injections = schedule({
      startMs: start,
      firstAfterMs: 30 * MINUTE,
      durationMs: 5 * MINUTE,
      gapMs: 4 * MINUTE,
      scenarios: ['purchase_drop_eu_west', 'latency_search_android', 'revenue_drop_ios'],
      untilMs: end - 5 * MINUTE,
    });
    const sim = new Simulator({ seed: 11, ratePerSec: 150, injections });
    const pipeline = new Pipeline({
      source: 'preview',
      partition: 0,
      windowMs: MINUTE,
      outOfOrderMs: 2000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 200,
    });
    const engineMetrics = (await listMetrics(d.db)).map((row) => ({
      definition: toDefinition(row),
      rule: toRule(row),
    }));
    const store = pgEngineStore(d.db);
    for (let w = start; w <= end; w += MINUTE) {
      if (w < end) {
        for (const event of sim.generate(w, w + MINUTE)) {
          pipeline.ingestLine(JSON.stringify(event), w + MINUTE);
        }
      } else {
        pipeline.finish();
      }
      const batch = pipeline.drain();
      await writeFlush(d.sql, {
        deltas: batch.deltas,
        leaves: batch.leaves,
        quarantined: [],
        progress: [],
      });
      if (w > start) await scoreBaseWindow(store, engineMetrics, w - MINUTE, MINUTE);
    }
  }, 120_000);
  afterAll(() => d.drop());

  /**
   * Previews the metric's saved rule over the `hours` before the end of the simulation and
   * compares every window and anomaly with what the detector stored.
   */
  async function expectStored(key: string, hours: number) {
    const row = (await getMetricByKey(d.db, key))!;
    const p = await previewRule(d.db, row, savedRule(row), {
      baseWindowMs: MINUTE,
      now: end,
      hours,
    });
    expect(p.current).toEqual(p.candidate);
    const stored = await pointsBetween(d.db, row.id, p.from, p.to);
    expect(stored.length).toBeGreaterThan(20);
    expect(p.windows.map((w) => w.windowStart)).toEqual(stored.map((s) => s.windowStart.getTime()));
    /** Stored anomaly id → index of the preview's anomaly, as the windows pair them up. */
    const pairs = new Map<number, number | null>();
    p.windows.forEach((w, i) => {
      const s = stored[i]!;
      const what = `${key} @ ${new Date(w.windowStart).toISOString()}`;
      expect(w.status, what).toBe(s.status);
      expect((w.anomalyId === null) === (s.anomalyId === null), what).toBe(true);
      if (s.anomalyId !== null) {
        expect(pairs.get(s.anomalyId) ?? w.anomalyId, what).toBe(w.anomalyId);
        pairs.set(s.anomalyId, w.anomalyId);
      }
      if (s.status !== 'learning') {
        expectClose(w.value, s.value, `${what} value`);
        expectClose(w.expected, s.expected, `${what} expected`);
        expectClose(w.z, s.z, `${what} z`);
      }
    });
    // Those the range holds (none is open when it starts).
    const anomaliesStored = await d.db
      .select()
      .from(anomalies)
      .where(and(eq(anomalies.metricId, row.id), gte(anomalies.firstWindow, new Date(p.from))))
      .orderBy(asc(anomalies.id));
    expect(
      p.candidate.anomalies.map((a) => [
        a.firstWindow,
        a.lastWindow,
        a.peakWindow,
        a.severity,
        a.direction,
        a.resolved,
      ]),
      key,
    ).toEqual(
      anomaliesStored.map((a) => [
        a.firstWindow.getTime(),
        a.lastWindow.getTime(),
        a.peakWindow.getTime(),
        a.severity,
        a.direction,
        a.status === 'resolved',
      ]),
    );
    const flagged = p.windows.filter((w) => w.status === 'warn' || w.status === 'critical');
    return { preview: p, anomalies: anomaliesStored.length, flagged: flagged.length };
  }

  for (const [key, kind] of [
    ['purchases', 'count'],
    ['api_latency', 'average'],
    ['revenue', 'sum'],
  ] as const) {
    it(`reproduces each window's status and each anomaly the detector stored: ${kind} (${key})`, async () => {
      // The whole history: the range starts before the first stored window.
      const all = await expectStored(key, 24);
      expect(all.preview.windows).toHaveLength(windows);
      expect(all.anomalies, key).toBeGreaterThanOrEqual(1);
      // From the middle: the baseline before the range comes from the stored points.
      const last = await expectStored(key, 1);
      expect(last.preview.windows).toHaveLength(60);
      expect(last.preview.candidate.counts.learning).toBe(0);
    });
  }

  it('reproduces an average whose σ floor is its standard error', async () => {
    for (const hours of [24, 1]) {
      const { preview, anomalies: stored } = await expectStored('render_time', hours);
      expect(stored).toBe(2);
      const plus9 = preview.windows.filter(
        (w) => ((w.windowStart - start) / MINUTE) % 15 === 0 && w.status !== 'learning',
      );
      expect(plus9.length).toBeGreaterThanOrEqual(4);
      for (const w of plus9) expect(w).toMatchObject({ status: 'ok', sigma: expect.closeTo(5, 6) });
    }
  });

  it('reproduces a filtered metric over two base windows, scored from the leaf cube', async () => {
    const p = await expectStored('eu_android_purchases', 24);
    expect(p.preview.windowMs).toBe(2 * MINUTE);
    expect(p.preview.candidate.counts.scored).toBeGreaterThan(20);
  });
});

/** Numbers equal up to float summation order (PostgreSQL adds rows in its own order). */
function expectClose(a: number | null, b: number | null, what: string) {
  if (a === null || b === null) {
    expect(a, what).toBe(b);
    return;
  }
  expect(Math.abs(a - b), `${what}: ${a} vs ${b}`).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(a), Math.abs(b)),
  );
}
