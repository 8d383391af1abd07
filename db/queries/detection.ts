/** Scored points, anomalies, detector progress and injected incidents. */
import { and, asc, desc, eq, gt, gte, inArray, lt, lte, ne, or, sql } from 'drizzle-orm';
import { SEASON_MS } from '@/lib/detection/zscore';
import { pendingRun, type IncidentState } from '@/lib/detection/hysteresis';
import type { PreviewReads, RecordedPoint, WindowRange } from '@/lib/detection/rule-preview';
import type { AnomalyExtent } from '@/lib/detection/revise';
import type { Explanation, Score, Season } from '@/lib/types';
import type { Db } from '../client';
import {
  anomalies,
  detectorProgress,
  injections,
  metricPoints,
  metrics,
  scoringQueue,
} from '../schema';

export type PointRow = typeof metricPoints.$inferSelect;
export type AnomalyRow = typeof anomalies.$inferSelect;
export type InjectionRow = typeof injections.$inferSelect;

export async function getScoredThrough(db: Db, windowMs: number): Promise<number | null> {
  const [row] = await db.select().from(detectorProgress).where(eq(detectorProgress.id, 1));
  // A changed window length starts scoring afresh rather than mixing window sizes.
  if (!row || row.windowMs !== windowMs) return null;
  return row.scoredThrough ? row.scoredThrough.getTime() : null;
}

/**
 * The metric's baseline: values of up to `limit` earlier windows, oldest first, leaving out
 * windows that alerted (an incident must not teach the baseline that it is normal).
 */
export async function baselineHistory(
  db: Db,
  metricId: number,
  beforeWindow: number,
  limit: number,
): Promise<{ windowStart: number; value: number }[]> {
  const rows = await db
    .select({
      windowStart: metricPoints.windowStart,
      value: metricPoints.value,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        lt(metricPoints.windowStart, new Date(beforeWindow)),
      ),
    )
    .orderBy(desc(metricPoints.windowStart))
    .limit(limit * 2);
  return rows
    .filter((r) => r.value !== null && (r.status === 'ok' || r.status === 'learning'))
    .slice(0, limit)
    .map((r) => ({ windowStart: r.windowStart.getTime(), value: r.value as number }))
    .reverse();
}

export async function upsertPoint(
  db: Db,
  metricId: number,
  windowStart: number,
  score: Score,
  volume: number,
  anomalyId: number | null,
) {
  const values = {
    metricId,
    windowStart: new Date(windowStart),
    value: Number.isFinite(score.value) ? score.value : null,
    expected: Number.isFinite(score.expected) ? score.expected : null,
    sigma: Number.isFinite(score.sigma) ? score.sigma : null,
    z: Number.isFinite(score.z) ? score.z : null,
    volume,
    status: score.status,
    anomalyId,
  };
  await db
    .insert(metricPoints)
    .values(values)
    .onConflictDoUpdate({ target: [metricPoints.metricId, metricPoints.windowStart], set: values });
}

/** Points of the given metrics from `since` on, oldest first. */
export async function pointsSince(db: Db, metricIds: number[], since: number): Promise<PointRow[]> {
  if (metricIds.length === 0) return [];
  return db
    .select()
    .from(metricPoints)
    .where(
      and(
        inArray(metricPoints.metricId, metricIds),
        gte(metricPoints.windowStart, new Date(since)),
      ),
    )
    .orderBy(asc(metricPoints.windowStart));
}

export async function pointsBetween(db: Db, metricId: number, from: number, to: number) {
  return db
    .select()
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        gte(metricPoints.windowStart, new Date(from)),
        lte(metricPoints.windowStart, new Date(to)),
      ),
    )
    .orderBy(asc(metricPoints.windowStart));
}

export async function pointsOfWindow(db: Db, windowStart: number): Promise<PointRow[]> {
  return db
    .select()
    .from(metricPoints)
    .where(eq(metricPoints.windowStart, new Date(windowStart)));
}

export async function getAnomaly(db: Db, id: number): Promise<AnomalyRow | undefined> {
  const [row] = await db.select().from(anomalies).where(eq(anomalies.id, id));
  return row;
}

export async function insertInjections(
  db: Db,
  rows: Omit<InjectionRow, 'id' | 'createdAt'>[],
): Promise<void> {
  if (rows.length > 0) await db.insert(injections).values(rows);
}

export async function listInjections(db: Db, options: { from?: number; to?: number } = {}) {
  const conditions = [
    options.from !== undefined ? gte(injections.endsAt, new Date(options.from)) : undefined,
    options.to !== undefined ? lte(injections.startsAt, new Date(options.to)) : undefined,
  ];
  return db
    .select()
    .from(injections)
    .where(and(...conditions))
    .orderBy(asc(injections.startsAt));
}

/**
 * Makes sure the detector's progress row exists before any window is closed: flushes lock it
 * (db/queries/stream.ts enqueueRevisions) to order late data against closing.
 */
export async function ensureDetectorProgress(db: Db, windowMs: number): Promise<void> {
  await db.insert(detectorProgress).values({ id: 1, windowMs }).onConflictDoNothing();
}

/**
 * Closes windows: advances the detector's progress through the last of `windowStarts` and
 * queues them for scoring, in one transaction (so a crash neither skips nor loses one).
 */
export async function closeWindows(db: Db, windowStarts: number[], windowMs: number) {
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
export async function queuedWindows(db: Db, limit: number): Promise<QueuedWindow[]> {
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
export async function dequeueWindow(db: Db, entry: QueuedWindow): Promise<void> {
  await db
    .delete(scoringQueue)
    .where(
      and(
        eq(scoringQueue.windowStart, new Date(entry.windowStart)),
        eq(scoringQueue.version, entry.version),
      ),
    );
}

/** The metric's anomalies (not withdrawn) whose extent comes within `margin` of a window. */
export async function anomaliesNear(
  db: Db,
  metricId: number,
  windowStart: number,
  margin: number,
): Promise<AnomalyRow[]> {
  return db
    .select()
    .from(anomalies)
    .where(
      and(
        eq(anomalies.metricId, metricId),
        ne(anomalies.status, 'withdrawn'),
        lte(anomalies.firstWindow, new Date(windowStart + margin)),
        gte(anomalies.lastWindow, new Date(windowStart - margin)),
      ),
    );
}

/** The scored windows that belong to an anomaly, oldest first. */
export async function anomalyPoints(db: Db, anomalyId: number): Promise<PointRow[]> {
  return db
    .select()
    .from(metricPoints)
    .where(eq(metricPoints.anomalyId, anomalyId))
    .orderBy(asc(metricPoints.windowStart));
}

/** Describes an anomaly's peak window: its score and explanation. */
export interface PeakInput {
  windowStart: number;
  score: Score;
  explanation: Explanation;
}

/**
 * Opens an anomaly for a window that became anomalous only in a revision (late data). It is
 * open when no later window has been scored for the metric yet, else already resolved.
 */
export async function createRevisedAnomaly(
  db: Db,
  metricId: number,
  peak: PeakInput,
  status: 'open' | 'resolved',
): Promise<number> {
  const { score } = peak;
  const [created] = await db
    .insert(anomalies)
    .values({
      metricId,
      status,
      severity: score.severity ?? 'warn',
      direction: score.direction ?? (score.z < 0 ? 'down' : 'up'),
      firstWindow: new Date(peak.windowStart),
      lastWindow: new Date(peak.windowStart),
      peakWindow: new Date(peak.windowStart),
      value: score.value,
      expected: score.expected,
      sigma: score.sigma,
      z: score.z,
      explanation: peak.explanation,
      sentence: peak.explanation.sentence,
      revisions: 1,
      revisedAt: new Date(),
    })
    .returning({ id: anomalies.id });
  if (!created) throw new Error('insert into anomalies returned no row');
  return created.id;
}

/**
 * Records a revision of an anomaly: its new extent and severity (or withdrawn when `extent` is
 * null), the new peak when it moved or changed, one more revision and when.
 */
export async function reviseAnomaly(
  db: Db,
  anomalyId: number,
  extent: AnomalyExtent | null,
  peak: PeakInput | null,
): Promise<void> {
  const now = new Date();
  await db
    .update(anomalies)
    .set({
      ...(extent
        ? {
            firstWindow: new Date(extent.firstWindow),
            lastWindow: new Date(extent.lastWindow),
            severity: extent.severity,
          }
        : { status: 'withdrawn' as const }),
      ...(peak
        ? {
            peakWindow: new Date(peak.windowStart),
            value: peak.score.value,
            expected: peak.score.expected,
            sigma: peak.score.sigma,
            z: peak.score.z,
            explanation: peak.explanation,
            sentence: peak.explanation.sentence,
          }
        : {}),
      revisions: sql`${anomalies.revisions} + 1`,
      revisedAt: now,
      updatedAt: now,
    })
    .where(eq(anomalies.id, anomalyId));
}

/** True when the metric has a scored window after `windowStart`. */
export async function hasLaterPoint(db: Db, metricId: number, windowStart: number) {
  const [row] = await db
    .select({ windowStart: metricPoints.windowStart })
    .from(metricPoints)
    .where(
      and(eq(metricPoints.metricId, metricId), gt(metricPoints.windowStart, new Date(windowStart))),
    )
    .limit(1);
  return row !== undefined;
}

/**
 * The metric's seasonal baseline: its values at the same slot on the `k` previous days or
 * weeks (windowStart − j·season for j = 1..k), oldest first, leaving out windows that alerted
 * and windows without a value, as {@link baselineHistory} does. Fewer than k while the history
 * is short (the score then falls back to the rolling baseline and says so).
 */
export async function seasonalHistory(
  db: Db,
  metricId: number,
  windowStart: number,
  season: Season,
  k: number,
): Promise<{ windowStart: number; value: number }[]> {
  if (k < 1) return [];
  const slots = Array.from(
    { length: k },
    (_, j) => new Date(windowStart - (j + 1) * SEASON_MS[season]),
  );
  const rows = await db
    .select({
      windowStart: metricPoints.windowStart,
      value: metricPoints.value,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(and(eq(metricPoints.metricId, metricId), inArray(metricPoints.windowStart, slots)))
    .orderBy(asc(metricPoints.windowStart));
  return rows
    .filter((r) => r.value !== null && (r.status === 'ok' || r.status === 'learning'))
    .map((r) => ({ windowStart: r.windowStart.getTime(), value: r.value as number }));
}

/**
 * The metric's stored points a threshold preview reads (lib/detection/rule-preview `previewReads`): those in
 * `range` (the windows it re-scores), the latest `reads.before` before it (rolling baselines
 * and the pending run), and those in the `reads.seasonal` ranges (the same slots on earlier
 * days or weeks). Oldest first, each window once.
 */
export async function previewPoints(
  db: Db,
  metricId: number,
  range: WindowRange,
  reads: Pick<PreviewReads, 'before' | 'seasonal'>,
): Promise<RecordedPoint[]> {
  const columns = {
    windowStart: metricPoints.windowStart,
    value: metricPoints.value,
    expected: metricPoints.expected,
    sigma: metricPoints.sigma,
    z: metricPoints.z,
    volume: metricPoints.volume,
    status: metricPoints.status,
    anomalyId: metricPoints.anomalyId,
  };
  const between = (r: WindowRange) =>
    and(
      gte(metricPoints.windowStart, new Date(r.from)),
      lte(metricPoints.windowStart, new Date(r.to)),
    );
  const inRanges = db
    .select(columns)
    .from(metricPoints)
    .where(
      and(eq(metricPoints.metricId, metricId), or(...[range, ...reads.seasonal].map(between))),
    );
  const before =
    reads.before > 0
      ? db
          .select(columns)
          .from(metricPoints)
          .where(
            and(
              eq(metricPoints.metricId, metricId),
              lt(metricPoints.windowStart, new Date(range.from)),
            ),
          )
          .orderBy(desc(metricPoints.windowStart))
          .limit(reads.before)
      : Promise.resolve([]);
  const [a, b] = await Promise.all([inRanges, before]);
  const byWindow = new Map<number, RecordedPoint>();
  for (const r of [...a, ...b]) {
    const windowStart = r.windowStart.getTime();
    byWindow.set(windowStart, { ...r, windowStart });
  }
  return [...byWindow.values()].sort((x, y) => x.windowStart - y.windowStart);
}

/**
 * The metric's hysteresis state as the detector left it before `windowStart`: its open
 * anomaly (with its count of normal windows) and, when none is open, the pending run of
 * flagged windows without an anomaly that ends at the previous window. `windowMs` is the
 * metric's window length; `consecutiveWindows` bounds how far back a run is read.
 */
export async function incidentState(
  db: Db,
  metricId: number,
  windowStart: number,
  windowMs: number,
  consecutiveWindows: number,
): Promise<IncidentState & { openId: number | null }> {
  const [open] = await db
    .select()
    .from(anomalies)
    .where(and(eq(anomalies.metricId, metricId), eq(anomalies.status, 'open')))
    .orderBy(desc(anomalies.lastWindow))
    .limit(1);
  if (open) {
    return {
      openId: open.id,
      run: null,
      open: {
        firstWindow: open.firstWindow.getTime(),
        lastWindow: open.lastWindow.getTime(),
        peakWindow: open.peakWindow.getTime(),
        peakZ: open.z,
        severity: open.severity,
        direction: open.direction,
        normalWindows: open.normalWindows,
      },
    };
  }
  const recent = await db
    .select({
      windowStart: metricPoints.windowStart,
      z: metricPoints.z,
      status: metricPoints.status,
      anomalyId: metricPoints.anomalyId,
    })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        lt(metricPoints.windowStart, new Date(windowStart)),
        gte(metricPoints.windowStart, new Date(windowStart - consecutiveWindows * windowMs)),
      ),
    );
  const run = pendingRun(
    recent.map((p) => ({ ...p, windowStart: p.windowStart.getTime() })),
    windowStart,
    windowMs,
  );
  return { openId: null, open: null, run };
}

/**
 * Puts the metric's points in [from, to] into an anomaly: when a run of flagged windows opens
 * one, the windows before the one that opened it belong to it too.
 */
export async function attachPointsToAnomaly(
  db: Db,
  metricId: number,
  anomalyId: number,
  from: number,
  to: number,
): Promise<void> {
  await db
    .update(metricPoints)
    .set({ anomalyId })
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        gte(metricPoints.windowStart, new Date(from)),
        lte(metricPoints.windowStart, new Date(to)),
      ),
    );
}

/**
 * Starts re-scoring a metric's history from `from`: its anomalies that reach into the range are
 * withdrawn (they were computed with the old definition or rule) and its points from `from` on
 * are deleted, in one transaction. Returns the withdrawn anomalies.
 */
export async function resetMetricHistory(db: Db, metricId: number, from: number) {
  return db.transaction(async (tx) => {
    const withdrawn = await tx
      .update(anomalies)
      .set({ status: 'withdrawn', updatedAt: new Date() })
      .where(
        and(
          eq(anomalies.metricId, metricId),
          gte(anomalies.lastWindow, new Date(from)),
          ne(anomalies.status, 'withdrawn'),
        ),
      )
      .returning({ id: anomalies.id });
    await tx
      .delete(metricPoints)
      .where(
        and(eq(metricPoints.metricId, metricId), gte(metricPoints.windowStart, new Date(from))),
      );
    return withdrawn;
  });
}

/** Clears a metric's re-score request, unless a newer one replaced it meanwhile. */
export async function finishRescore(db: Db, metricId: number, requested: Date): Promise<void> {
  await db
    .update(metrics)
    .set({ rescoreFrom: null })
    .where(and(eq(metrics.id, metricId), eq(metrics.rescoreFrom, requested)));
}
