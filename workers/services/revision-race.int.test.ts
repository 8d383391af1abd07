/**
 * Closing a window and writing late data into it race: the detector may read a window's
 * rollups while a flush adds to it. Whatever the interleaving, once everything settles every
 * scored window must have been scored with all its data — no revision lost. Here flushes with
 * late events and detector ticks run concurrently, and each window's stored purchase count is
 * then compared with its rollups.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import type { PulseEvent } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { queuedWindows } from '@/db/queries/detector';
import { pointsSince } from '@/db/queries/points';
import { readRollups } from '@/db/queries/stream';
import { createDetector } from './detector';
import { SourcePartition } from '@/db/sources/partition';

const MINUTE = 60_000;
const log = createLogger('test', 'silent');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
});
afterAll(() => t.drop());

it('scores every window with all its data while late flushes race the detector', async () => {
  const start = Math.floor((Date.now() - 3 * 60 * MINUTE) / MINUTE) * MINUTE;
  const windows = 24;
  const partition = await SourcePartition.claim(
    { sql: t.sql, log },
    {
      source: 'r',
      partition: 0,
      windowMs: MINUTE,
      outOfOrderMs: 1000,
      allowedLatenessMs: 10 * MINUTE,
      maxValuesPerDim: 200,
      owner: 'r',
    },
  );
  const pipeline = partition.pipeline;
  const sim = new Simulator({ seed: 3, ratePerSec: 40, injections: [] });
  const detector = createDetector({
    handle: t,
    log,
    windowMs: MINUTE,
    idleTimeoutMs: 3_600_000,
    incidents: { publicUrl: 'http://pulse.test' },
  });

  // Every third purchase of a window is held back and delivered three windows later, when
  // the window is closed and (usually) scored: the late data must re-score it.
  const held: PulseEvent[][] = [];
  let producing = true;
  const produce = (async () => {
    for (let i = 0; i < windows + 3; i++) {
      const w = start + i * MINUTE;
      const now = Date.now();
      if (i < windows) {
        const events = sim.generate(w, w + MINUTE);
        held[i] = events.filter((e, k) => e.type === 'purchase' && k % 3 === 0);
        for (const e of events)
          if (!held[i]!.includes(e)) pipeline.ingestLine(JSON.stringify(e), now);
      }
      for (const e of held[i - 3] ?? []) pipeline.ingestLine(JSON.stringify(e), now);
      expect(await partition.flush()).toBe('ok');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    producing = false;
  })();
  const score = (async () => {
    while (producing) await detector.tick();
  })();
  await Promise.all([produce, score]);
  // Settle: score whatever is still queued.
  for (let i = 0; i < 10 && (await detector.tick()) > 0; i++);
  await detector.stop();
  expect(await queuedWindows(t.db, 10)).toEqual([]);

  const purchases = (await getMetricByKey(t.db, 'purchases'))!;
  const points = await pointsSince(t.db, [purchases.id], start);
  expect(points.length).toBeGreaterThanOrEqual(windows - 2);
  const rollups = await readRollups(
    t.db,
    points.map((p) => p.windowStart.getTime()),
    ['purchase'],
  );
  for (const point of points) {
    const total = rollups.find(
      (r) => r.windowStart === point.windowStart.getTime() && r.dim === '*' && r.measure === '',
    );
    expect({ window: point.windowStart.toISOString(), value: point.value }).toEqual({
      window: point.windowStart.toISOString(),
      value: total?.count ?? 0,
    });
  }
});
