/**
 * The automatic baseline end to end on real PostgreSQL (issue 16: a metric with a strong daily
 * shape must not alert every morning). Purchases step from 200 to 1000 a minute at 08:00 UTC
 * every day; two weeks of that shape are stored as scored points, and the live events of the
 * latest morning ramp go through the pipeline to the detector. The 'auto' metric (the default
 * of new metrics) gets its daily season detected by the detector's season check, stored on the
 * metric, and is scored against the same minute of earlier days: no alert at the ramp. The same
 * metric with the robust baseline alerts there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, eq, ne } from 'drizzle-orm';
import { createLogger } from '@/lib/observability/log';
import { NEW_METRIC_RULE, type PulseEvent } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  defaultRuleColumns,
  ensureDefaultMetrics,
  getMetricByKey,
  savedRule,
  seasonDecisionOf,
  toRule,
} from '@/db/queries/metrics';
import { pointsBetween } from '@/db/queries/points';
import { previewRule } from '@/db/queries/rule-preview';
import { anomalies, metricPoints, metrics } from '@/db/schema';
import { SourcePartition } from '@/db/sources/partition';
import { SEASON_CHECK_MAX_AGE_MS } from '@/lib/detection/auto-season';
import { createDetector } from './detector';
import { checkSeasons } from './season-check';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const log = createLogger('test', 'silent');

/** Purchases a minute: quiet at night, busy from 08:00 to 20:00 UTC. */
const level = (t: number) => {
  const hour = Math.floor((t % DAY) / HOUR);
  return hour >= 8 && hour < 20 ? 1000 : 200;
};
/** A deterministic wobble of a few percent, so that no baseline is flat. */
const wobble = (t: number) => Math.round(level(t) * 0.02 * Math.sin(t / MINUTE));

/** The latest 08:00 UTC at least an hour ago: the morning ramp scored live. */
const ramp = Math.floor((Date.now() - HOUR - 8 * HOUR) / DAY) * DAY + 8 * HOUR;
/** Live windows: 5 minutes before the ramp to 5 after it; stored history before them. */
const liveFrom = ramp - 5 * MINUTE;
const liveTo = ramp + 6 * MINUTE;
const HISTORY_DAYS = 14;

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  // Only purchases (new metrics' rule: 'auto') and the same count with the robust baseline.
  await t.db.update(metrics).set({ enabled: false }).where(ne(metrics.key, 'purchases'));
  await t.db.insert(metrics).values({
    key: 'purchases_robust',
    name: 'Purchases (robust)',
    kind: 'count',
    eventType: 'purchase',
    ...defaultRuleColumns(),
    baseline: 'robust',
  });
  for (const key of ['purchases', 'purchases_robust']) {
    const { id } = (await getMetricByKey(t.db, key))!;
    const rows = [];
    for (let w = liveFrom - HISTORY_DAYS * DAY; w < liveFrom; w += MINUTE) {
      const value = level(w) + wobble(w);
      rows.push({
        metricId: id,
        windowStart: new Date(w),
        value,
        expected: value,
        sigma: 10,
        z: 0,
        volume: value,
        status: 'ok' as const,
      });
    }
    for (let i = 0; i < rows.length; i += 5000) {
      await t.db.insert(metricPoints).values(rows.slice(i, i + 5000));
    }
  }
});
afterAll(() => t.drop());

/** `count` purchase events spread over the minute from `w`. */
function purchases(w: number, count: number): PulseEvent[] {
  return Array.from({ length: count }, (_, i) => ({
    ts: w + Math.floor((i * MINUTE) / count),
    type: 'purchase',
    dims: { region: i % 3 === 0 ? 'eu-west' : 'us-east' },
    measures: {},
  }));
}

async function pointAt(key: string, windowStart: number) {
  const { id } = (await getMetricByKey(t.db, key))!;
  const [point] = await pointsBetween(t.db, id, windowStart, windowStart);
  return point;
}

describe('the automatic baseline', () => {
  it('is what a new metric gets, and is robust until its season was checked', async () => {
    const row = (await getMetricByKey(t.db, 'purchases'))!;
    expect(savedRule(row)).toEqual(NEW_METRIC_RULE);
    expect(seasonDecisionOf(row)).toEqual({ season: null, checkedAt: null });
    expect(toRule(row)).toMatchObject({ baseline: 'robust', autoSeason: 'unchecked' });
  });

  it('detects the daily season in the detector tick and scores the morning ramp against it', async () => {
    const partition = await SourcePartition.claim(
      { sql: t.sql, log },
      {
        source: 't',
        partition: 0,
        windowMs: MINUTE,
        outOfOrderMs: 2000,
        allowedLatenessMs: 0,
        maxValuesPerDim: 200,
        owner: 't',
      },
    );
    for (let w = liveFrom; w < liveTo; w += MINUTE) {
      for (const e of purchases(w, level(w) + wobble(w))) {
        partition.pipeline.ingestLine(JSON.stringify(e), Date.now());
      }
      expect(await partition.flush()).toBe('ok');
    }
    const before = Date.now();
    const detector = createDetector({
      handle: t,
      log,
      windowMs: MINUTE,
      idleTimeoutMs: 3_600_000,
      incidents: { publicUrl: 'http://pulse.test' },
    });
    expect(await detector.tick()).toBeGreaterThanOrEqual(10);
    await detector.stop();

    // The decision is stored on the metric, and only on the 'auto' one.
    const row = (await getMetricByKey(t.db, 'purchases'))!;
    expect(row.detectedSeason).toBe('day');
    expect(row.seasonCheckedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(savedRule(row).baseline).toBe('auto');
    expect(toRule(row)).toMatchObject({ baseline: 'seasonal', season: 'day', autoSeason: 'day' });
    const robustRow = (await getMetricByKey(t.db, 'purchases_robust'))!;
    expect(seasonDecisionOf(robustRow)).toEqual({ season: null, checkedAt: null });

    // The ramp: the robust baseline (the last 30 quiet minutes) alerts; the seasonal one, the
    // same minute on earlier days, expects it.
    for (let w = ramp; w < ramp + 5 * MINUTE; w += MINUTE) {
      const auto = (await pointAt('purchases', w))!;
      expect(auto.value).toBe(level(w) + wobble(w));
      expect(auto.status).toBe('ok');
      expect(Math.abs(auto.expected! - 1000)).toBeLessThan(30);
      expect(Math.abs(auto.z!)).toBeLessThan(3);
      expect((await pointAt('purchases_robust', w))!.status).toBe('critical');
    }
    // Before the ramp both agree that the night is quiet.
    expect((await pointAt('purchases', ramp - MINUTE))!.status).toBe('ok');
    expect((await pointAt('purchases_robust', ramp - MINUTE))!.status).toBe('ok');

    const opened = async (key: string) => {
      const { id } = (await getMetricByKey(t.db, key))!;
      return t.db.select().from(anomalies).where(eq(anomalies.metricId, id));
    };
    expect(await opened('purchases')).toHaveLength(0);
    expect((await opened('purchases_robust')).length).toBeGreaterThanOrEqual(1);
  });

  it('checks a decision again only when it is stale, a bounded number per call', async () => {
    const { seasonCheckedAt } = (await getMetricByKey(t.db, 'purchases'))!;
    expect(await checkSeasons(t.db, { windowMs: MINUTE })).toEqual([]);
    // Hours later: due again, and still daily.
    const later = seasonCheckedAt!.getTime() + SEASON_CHECK_MAX_AGE_MS;
    await t.db
      .update(metrics)
      .set({ baseline: 'auto', seasonCheckedAt: null })
      .where(and(eq(metrics.key, 'purchases_robust')));
    const first = await checkSeasons(t.db, { windowMs: MINUTE, now: later, limit: 1 });
    // Never checked comes first.
    expect(first.map((r) => [r.key, r.season])).toEqual([['purchases_robust', 'day']]);
    const second = await checkSeasons(t.db, { windowMs: MINUTE, now: later, limit: 5 });
    expect(second.map((r) => [r.key, r.season, r.previous])).toEqual([['purchases', 'day', 'day']]);
  });

  it('is resolved by the thresholds preview from the stored points, and says so', async () => {
    const row = (await getMetricByKey(t.db, 'purchases'))!;
    const options = { baseWindowMs: MINUTE, now: ramp + 6 * MINUTE, hours: 1 };
    const auto = await previewRule(t.db, row, savedRule(row), options);
    expect(auto.current.baselineUsed).toBe('seasonal (daily, detected)');
    expect(auto.candidate.baselineUsed).toBe('seasonal (daily, detected)');
    const robust = await previewRule(t.db, row, { ...savedRule(row), baseline: 'robust' }, options);
    expect(robust.candidate.baselineUsed).toBe('robust');
    expect(robust.current.baselineUsed).toBe('seasonal (daily, detected)');
    // The ramp's windows: the robust candidate flags them, the automatic rule does not.
    const flagged = (p: typeof auto) =>
      p.windows.filter(
        (w) => w.windowStart >= ramp && (w.status === 'warn' || w.status === 'critical'),
      );
    expect(flagged(auto)).toHaveLength(0);
    expect(flagged(robust).length).toBeGreaterThanOrEqual(1);
  });
});
