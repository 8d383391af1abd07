/**
 * Interim results on real PostgreSQL: flushed partial rollups of the open window prove an
 * anomaly before the window closes (an interim anomaly, announced), and the window's final score
 * then confirms it in place, or withdraws it when the rest of the window made up for the start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import type { PulseEvent } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { anomalies } from '@/db/schema';
import { pointsSince } from '@/db/queries/points';
import { anomalySummaries } from '@/db/queries/views';
import { SourcePartition } from '@/db/sources/partition';
import { createDetector, type Detector } from './detector';

const MINUTE = 60_000;
const log = createLogger('test', 'silent');

let t: TestDatabase;
let partition: SourcePartition;
let detector: Detector;
const notices: string[] = [];
/** The NOTIFY payloads heard so far. */
const announced = () => notices.map((n) => JSON.parse(n) as { kind: string; id?: number });
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
  partition = await SourcePartition.claim(
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
  await t.sql.listen('pulse', (payload) => notices.push(payload));
  detector = createDetector({
    handle: t,
    log,
    windowMs: MINUTE,
    incidents: { publicUrl: 'http://pulse.test' },
    // Every tick looks at the open window.
    interim: { outOfOrderMs: 2000, cadenceMs: 0 },
  });
});
afterAll(async () => {
  await detector.stop();
  await t.drop();
});

/** Feeds events with event time in [from, to), changed by `edit`, and flushes once. */
async function feed(
  sim: Simulator,
  from: number,
  to: number,
  edit: (e: PulseEvent) => PulseEvent[] = (e) => [e],
) {
  const now = Date.now();
  for (let w = from; w < to; w += MINUTE) {
    for (const event of sim.generate(w, Math.min(to, w + MINUTE))) {
      for (const e of edit(event)) partition.pipeline.ingestLine(JSON.stringify(e), now);
    }
  }
  expect(await partition.flush()).toBe('ok');
}

const noPurchases = (e: PulseEvent) => (e.type === 'purchase' ? [] : [e]);
/** Each purchase twice (the second a millisecond later): twice the rate. */
const doublePurchases = (e: PulseEvent) =>
  e.type === 'purchase' ? [e, { ...e, ts: e.ts + 1 }] : [e];

async function purchaseAnomalies() {
  const purchases = (await getMetricByKey(t.db, 'purchases'))!;
  return t.db.select().from(anomalies).where(eq(anomalies.metricId, purchases.id));
}

describe('interim results in the live detector', () => {
  // The simulator's daily peak of the latest day that ended an hour ago (see detector.int.test.ts).
  const peak = Date.UTC(2026, 0, 1, 15);
  const day = 24 * 60 * MINUTE;
  const start = peak + Math.floor((Date.now() - 60 * MINUTE - peak) / day) * day;
  const sim = new Simulator({ seed: 5, ratePerSec: 400, injections: [] });
  const open = start + 16 * MINUTE;

  it('opens an interim anomaly before the window closes and confirms it when it does', async () => {
    await feed(sim, start, open);
    // 30 s into the open window, no purchase at all: the partial count already proves a drop.
    await feed(sim, open, open + 30_000, noPurchases);
    await detector.tick();
    const [early] = await purchaseAnomalies();
    expect(early).toBeDefined();
    expect(early!.interim).toBe(true);
    expect(early!.status).toBe('open');
    expect(early!.direction).toBe('down');
    expect(early!.lastWindow.getTime()).toBe(open);
    expect(early!.sentence).toMatch(/^Interim, \d+% of the window in\./);
    // NOTIFY reaches the listener after the commit, asynchronously: wait for it.
    await expect.poll(() => announced()).toContainEqual({ kind: 'anomaly', id: early!.id });
    // The window is not scored yet: no point for it.
    const purchases = (await getMetricByKey(t.db, 'purchases'))!;
    expect((await pointsSince(t.db, [purchases.id], open)).length).toBe(0);
    // The board's view says interim.
    const view = (await anomalySummaries(t.db)).find((a) => a.id === early!.id);
    expect(view?.interim).toBe(true);

    // Looking again does not open a second one.
    await detector.tick();
    expect(await purchaseAnomalies()).toHaveLength(1);

    // The rest of the window, still without purchases, and the next window's start: it closes.
    await feed(sim, open + 30_000, open + MINUTE, noPurchases);
    await feed(sim, open + MINUTE, open + MINUTE + 10_000);
    await detector.tick();
    const rows = await purchaseAnomalies();
    expect(rows).toHaveLength(1);
    const confirmed = rows[0]!;
    expect(confirmed.id).toBe(early!.id);
    expect(confirmed.interim).toBe(false);
    expect(confirmed.confirmedAt).not.toBeNull();
    expect(confirmed.status).toBe('open');
    expect(confirmed.sentence).not.toMatch(/^Interim/);
    const [point] = await pointsSince(t.db, [purchases.id], open);
    expect(point?.anomalyId).toBe(confirmed.id);
  });

  it('withdraws an interim anomaly that the final score does not confirm', async () => {
    // Normal windows until the confirmed anomaly resolves (two in a row).
    const next = open + 4 * MINUTE;
    await feed(sim, open + MINUTE + 10_000, next);
    await detector.tick();
    expect((await purchaseAnomalies()).every((a) => a.status !== 'open')).toBe(true);

    // The first half without purchases opens an interim anomaly ...
    await feed(sim, next, next + 30_000, noPurchases);
    await detector.tick();
    const interim = (await purchaseAnomalies()).find((a) => a.interim && a.status === 'open');
    expect(interim).toBeDefined();
    expect(interim!.lastWindow.getTime()).toBe(next);

    // ... and a second half at twice the rate makes the window's total normal again.
    notices.length = 0;
    await feed(sim, next + 30_000, next + MINUTE, doublePurchases);
    await feed(sim, next + MINUTE, next + MINUTE + 10_000);
    await detector.tick();
    const [withdrawn] = (await purchaseAnomalies()).filter((a) => a.id === interim!.id);
    expect(withdrawn!.status).toBe('withdrawn');
    expect(withdrawn!.interim).toBe(true);
    expect(withdrawn!.sentence).toMatch(/^Withdrawn: the interim alert was not confirmed/);
    expect(withdrawn!.explanation.sentence).toBe(withdrawn!.sentence);
    // The final score opened nothing else, and the withdrawal was announced.
    expect((await purchaseAnomalies()).filter((a) => a.status === 'open')).toHaveLength(0);
    await expect.poll(() => announced()).toContainEqual({ kind: 'anomaly', id: interim!.id });
  });
});
