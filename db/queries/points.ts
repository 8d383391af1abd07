/**
 * The `metric_points` table: one scored window of one metric. The detector writes them and reads
 * them back for baselines (rolling and seasonal); the board, the drill-down and the thresholds
 * preview read them.
 */
import { and, asc, desc, eq, gt, gte, inArray, isNotNull, lt, lte, or, sql } from 'drizzle-orm';
import { SEASON_MS } from '@/lib/detection/zscore';
import type { PreviewReads, WindowRange } from '@/lib/detection/rule-preview';
import type { DriftPoint } from '@/lib/detection/drift';
import type { WindowPoint } from '@/lib/types';
import type { PointStatus, Score, Season } from '@/lib/types';
import { metricPoints } from '../schema';
import type { Executor } from './executor';

export type PointRow = typeof metricPoints.$inferSelect;

/**
 * The latest `count` points of a metric before `before`, newest first. `spanMs` is the metric's
 * window: when the `count` windows just before `before` were all scored, those are the answer,
 * read from the day partitions they lie in only; after a gap the read goes further back (every
 * partition), so the answer is the same either way. Without the bound, every read would plan
 * and probe each day partition of the table's history (90 days by default).
 */
const POINT_COLUMNS = {
  windowStart: metricPoints.windowStart,
  value: metricPoints.value,
  expected: metricPoints.expected,
  sigma: metricPoints.sigma,
  z: metricPoints.z,
  volume: metricPoints.volume,
  status: metricPoints.status,
  anomalyId: metricPoints.anomalyId,
};

async function latestBefore(
  db: Executor,
  metricId: number,
  before: number,
  count: number,
  spanMs: number | undefined,
) {
  const read = (notBefore: number | null) =>
    db
      .select(POINT_COLUMNS)
      .from(metricPoints)
      .where(
        and(
          eq(metricPoints.metricId, metricId),
          lt(metricPoints.windowStart, new Date(before)),
          notBefore === null ? undefined : gte(metricPoints.windowStart, new Date(notBefore)),
        ),
      )
      .orderBy(desc(metricPoints.windowStart))
      .limit(count);
  if (spanMs !== undefined && spanMs > 0) {
    const recent = await read(before - count * spanMs);
    if (recent.length >= count) return recent;
  }
  return read(null);
}

/**
 * The metric's baseline: values of up to `limit` earlier windows, oldest first, leaving out
 * windows that alerted (an incident must not teach the baseline that it is normal): of the
 * `2 × limit` latest points, those with a value whose status is ok or learning. `spanMs`, the
 * metric's window, keeps the read to the partitions those points lie in (see latestBefore).
 */
export async function baselineHistory(
  db: Executor,
  metricId: number,
  beforeWindow: number,
  limit: number,
  spanMs?: number,
): Promise<{ windowStart: number; value: number }[]> {
  const rows = await latestBefore(db, metricId, beforeWindow, limit * 2, spanMs);
  return baselineOf(
    rows.map((r) => ({ windowStart: r.windowStart.getTime(), value: r.value, status: r.status })),
    limit,
  );
}

/** A stored point as the baselines read it. */
export interface BaselineRow {
  windowStart: number;
  value: number | null;
  status: PointStatus;
}

/**
 * The baseline from a metric's latest points, newest first: of those with a value whose status
 * is ok or learning, the `limit` newest, oldest first ({@link baselineHistory}).
 */
export function baselineOf(
  latest: readonly BaselineRow[],
  limit: number,
): { windowStart: number; value: number }[] {
  return latest
    .filter(baselinePoint)
    .slice(0, limit)
    .map((r) => ({ windowStart: r.windowStart, value: r.value }))
    .reverse();
}

/** A point a baseline may learn from: it has a value, and its window did not alert. */
export function baselinePoint(r: BaselineRow): r is BaselineRow & { value: number } {
  return r.value !== null && (r.status === 'ok' || r.status === 'learning');
}

/**
 * The metric's seasonal baseline: its values at the same slot on the `k` previous days or
 * weeks (windowStart − j·season for j = 1..k), oldest first, leaving out windows that alerted
 * and windows without a value, as {@link baselineHistory} does. Fewer than k while the history
 * is short (the score then falls back to the rolling baseline and says so).
 */
export async function seasonalHistory(
  db: Executor,
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
 * The metric's stored values over [from, to) averaged per `stepMs` (slots aligned on multiples
 * of it), oldest first, for the season decision (lib/detection/auto-season.ts). Every point with
 * a value counts, alerted ones too. PostgreSQL averages, so weeks of minute windows come back
 * as some hundreds of rows, from the day partitions of the range only.
 */
export async function seasonSamples(
  db: Executor,
  metricId: number,
  range: { from: number; to: number },
  stepMs: number,
): Promise<{ windowStart: number; value: number }[]> {
  // The step inline (a whole number of ms): GROUP BY must repeat the select's expression, and
  // two placeholders for it would be two expressions to PostgreSQL.
  const step = sql.raw(String(Math.max(1, Math.trunc(stepMs))));
  const slot = sql<string>`floor(extract(epoch from ${metricPoints.windowStart}) * 1000 / ${step})::bigint`;
  const rows = await db
    .select({ slot, value: sql<number>`avg(${metricPoints.value})` })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        gte(metricPoints.windowStart, new Date(range.from)),
        lt(metricPoints.windowStart, new Date(range.to)),
        isNotNull(metricPoints.value),
      ),
    )
    .groupBy(slot)
    .orderBy(slot);
  return rows.map((r) => ({ windowStart: Number(r.slot) * stepMs, value: Number(r.value) }));
}

/** The start of the metric's latest stored window, or null when it has none. */
export async function latestPointStart(db: Executor, metricId: number): Promise<number | null> {
  const [row] = await db
    .select({ windowStart: metricPoints.windowStart })
    .from(metricPoints)
    .where(eq(metricPoints.metricId, metricId))
    .orderBy(desc(metricPoints.windowStart))
    .limit(1);
  return row ? row.windowStart.getTime() : null;
}

export async function upsertPoint(
  db: Executor,
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
export async function pointsSince(
  db: Executor,
  metricIds: number[],
  since: number,
): Promise<PointRow[]> {
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

export async function pointsBetween(db: Executor, metricId: number, from: number, to: number) {
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

export async function pointsOfWindow(db: Executor, windowStart: number): Promise<PointRow[]> {
  return db
    .select()
    .from(metricPoints)
    .where(eq(metricPoints.windowStart, new Date(windowStart)));
}

/** The scored windows that belong to an anomaly, oldest first. */
export async function anomalyPoints(db: Executor, anomalyId: number): Promise<PointRow[]> {
  return db
    .select()
    .from(metricPoints)
    .where(eq(metricPoints.anomalyId, anomalyId))
    .orderBy(asc(metricPoints.windowStart));
}

/** True when the metric has a scored window after `windowStart`. */
export async function hasLaterPoint(db: Executor, metricId: number, windowStart: number) {
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
 * Puts the metric's points in [from, to] into an anomaly: when a run of flagged windows opens
 * one, the windows before the one that opened it belong to it too.
 */
export async function attachPointsToAnomaly(
  db: Executor,
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
 * The metric's stored points a threshold preview reads (lib/detection/rule-preview `previewReads`): those in
 * `range` (the windows it re-scores), the latest `reads.before` before it (rolling baselines
 * and the pending run), and those in the `reads.seasonal` ranges (the same slots on earlier
 * days or weeks). Oldest first, each window once.
 */
export async function previewPoints(
  db: Executor,
  metricId: number,
  range: WindowRange,
  reads: Pick<PreviewReads, 'before' | 'seasonal'>,
  /** The metric's window: keeps the read before the range to its partitions (latestBefore). */
  windowMs?: number,
): Promise<WindowPoint[]> {
  const between = (r: WindowRange) =>
    and(
      gte(metricPoints.windowStart, new Date(r.from)),
      lte(metricPoints.windowStart, new Date(r.to)),
    );
  const inRanges = db
    .select(POINT_COLUMNS)
    .from(metricPoints)
    .where(
      and(eq(metricPoints.metricId, metricId), or(...[range, ...reads.seasonal].map(between))),
    );
  const before =
    reads.before > 0
      ? latestBefore(db, metricId, range.from, reads.before, windowMs)
      : Promise.resolve([]);
  const [a, b] = await Promise.all([inRanges, before]);
  const byWindow = new Map<number, WindowPoint>();
  for (const r of [...a, ...b]) {
    const windowStart = r.windowStart.getTime();
    byWindow.set(windowStart, { ...r, windowStart });
  }
  return [...byWindow.values()].sort((x, y) => x.windowStart - y.windowStart);
}

/**
 * The metric's stored points (window start, z, status) in [before − limit·windowMs, before),
 * oldest first: what the drift test replays (lib/detection/drift.ts `driftBefore`), so its sums
 * need no table of their own and survive a restart of the detector.
 */
export async function recentDriftPoints(
  db: Executor,
  metricId: number,
  before: number,
  limit: number,
  windowMs: number,
): Promise<DriftPoint[]> {
  const rows = await db
    .select({
      windowStart: metricPoints.windowStart,
      z: metricPoints.z,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(
      and(
        eq(metricPoints.metricId, metricId),
        lt(metricPoints.windowStart, new Date(before)),
        gte(metricPoints.windowStart, new Date(before - limit * windowMs)),
      ),
    )
    .orderBy(asc(metricPoints.windowStart));
  return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
}
