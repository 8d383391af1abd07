/**
 * The whole back end on real PostgreSQL: simulated events with an injected incident → pipeline
 * → flushes → detector. The incident must be detected in its window and explained by its true
 * root cause, and accounting must balance.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import type { Pipeline } from '@/lib/stream/pipeline';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { ensureTestMetrics } from '@/db/testing/metrics';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createUser } from '@/db/queries/auth';
import { getMetricByKey, listMetrics, toRule, updateRule } from '@/db/queries/metrics';
import { eq } from 'drizzle-orm';
import { anomalies as anomaliesTable, incidents as incidentsTable, metrics } from '@/db/schema';
import { pointsSince } from '@/db/queries/points';
import { partitionStats } from '@/db/queries/stream';
import { anomalySummaries, loadAnomalyDetail } from '@/db/queries/views';
import { createDetector } from './detector';
import { SourcePartition } from '@/db/sources/partition';

const MINUTE = 60_000;
const log = createLogger('test', 'silent');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureTestMetrics(t.db);
});
afterAll(() => t.drop());

/** Claims the test source like a worker does and returns its claimed partition and pipeline. */
async function openSource() {
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
  const pipeline = partition.pipeline;
  return { pipeline, partition };
}

async function feed(
  sim: Simulator,
  from: number,
  to: number,
  pipeline: Pipeline,
  partition: SourcePartition,
  junk = 0,
) {
  const now = Date.now();
  for (let w = from; w < to; w += MINUTE) {
    for (const event of sim.generate(w, w + MINUTE))
      pipeline.ingestLine(JSON.stringify(event), now);
    for (let i = 0; i < junk; i++) pipeline.ingestLine(i % 2 ? '{"ts":1,' : '{"type":"x"}', now);
    expect(await partition.flush()).toBe('ok');
  }
}

describe('pipeline → rollups → detector', () => {
  // The simulator's daily peak (15:00 UTC) of the latest day that ended an hour ago: the same
  // traffic level on every run, and inside the event-time sanity window.
  const peak = Date.UTC(2026, 0, 1, 15);
  const day = 24 * 60 * MINUTE;
  const start = peak + Math.floor((Date.now() - 60 * MINUTE - peak) / day) * day;
  const incidentStart = start + 14 * MINUTE;
  const injections = schedule({
    startMs: start,
    firstAfterMs: 14 * MINUTE,
    durationMs: 3 * MINUTE,
    gapMs: 24 * 60 * MINUTE,
    scenarios: ['purchase_drop_eu_west'],
    untilMs: start + 40 * MINUTE,
  });

  it('detects the injected purchase drop and names region=eu-west as its root cause', async () => {
    const sim = new Simulator({ seed: 11, ratePerSec: 1000, injections });
    const { pipeline, partition } = await openSource();
    await feed(sim, start, start + 18 * MINUTE, pipeline, partition, 5);

    // warn at |z| ≥ 4: one false alarm in the quiet windows is a few percent likely at 3.
    const purchasesRow = (await getMetricByKey(t.db, 'purchases'))!;
    const admin = await createUser(t.db, { username: 'ad', passwordHash: 'x', role: 'admin' });
    await updateRule(t.db, purchasesRow.id, { ...toRule(purchasesRow), warnZ: 4 }, admin.id);
    const detector = createDetector({
      handle: t,
      log,
      windowMs: MINUTE,
      incidents: { publicUrl: 'http://pulse.test' },
    });
    expect(await detector.tick()).toBeGreaterThanOrEqual(16);
    await detector.stop();

    const purchases = await getMetricByKey(t.db, 'purchases');
    const found = (await anomalySummaries(t.db)).filter((a) => a.metricKey === 'purchases');
    expect(found.length).toBeGreaterThanOrEqual(1);
    const anomaly = found.at(-1)!; // the first one opened
    expect(anomaly.direction).toBe('down');
    expect(anomaly.firstWindow).toBeGreaterThanOrEqual(incidentStart - MINUTE);
    expect(anomaly.firstWindow).toBeLessThan(incidentStart + 2 * MINUTE);
    expect(anomaly.sentence).toContain('region=eu-west');

    // The anomaly opened an incident (or joined one) in its window's transaction, titled by
    // the shared cause.
    const [placed] = await t.db
      .select({ incidentId: anomaliesTable.incidentId })
      .from(anomaliesTable)
      .where(eq(anomaliesTable.id, anomaly.id));
    expect(placed?.incidentId).not.toBeNull();
    const [incident] = await t.db
      .select()
      .from(incidentsTable)
      .where(eq(incidentsTable.id, placed!.incidentId!));
    expect(incident?.title).toMatch(/^region=eu-west.*: .*Purchases −\d+%/);
    expect(incident?.cause).toMatchObject({ region: 'eu-west' });

    const detail = await loadAnomalyDetail(t.db, anomaly.id, MINUTE);
    const top = detail?.explanation.top[0];
    expect(top).toMatchObject({ dim: 'region', value: 'eu-west' });
    expect(top!.share).toBeGreaterThan(0.6);

    // No purchase alerts outside the incident.
    const points = await pointsSince(t.db, [purchases!.id], start);
    const alerted = points.filter((p) => p.status === 'warn' || p.status === 'critical');
    for (const p of alerted) {
      expect(p.windowStart.getTime()).toBeGreaterThanOrEqual(incidentStart - MINUTE);
      expect(p.windowStart.getTime()).toBeLessThan(incidentStart + 5 * MINUTE);
    }

    // Nothing lost: received = folded + quarantined.
    const [stats] = await partitionStats(t.db);
    expect(stats!.received).toBe(stats!.folded + stats!.quarantined);
    expect(stats!.quarantined).toBe(18 * 5);
  });

  it('applies a changed threshold from the next window without a restart', async () => {
    const purchases = (await listMetrics(t.db)).find((m) => m.key === 'purchases')!;
    const editor = await createUser(t.db, { username: 'ed', passwordHash: 'x', role: 'editor' });
    // Rolling mean: the 18 silent minutes before this traffic are most of the baseline, and a
    // median of them (0) would call the traffic's return an anomaly beyond any threshold —
    // right, but not what this test is about.
    await updateRule(
      t.db,
      purchases.id,
      {
        ...toRule(purchases),
        warnZ: 500,
        criticalZ: 900,
        baseline: 'rolling',
        baselineWindows: 20,
      },
      editor.id,
    );
    const sim = new Simulator({
      seed: 12,
      ratePerSec: 300,
      injections: schedule({
        startMs: start + 36 * MINUTE,
        firstAfterMs: 0,
        durationMs: 10 * MINUTE,
        gapMs: MINUTE,
        scenarios: ['purchase_drop_eu_west'],
        untilMs: start + 50 * MINUTE,
      }),
    });
    const { pipeline, partition } = await openSource();
    const before = (await anomalySummaries(t.db)).filter((a) => a.metricKey === 'purchases');
    await feed(sim, start + 36 * MINUTE, start + 44 * MINUTE, pipeline, partition);
    const detector = createDetector({
      handle: t,
      log,
      windowMs: MINUTE,
      incidents: { publicUrl: 'http://pulse.test' },
    });
    expect(await detector.tick()).toBeGreaterThan(5);
    await detector.stop();
    const after = (await anomalySummaries(t.db)).filter((a) => a.metricKey === 'purchases');
    expect(after.map((a) => a.id)).toEqual(before.map((a) => a.id));
  });

  it('re-scores stored history on request, withdrawing anomalies the new rule would not raise', async () => {
    const purchases = (await getMetricByKey(t.db, 'purchases'))!;
    // The rule was raised to warn at 500 in the previous test; the old anomaly still stands.
    const stale = (await anomalySummaries(t.db)).filter(
      (a) => a.metricKey === 'purchases' && a.status !== 'withdrawn',
    );
    expect(stale.length).toBeGreaterThanOrEqual(1);
    const pointsBefore = await pointsSince(t.db, [purchases.id], start);
    await t.db
      .update(metrics)
      .set({ rescoreFrom: new Date(start) })
      .where(eq(metrics.id, purchases.id));

    const detector = createDetector({
      handle: t,
      log,
      windowMs: MINUTE,
      incidents: { publicUrl: 'http://pulse.test' },
    });
    await detector.tick();
    await detector.stop();

    const after = (await anomalySummaries(t.db)).filter((a) => a.metricKey === 'purchases');
    expect(after.filter((a) => a.status !== 'withdrawn')).toEqual([]);
    expect(after.map((a) => a.id).sort()).toEqual(stale.map((a) => a.id).sort());
    const pointsAfter = await pointsSince(t.db, [purchases.id], start);
    expect(pointsAfter.map((p) => p.windowStart.getTime())).toEqual(
      pointsBefore.map((p) => p.windowStart.getTime()),
    );
    expect(pointsAfter.filter((p) => p.status === 'warn' || p.status === 'critical')).toEqual([]);
    expect((await getMetricByKey(t.db, 'purchases'))!.rescoreFrom).toBeNull();
  });
});
