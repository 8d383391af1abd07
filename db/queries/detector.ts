/**
 * The detector's own state: `detector_progress` (how far windows are closed, at which window
 * length, for how many shards) and `scoring_queue` (closed windows waiting to be scored, first
 * time or revision, one entry per window and shard).
 */
import { and, asc, eq, inArray, sql as dsql } from 'drizzle-orm';
import { detectorProgress, scoringQueue } from '../schema';
import type { Executor } from './executor';

export async function getScoredThrough(db: Executor, windowMs: number): Promise<number | null> {
  const [row] = await db.select().from(detectorProgress).where(eq(detectorProgress.id, 1));
  // A changed window length starts scoring afresh rather than mixing window sizes.
  if (!row || row.windowMs !== windowMs) return null;
  return row.scoredThrough ? row.scoredThrough.getTime() : null;
}

/**
 * Makes sure the detector's progress row exists before any window is closed: flushes lock it
 * (db/queries/stream.ts enqueueRevisions) to order late data against closing.
 */
export async function ensureDetectorProgress(
  db: Executor,
  windowMs: number,
  shards = 1,
): Promise<void> {
  await db.insert(detectorProgress).values({ id: 1, windowMs, shards }).onConflictDoNothing();
}

/** The shard count the detectors follow (set by shard 0's holder), or null before any. */
export async function getShardCount(db: Executor): Promise<number | null> {
  const [row] = await db
    .select({ shards: detectorProgress.shards })
    .from(detectorProgress)
    .where(eq(detectorProgress.id, 1));
  return row?.shards ?? null;
}

/**
 * Closes windows: advances the detector's progress through the last of `windowStarts` and
 * queues each of them once per shard, in one transaction (so a crash neither skips nor loses
 * one).
 */
export async function closeWindows(
  db: Executor,
  windowStarts: number[],
  windowMs: number,
  shards = 1,
) {
  const last = windowStarts.at(-1);
  if (last === undefined) return;
  await db.transaction(async (tx) => {
    await tx
      .insert(detectorProgress)
      .values({ id: 1, scoredThrough: new Date(last), windowMs, shards })
      .onConflictDoUpdate({
        target: detectorProgress.id,
        set: { scoredThrough: new Date(last), windowMs, shards },
      });
    await tx
      .insert(scoringQueue)
      .values(
        windowStarts.flatMap((w) =>
          Array.from({ length: shards }, (_, shard) => ({
            windowStart: new Date(w),
            shard,
            revision: false,
          })),
        ),
      )
      .onConflictDoNothing();
  });
}

/**
 * Makes the stored shard count `shards` (PULSE_DETECTOR_SHARDS changed): every queued window is
 * queued for each of the new shards, and entries of shards that no longer exist are dropped.
 * A metric that moved shard and was already scored in a re-queued window goes through the
 * detector's revision path, which changes nothing when nothing changed. Under the progress
 * row's lock, which flushes queueing revisions share (db/queries/stream.ts).
 */
export async function setShardCount(db: Executor, shards: number): Promise<void> {
  if ((await getShardCount(db)) === shards) return;
  await db.transaction(async (tx) => {
    const [row] = await tx
      .select({ shards: detectorProgress.shards })
      .from(detectorProgress)
      .where(eq(detectorProgress.id, 1))
      .for('update');
    if (!row || row.shards === shards) return;
    await tx.update(detectorProgress).set({ shards }).where(eq(detectorProgress.id, 1));
    await tx.execute(dsql`
      insert into scoring_queue (window_start, shard, revision)
      select distinct q.window_start, s, true
      from scoring_queue q, generate_series(0, ${shards}::int - 1) as s
      on conflict do nothing`);
    await tx.execute(dsql`delete from scoring_queue where shard >= ${shards}::int`);
  });
}

export interface QueuedWindow {
  windowStart: number;
  /** The shard whose metrics this entry is for. */
  shard: number;
  version: number;
  /** True when late data (or a re-ingest) changed the window after it was closed. */
  revision: boolean;
}

/** Windows waiting to be scored for any of `shards`, oldest first. */
export async function queuedWindows(
  db: Executor,
  limit: number,
  shards: readonly number[] = [0],
): Promise<QueuedWindow[]> {
  if (shards.length === 0) return [];
  const rows = await db
    .select()
    .from(scoringQueue)
    .where(inArray(scoringQueue.shard, [...shards]))
    .orderBy(asc(scoringQueue.windowStart), asc(scoringQueue.shard))
    .limit(limit);
  return rows.map((r) => ({
    windowStart: r.windowStart.getTime(),
    shard: r.shard,
    version: r.version,
    revision: r.revision,
  }));
}

/** Why an entry could not be claimed: then its shard waits for the next poll. */
export type Claim = 'claimed' | 'gone' | 'busy' | 'moved';

/**
 * Claims a queued entry for the transaction that scores it, with three guards held until the
 * transaction ends: the stored shard count is still `shards` (a share lock on the progress
 * row, so a change of count waits for scoring under the old one); no other transaction is
 * scoring the entry's shard (a transaction-level advisory lock (`scoringKey`, shard): a
 * worker that lost its shard but is still scoring, and the new holder, take turns); and the
 * session `pid` still holds the shard's lock (`shardKey`, shard). The entry must still be
 * queued. Never a row lock on the entry: a flush that re-queues it (late data) must not wait
 * for scoring, and then the entry stays for another pass (`dequeueWindow` goes by version).
 */
export async function claimQueued(
  tx: Executor,
  entry: QueuedWindow,
  guard: { shards: number; scoringKey: number; shardKey: number; pid: number | null },
): Promise<Claim> {
  const [progress] = await tx
    .select({ shards: detectorProgress.shards })
    .from(detectorProgress)
    .where(eq(detectorProgress.id, 1))
    .for('share');
  if (progress?.shards !== guard.shards || guard.pid === null) return 'moved';
  const rows = await tx.execute<{ locked: boolean; holds: boolean; queued: boolean }>(dsql`
      select pg_try_advisory_xact_lock(${guard.scoringKey}::int, ${entry.shard}::int) as locked,
        exists (select 1 from pg_locks
          where locktype = 'advisory' and classid = ${guard.shardKey}::oid
            and objid = ${entry.shard}::int::oid and objsubid = 2 and granted
            and pid = ${guard.pid}::int
            and database = (select oid from pg_database where datname = current_database())
        ) as holds,
        exists (select 1 from scoring_queue
          where window_start = ${new Date(entry.windowStart).toISOString()}::timestamptz
            and shard = ${entry.shard}::int) as queued`);
  const row = rows[0];
  if (!row?.locked) return 'busy';
  if (!row.holds) return 'moved';
  return row.queued ? 'claimed' : 'gone';
}

/**
 * Removes a scored entry from the queue, only at the version that was scored: if more late
 * data arrived meanwhile, the entry stays and the window is scored again.
 */
export async function dequeueWindow(db: Executor, entry: QueuedWindow): Promise<void> {
  await db
    .delete(scoringQueue)
    .where(
      and(
        eq(scoringQueue.windowStart, new Date(entry.windowStart)),
        eq(scoringQueue.shard, entry.shard),
        eq(scoringQueue.version, entry.version),
      ),
    );
}
