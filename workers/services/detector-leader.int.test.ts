/**
 * Scale-out of the detector: with several workers only the holder of the advisory lock scores,
 * and when the leader dies (its session ends) another one takes over at its next poll, resuming
 * from the stored progress — no window skipped, none scored twice.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import { createDb, type DbHandle } from '@/db/client';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { ensureDefaultMetrics, getMetricByKey } from '@/db/queries/metrics';
import { pointsSince } from '@/db/queries/points';
import { createDetector } from './detector';
import { SourcePartition } from '@/db/sources/partition';

const MINUTE = 60_000;
const log = createLogger('test', 'silent');

let t: TestDatabase;
const handles: DbHandle[] = [];
beforeAll(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
});
afterAll(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  await t.drop();
});

it('hands the detector over when the leader dies', async () => {
  const start = Math.floor((Date.now() - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
  const partition = await SourcePartition.claim(
    { sql: t.sql, log },
    {
      source: 'l',
      partition: 0,
      windowMs: MINUTE,
      outOfOrderMs: 1000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 200,
      owner: 'l',
    },
  );
  const pipeline = partition.pipeline;
  const sim = new Simulator({ seed: 5, ratePerSec: 20, injections: [] });
  const feed = async (from: number, to: number) => {
    for (const e of sim.generate(from, to)) pipeline.ingestLine(JSON.stringify(e), Date.now());
    expect(await partition.flush()).toBe('ok');
  };
  const worker = (name: string) => {
    const handle = createDb(t.url, { max: 2, appName: name });
    handles.push(handle);
    return {
      handle,
      detector: createDetector({
        handle,
        log,
        windowMs: MINUTE,
        incidents: { publicUrl: 'http://pulse.test' },
      }),
    };
  };

  const a = worker('detector-a');
  const b = worker('detector-b');
  await feed(start, start + 5 * MINUTE);
  expect(await a.detector.tick()).toBe(4); // the fifth window is not final yet
  await feed(start + 5 * MINUTE, start + 8 * MINUTE);
  expect(await b.detector.tick()).toBe(0); // a holds the lock: b does not score

  // a's process dies: PostgreSQL ends its sessions, which releases the lock.
  await t.sql`select pg_terminate_backend(pid) from pg_stat_activity
              where application_name = 'detector-a'`;
  // The lock goes when the backend has exited, a moment after pg_terminate_backend returns:
  // b takes over at one of its next polls.
  let takenOver = 0;
  for (let i = 0; i < 50 && takenOver === 0; i++) {
    takenOver = await b.detector.tick();
    if (takenOver === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(takenOver).toBe(3);
  await b.detector.stop();

  const purchases = (await getMetricByKey(t.db, 'purchases'))!;
  const scored = (await pointsSince(t.db, [purchases.id], start)).map((p) =>
    p.windowStart.getTime(),
  );
  expect(scored).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => start + i * MINUTE));
});
