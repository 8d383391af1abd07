/**
 * Scale-out of the detector: with several workers only the holder of the advisory lock scores,
 * and when the leader dies (its session ends) another one takes over at its next poll, resuming
 * from the stored progress — no window skipped, none scored twice. With shards, the workers
 * share them evenly, score at the same time, and the survivor takes a dead worker's shards.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
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
let handles: DbHandle[] = [];
// A database per test: each starts with no detector progress.
beforeEach(async () => {
  t = await createTestDatabase();
  await ensureDefaultMetrics(t.db);
});
afterEach(async () => {
  for (const h of handles) await h.close().catch(() => undefined);
  handles = [];
  await t.drop();
});

const worker = (name: string, shards = 1) => {
  const handle = createDb(t.url, { max: 2, appName: name });
  handles.push(handle);
  return {
    handle,
    detector: createDetector({
      handle,
      log,
      windowMs: MINUTE,
      shards,
      incidents: { publicUrl: 'http://pulse.test' },
    }),
  };
};

/** Ticks until it scores something (a lock freed by a terminated backend goes a moment later). */
async function tickUntilScored(detector: { tick(): Promise<number> }): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const scored = await detector.tick();
    if (scored > 0) return scored;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 0;
}

async function feeder(source: string, seed: number) {
  const partition = await SourcePartition.claim(
    { sql: t.sql, log },
    {
      source,
      partition: 0,
      windowMs: MINUTE,
      outOfOrderMs: 1000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 200,
      owner: source,
    },
  );
  const pipeline = partition.pipeline;
  const sim = new Simulator({ seed, ratePerSec: 20, injections: [] });
  return async (from: number, to: number) => {
    for (const e of sim.generate(from, to)) pipeline.ingestLine(JSON.stringify(e), Date.now());
    expect(await partition.flush()).toBe('ok');
  };
}

it('hands the detector over when the leader dies', async () => {
  const start = Math.floor((Date.now() - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
  const feed = await feeder('l', 5);

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
  const takenOver = await tickUntilScored(b.detector);
  expect(takenOver).toBe(3);
  await b.detector.stop();

  const purchases = (await getMetricByKey(t.db, 'purchases'))!;
  const scored = (await pointsSince(t.db, [purchases.id], start)).map((p) =>
    p.windowStart.getTime(),
  );
  expect(scored).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => start + i * MINUTE));
});

/**
 * Every write of a point (insert or update), in order: a window scored twice, or scored before
 * an earlier one, shows here even though points are upserted.
 */
async function recordPointWrites(): Promise<() => Promise<{ metric: number; window: number }[]>> {
  await t.sql.unsafe(`
    create table point_writes (seq serial primary key, metric_id int, window_start timestamptz);
    create function log_point_write() returns trigger language plpgsql as $$
      begin insert into point_writes (metric_id, window_start)
            values (new.metric_id, new.window_start); return new; end $$;
    create trigger log_point_write after insert or update on metric_points
      for each row execute function log_point_write();`);
  return async () =>
    (
      await t.sql<{ metric_id: number; ms: number }[]>`
        select metric_id, (extract(epoch from window_start) * 1000)::float8 as ms
        from point_writes order by seq`
    ).map((r) => ({ metric: r.metric_id, window: r.ms }));
}

/** Each metric's point writes are one per window, in window order. */
function expectOncePerWindowInOrder(writes: { metric: number; window: number }[]) {
  const byMetric = new Map<number, number[]>();
  for (const w of writes) byMetric.set(w.metric, [...(byMetric.get(w.metric) ?? []), w.window]);
  for (const windows of byMetric.values()) {
    expect(windows).toEqual([...new Set(windows)].sort((a, b) => a - b));
  }
  return byMetric;
}

it('shares two shards between two workers, and the survivor takes both when one dies', async () => {
  const start = Math.floor((Date.now() - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
  const writes = await recordPointWrites();
  const feed = await feeder('s', 6);
  const a = worker('shard-a', 2);
  const b = worker('shard-b', 2);
  const queued = async () =>
    (
      await t.sql<{ shard: number; n: number }[]>`
      select shard, count(*)::int as n from scoring_queue group by shard order by shard`
    ).map((r) => [r.shard, r.n]);

  // Alone, a takes both shards: 4 final windows, queued and scored once per shard.
  await feed(start, start + 5 * MINUTE);
  expect(await a.detector.tick()).toBe(8);
  expect(await queued()).toEqual([]);

  // b joins: a holds both, so b gets none at first; a gives shard 1 back at its next poll and
  // scores only shard 0 (it closes the windows, as shard 0's holder); b then takes shard 1.
  await feed(start + 5 * MINUTE, start + 8 * MINUTE);
  expect(await b.detector.tick()).toBe(0);
  expect(await a.detector.tick()).toBe(3);
  expect(await queued()).toEqual([[1, 3]]);
  expect(await b.detector.tick()).toBe(3);

  // Both score at the same time, each its own shard.
  await feed(start + 8 * MINUTE, start + 10 * MINUTE);
  expect(await a.detector.tick()).toBe(2); // closes windows 8 and 9 for both shards
  const [fromA, fromB] = await Promise.all([a.detector.tick(), b.detector.tick()]);
  expect([fromA, fromB]).toEqual([0, 2]);

  // a dies: b takes shard 0 too, closes the next windows and scores them for both shards.
  await t.sql`select pg_terminate_backend(pid) from pg_stat_activity
              where application_name = 'shard-a'`;
  await feed(start + 10 * MINUTE, start + 12 * MINUTE);
  expect(await tickUntilScored(b.detector)).toBe(4);
  expect(await queued()).toEqual([]);
  await b.detector.stop();

  // Every metric of either shard has every window, scored once (the point of a window is
  // unique; no window was left in the queue or skipped).
  const windows = Array.from({ length: 11 }, (_, i) => start + i * MINUTE);
  const metrics = await t.sql<{ id: number }[]>`select id from metrics order by id`;
  expect(new Set(metrics.map((m) => m.id % 2))).toEqual(new Set([0, 1]));
  for (const { id } of metrics) {
    const scored = (await pointsSince(t.db, [id], start)).map((p) => p.windowStart.getTime());
    expect(scored).toEqual(windows);
  }
  const byMetric = expectOncePerWindowInOrder(await writes());
  expect([...byMetric.values()].map((w) => w.length)).toEqual(metrics.map(() => 11));
});

it('scores a shard in window order: an entry it cannot claim holds the later ones back', async () => {
  const start = Math.floor((Date.now() - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
  const writes = await recordPointWrites();
  const feed = await feeder('o', 7);
  const a = worker('order-a', 2);
  await feed(start, start + 4 * MINUTE);
  // Another transaction is scoring shard 1 (the lock a worker takes per scoring transaction,
  // e.g. one that lost the shard but has not noticed): a scores shard 0 only.
  const scoring = t.sql.reserve();
  const other = await scoring;
  await other`begin`;
  await other`select pg_advisory_xact_lock(${0x70756c74}::int, 1)`;
  expect(await a.detector.tick()).toBe(3);
  const queued = await t.sql<{ shard: number; ms: number }[]>`
    select shard, (extract(epoch from window_start) * 1000)::float8 as ms
    from scoring_queue order by window_start`;
  expect(queued.map((q) => [q.shard, q.ms])).toEqual([0, 1, 2].map((i) => [1, start + i * MINUTE]));
  await other`commit`;
  other.release();
  expect(await a.detector.tick()).toBe(3);
  expectOncePerWindowInOrder(await writes());
  await a.detector.stop();
});

it('follows the stored shard count; a new count from shard 0’s holder re-queues what is queued', async () => {
  const start = Math.floor((Date.now() - 2 * 60 * MINUTE) / MINUTE) * MINUTE;
  const writes = await recordPointWrites();
  const feed = await feeder('c', 8);
  const a = worker('count-a', 2);
  await feed(start, start + 4 * MINUTE);
  expect(await a.detector.tick()).toBe(6); // 3 windows × 2 shards
  // b is configured with 1 shard but joins detectors that use 2: it follows 2 and takes one.
  const b = worker('count-b', 1);
  await feed(start + 4 * MINUTE, start + 6 * MINUTE);
  expect(await b.detector.tick()).toBe(0);
  expect(await a.detector.tick()).toBe(2); // a gave shard 1 back: windows 3 and 4, shard 0
  expect(await b.detector.tick()).toBe(2); // shard 1, as the stored count says
  await a.detector.stop();
  await b.detector.stop();
  // a restarts configured with 3 shards, with two windows closed for 2 shards but unscored.
  const w5 = new Date(start + 5 * MINUTE).toISOString();
  await t.sql`insert into scoring_queue (window_start, shard, revision)
              values (${w5}::timestamptz, 0, false), (${w5}::timestamptz, 1, false)`;
  await t.sql`update detector_progress set scored_through = ${w5}::timestamptz`;
  const c = worker('count-c', 3);
  expect(await c.detector.tick()).toBe(3); // window 5 for each of the 3 new shards
  expect((await t.sql<{ shards: number }[]>`select shards from detector_progress`)[0]?.shards).toBe(
    3,
  );
  await c.detector.stop();
  const byMetric = expectOncePerWindowInOrder(await writes());
  for (const windows of byMetric.values()) {
    expect(windows).toEqual(Array.from({ length: 6 }, (_, i) => start + i * MINUTE));
  }
});
