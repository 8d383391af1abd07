/**
 * Event time end to end on real PostgreSQL: out-of-order events land in their own windows; an
 * event late within the allowed lateness revises its window after the detector scored it, and
 * the window is re-scored (its anomaly updated and marked revised, or withdrawn); an event later
 * than that is quarantined as 'late'. Accounting balances throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import type { Pipeline } from '@/lib/stream/pipeline';
import { Simulator } from '@/lib/simulator/generator';
import type { PulseEvent } from '@/lib/types';
import { ensureTestMetrics } from '@/db/testing/metrics';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createUser } from '@/db/queries/auth';
import { getMetricByKey, toRule, updateRule } from '@/db/queries/metrics';
import { getAnomaly } from '@/db/queries/anomalies';
import { queuedWindows } from '@/db/queries/detector';
import { pointsBetween } from '@/db/queries/points';
import { partitionStats, readRollups } from '@/db/queries/stream';
import { createDetector } from './detector';
import { SourcePartition } from '@/db/sources/partition';

const MINUTE = 60_000;
const log = createLogger('test', 'silent');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureTestMetrics(t.db);
  // Only purchases matter here; warn at |z| ≥ 4 keeps chance alarms in quiet windows away.
  const purchases = (await getMetricByKey(t.db, 'purchases'))!;
  const admin = await createUser(t.db, { username: 'ad', passwordHash: 'x', role: 'admin' });
  await updateRule(t.db, purchases.id, { ...toRule(purchases), warnZ: 4 }, admin.id);
});
afterAll(() => t.drop());

describe('out-of-order and late events', () => {
  // A daily peak (15:00 UTC) of a recent past day: steady traffic, within the sanity window.
  const peak = Date.UTC(2026, 0, 1, 15);
  const day = 24 * 60 * MINUTE;
  const start = peak + Math.floor((Date.now() - 60 * MINUTE - peak) / day) * day;
  const W = start + 12 * MINUTE; // the window whose eu-west purchases arrive late
  const sim = new Simulator({ seed: 7, ratePerSec: 300, injections: [] });
  const heldBack: PulseEvent[] = [];
  const isHeld = (e: PulseEvent) => e.type === 'purchase' && e.dims.region === 'eu-west';

  let pipeline: Pipeline;
  let partition: SourcePartition;
  let ingested = 0;
  const ingest = (events: PulseEvent[]) => {
    for (const e of events) pipeline.ingestLine(JSON.stringify(e), Date.now());
    ingested += events.length;
  };
  const detector = () =>
    createDetector({
      handle: t,
      log,
      windowMs: MINUTE,
      idleTimeoutMs: 3_600_000,
      incidents: { publicUrl: 'http://pulse.test' },
    });
  async function purchasesPoint(windowStart: number) {
    const metric = (await getMetricByKey(t.db, 'purchases'))!;
    const [point] = await pointsBetween(t.db, metric.id, windowStart, windowStart);
    return point;
  }

  beforeAll(async () => {
    partition = await SourcePartition.claim(
      { sql: t.sql, log },
      {
        source: 't',
        partition: 0,
        windowMs: MINUTE,
        outOfOrderMs: 2000,
        allowedLatenessMs: 3 * MINUTE,
        maxValuesPerDim: 200,
        owner: 't',
      },
    );
    pipeline = partition.pipeline;
  });

  it('folds out-of-order events into their own windows', async () => {
    // Each second (offset by half a second, so groups straddle the window boundary) delivered
    // newest first: events of the next window arrive before the last ones of this one.
    const a = sim.generate(start, start + MINUTE);
    const b = sim.generate(start + MINUTE, start + 2 * MINUTE);
    const group = (e: PulseEvent) => Math.floor((e.ts + 500) / 1000);
    ingest([...a, ...b].sort((x, y) => group(x) - group(y) || y.ts - x.ts));
    expect(await partition.flush()).toBe('ok');
    const rows = await readRollups(t.db, [start, start + MINUTE], ['page_view']);
    const total = (w: number) =>
      rows.find((r) => r.windowStart === w && r.dim === '*' && r.measure === '')?.count ?? 0;
    expect(total(start)).toBe(a.filter((e) => e.type === 'page_view').length);
    expect(total(start + MINUTE)).toBe(b.filter((e) => e.type === 'page_view').length);
  });

  it('scores a window whose eu-west purchases are late as a drop blamed on eu-west', async () => {
    for (let w = start + 2 * MINUTE; w <= W + MINUTE; w += MINUTE) {
      const events = sim.generate(w, w + MINUTE);
      if (w === W) heldBack.push(...events.filter(isHeld));
      ingest(w === W ? events.filter((e) => !isHeld(e)) : events);
      expect(await partition.flush()).toBe('ok');
    }
    const d = detector();
    expect(await d.tick()).toBeGreaterThanOrEqual(13);
    await d.stop();
    const point = await purchasesPoint(W);
    expect(point?.status).toMatch(/warn|critical/);
    const anomaly = await getAnomaly(t.db, point!.anomalyId!);
    expect(anomaly).toMatchObject({ direction: 'down', status: 'open', revisions: 0 });
    expect(anomaly!.sentence).toContain('region=eu-west');
  });

  it('revises the window when the late events arrive, withdrawing the false drop', async () => {
    const before = (await purchasesPoint(W))!;
    ingest(heldBack); // a minute late: within the allowed lateness of 3 minutes
    expect(await partition.flush()).toBe('ok');
    expect(await queuedWindows(t.db, 10)).toEqual([
      expect.objectContaining({ windowStart: W, revision: true }),
    ]);

    const d = detector();
    await d.tick();
    await d.stop();
    expect(await queuedWindows(t.db, 10)).toEqual([]);
    const after = (await purchasesPoint(W))!;
    expect(after.status).toBe('ok');
    expect(after.value).toBe(before.value! + heldBack.length);
    expect(after.anomalyId).toBeNull();
    const anomaly = await getAnomaly(t.db, before.anomalyId!);
    expect(anomaly).toMatchObject({ status: 'withdrawn', revisions: 1 });
    expect(anomaly!.revisedAt).not.toBeNull();
  });

  it('opens a revised anomaly when late events turn a scored window into a spike', async () => {
    const spikeWindow = W - MINUTE;
    // Extra us-east purchases for a window already scored: late, but within the lateness.
    const extra = sim
      .generate(spikeWindow, spikeWindow + MINUTE)
      .filter((e) => e.type === 'purchase')
      .map((e, i) => ({ ...e, id: `extra-${i}`, dims: { ...e.dims, region: 'us-east' } }));
    ingest([...extra, ...extra.map((e) => ({ ...e, id: `${e.id}-2` }))]);
    expect(await partition.flush()).toBe('ok');
    const d = detector();
    await d.tick();
    await d.stop();
    const point = (await purchasesPoint(spikeWindow))!;
    expect(point.status).toMatch(/warn|critical/);
    const anomaly = await getAnomaly(t.db, point.anomalyId!);
    expect(anomaly).toMatchObject({ direction: 'up', revisions: 1, status: 'resolved' });
    expect(anomaly!.sentence).toContain('region=us-east');
  });

  it('quarantines an event later than the allowed lateness, and accounting balances', async () => {
    const tooLate = sim.generate(start + 3 * MINUTE, start + 3 * MINUTE + 2000).slice(0, 5);
    const rowsBefore = await readRollups(t.db, [start + 3 * MINUTE], ['page_view', 'purchase']);
    ingest(tooLate);
    expect(await partition.flush()).toBe('ok');
    const rowsAfter = await readRollups(t.db, [start + 3 * MINUTE], ['page_view', 'purchase']);
    expect(rowsAfter).toEqual(rowsBefore);
    const late = await t.sql<{ n: number }[]>`
      select count(*)::int as n from quarantine where reason = 'late' and source = 't'`;
    expect(late[0]!.n).toBe(tooLate.length);
    const [stats] = await partitionStats(t.db);
    expect(stats).toMatchObject({ received: ingested, quarantined: tooLate.length });
    expect(stats!.folded + stats!.quarantined).toBe(stats!.received);
  });
});
