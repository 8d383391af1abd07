/**
 * Split metrics on real PostgreSQL: a metric split by region gets one series per top value and
 * one "other", named after the value, with thresholds corrected for their number; the series
 * add up to the parent in every window; a drop in one region opens an anomaly on its series;
 * the series follow the parent's edits and leave with its split.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, isNotNull } from 'drizzle-orm';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  ensureDefaultMetrics,
  getMetricByKey,
  savedRule,
  toDefinition,
  updateDefinition,
} from '@/db/queries/metrics';
import { metrics } from '@/db/schema';
import { pointsSince } from '@/db/queries/points';
import { anomalySummaries } from '@/db/queries/views';
import { SourcePartition } from '@/db/sources/partition';
import { syncSplitSeries } from '@/db/queries/split';
import { createDetector } from './detector';

const MINUTE = 60_000;
const log = createLogger('test', 'silent');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
});
afterAll(() => t.drop());

const series = () =>
  t.db.select().from(metrics).where(isNotNull(metrics.parentId)).orderBy(metrics.id);

describe('a metric split by region', () => {
  const peak = Date.UTC(2026, 0, 1, 15);
  const day = 24 * 60 * MINUTE;
  const start = peak + Math.floor((Date.now() - 60 * MINUTE - peak) / day) * day;

  it('scores each top region and the rest as series of their own', async () => {
    const purchases = (await getMetricByKey(t.db, 'purchases'))!;
    const { id: _id, enabled: _enabled, ...def } = toDefinition(purchases);
    await updateDefinition(
      t.db,
      'purchases',
      { ...def, split: { dim: 'region', topN: 2 } },
      { userId: null },
    );
    const partition = await SourcePartition.claim(
      { sql: t.sql, log },
      {
        source: 'test',
        partition: 0,
        windowMs: MINUTE,
        outOfOrderMs: 2000,
        allowedLatenessMs: 0,
        maxValuesPerDim: 200,
        owner: 'test',
      },
    );
    const sim = new Simulator({
      seed: 5,
      ratePerSec: 600,
      injections: schedule({
        startMs: start,
        firstAfterMs: 16 * MINUTE,
        durationMs: 4 * MINUTE,
        gapMs: day,
        scenarios: ['purchase_drop_eu_west'],
        untilMs: start + 30 * MINUTE,
      }),
    });
    for (let w = start; w < start + 22 * MINUTE; w += MINUTE) {
      for (const e of sim.generate(w, w + MINUTE))
        partition.pipeline.ingestLine(JSON.stringify(e), Date.now());
      expect(await partition.flush()).toBe('ok');
    }
    const detector = createDetector({
      handle: t,
      log,
      windowMs: MINUTE,
      incidents: { publicUrl: 'http://pulse.test' },
    });
    expect(await detector.tick()).toBeGreaterThanOrEqual(20);
    await detector.stop();

    const rows = await series();
    expect(rows.map((r) => [r.key, r.name, r.seriesValue])).toEqual([
      ['purchases.0', 'Purchases · region: other', null],
      ['purchases.1', 'Purchases · region=us-east', 'us-east'],
      ['purchases.2', 'Purchases · region=eu-west', 'eu-west'],
    ]);
    const other = rows[0]!;
    expect(other.exclude).toEqual({ region: ['eu-west', 'us-east'] });
    expect(rows[2]!.filters).toEqual({ region: ['eu-west'] });
    for (const row of rows) {
      expect(row.parentId).toBe(purchases.id);
      expect(row.warnZ).toBeGreaterThan(purchases.warnZ);
      expect(row.criticalZ).toBeGreaterThan(purchases.criticalZ);
      expect(savedRule(row).baseline).toBe(purchases.baseline);
    }

    // Additive: the series' values add up to the parent's in every scored window.
    const points = await pointsSince(t.db, [purchases.id, ...rows.map((r) => r.id)], start);
    const byWindow = new Map<number, { parent: number; sum: number; n: number }>();
    for (const p of points) {
      const w = byWindow.get(p.windowStart.getTime()) ?? { parent: NaN, sum: 0, n: 0 };
      if (p.metricId === purchases.id) w.parent = p.value ?? NaN;
      else {
        w.sum += p.value ?? 0;
        w.n += 1;
      }
      byWindow.set(p.windowStart.getTime(), w);
    }
    const complete = [...byWindow.values()].filter((w) => w.n === 3);
    expect(complete.length).toBeGreaterThanOrEqual(20);
    for (const w of complete) expect(w.sum).toBeCloseTo(w.parent, 6);

    // (us-east sells a little more, so it is named first.) The drop in eu-west opened an anomaly on its series, named after it.
    const found = (await anomalySummaries(t.db)).filter((a) => a.metricKey === 'purchases.2');
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect(found.at(-1)!.direction).toBe('down');
    expect(found.at(-1)!.metricName).toBe('Purchases · region=eu-west');
    // Nothing in the series that did not move.
    const quiet = (await anomalySummaries(t.db)).filter((a) =>
      ['purchases.0', 'purchases.1'].includes(a.metricKey),
    );
    expect(quiet).toEqual([]);
  });

  it('follows the parent: renamed with it, gone with its split', async () => {
    const purchases = (await getMetricByKey(t.db, 'purchases'))!;
    const { id: _id, enabled: _enabled, ...def } = toDefinition(purchases);
    await updateDefinition(t.db, 'purchases', { ...def, name: 'Orders' }, { userId: null });
    await t.db.transaction((tx) => syncSplitSeries(tx, start + 30 * MINUTE, MINUTE));
    expect((await series()).map((r) => r.name)).toEqual([
      'Orders · region: other',
      'Orders · region=us-east',
      'Orders · region=eu-west',
    ]);
    // Idempotent: nothing to change the second time.
    expect(
      await t.db.transaction((tx) => syncSplitSeries(tx, start + 31 * MINUTE, MINUTE)),
    ).toEqual([]);
    await updateDefinition(t.db, 'purchases', { ...def, split: null }, { userId: null });
    const gone = await t.db.transaction((tx) => syncSplitSeries(tx, start + 32 * MINUTE, MINUTE));
    expect(gone).toHaveLength(3);
    expect(await series()).toEqual([]);
    const [parent] = await t.db.select().from(metrics).where(eq(metrics.key, 'purchases'));
    expect(parent!.splitBy).toBeNull();
  });
});
