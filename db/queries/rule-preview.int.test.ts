/**
 * The thresholds preview on real PostgreSQL: stored points are loaded for the range (with the
 * rolling and seasonal history before it), re-scored with a candidate rule and the saved one,
 * and the hysteresis decides which anomalies would have opened. Also the seasonal history
 * query, the detector's hysteresis state, and the re-score request on save.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULE, type AlertRule, type PointStatus } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/test-db';
import { createUser } from '@/db/queries/auth';
import {
  attachPointsToAnomaly,
  incidentState,
  pointsBetween,
  seasonalHistory,
} from '@/db/queries/detection';
import { ensureDefaultMetrics, getMetricByKey, toRule, updateRule } from '@/db/queries/metrics';
import { anomalies, metricPoints } from '@/db/schema';
import { previewRange, previewRule } from './rule-preview';

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
    // The saved rule is the default one: the same outcome.
    expect(p.current).toEqual(p.candidate);
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
    const rolling = await preview(DEFAULT_RULE);
    expect(rolling.windows[45]!.status).toBe('ok');
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
      ...toRule(row),
      baseline: 'robust',
      consecutiveWindows: 2,
      resolveAfter: 4,
      sigmaFloor: 1.5,
      season: 'week',
    };
    const saved = await updateRule(t.db, row.id, rule, userId, { rescoreFrom: at(50) });
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
