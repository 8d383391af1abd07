/**
 * The detector's own state: `detector_progress` (how far windows are closed, at which window
 * length) and `scoring_queue` (closed windows waiting to be scored, first time or revision).
 */
import { and, asc, eq } from 'drizzle-orm';
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
export async function ensureDetectorProgress(db: Executor, windowMs: number): Promise<void> {
  await db.insert(detectorProgress).values({ id: 1, windowMs }).onConflictDoNothing();
}

/**
 * Closes windows: advances the detector's progress through the last of `windowStarts` and
 * queues them for scoring, in one transaction (so a crash neither skips nor loses one).
 */
export async function closeWindows(db: Executor, windowStarts: number[], windowMs: number) {
  const last = windowStarts.at(-1);
  if (last === undefined) return;
  await db.transaction(async (tx) => {
    await tx
      .insert(detectorProgress)
      .values({ id: 1, scoredThrough: new Date(last), windowMs })
      .onConflictDoUpdate({
        target: detectorProgress.id,
        set: { scoredThrough: new Date(last), windowMs },
      });
    await tx
      .insert(scoringQueue)
      .values(windowStarts.map((w) => ({ windowStart: new Date(w), revision: false })))
      .onConflictDoNothing();
  });
}

export interface QueuedWindow {
  windowStart: number;
  version: number;
  /** True when late data (or a re-ingest) changed the window after it was closed. */
  revision: boolean;
}

/** Windows waiting to be scored, oldest first. */
export async function queuedWindows(db: Executor, limit: number): Promise<QueuedWindow[]> {
  const rows = await db
    .select()
    .from(scoringQueue)
    .orderBy(asc(scoringQueue.windowStart))
    .limit(limit);
  return rows.map((r) => ({
    windowStart: r.windowStart.getTime(),
    version: r.version,
    revision: r.revision,
  }));
}

/**
 * Removes a scored window from the queue, only at the version that was scored: if more late
 * data arrived meanwhile, the entry stays and the window is scored again.
 */
export async function dequeueWindow(db: Executor, entry: QueuedWindow): Promise<void> {
  await db
    .delete(scoringQueue)
    .where(
      and(
        eq(scoringQueue.windowStart, new Date(entry.windowStart)),
        eq(scoringQueue.version, entry.version),
      ),
    );
}
