/**
 * Read model of `npm run replay`: the detector's progress over a range, anomalies in it, totals
 * per source. It joins table groups (detector state, anomalies with their metric, source
 * partitions, quarantine) for one report; it writes nothing.
 */
import { and, asc, eq, gte, lte, ne, sql as dsql } from 'drizzle-orm';
import type { Executor } from './executor';
import {
  anomalies,
  detectorProgress,
  metrics,
  quarantine,
  scoringQueue,
  sourcePartitions,
} from '../schema';

export interface ScoringProgress {
  /** Last window the detector has closed (queued or scored) at this window length, or null. */
  closedThrough: number | null;
  /** Windows in the range still waiting in the scoring queue (first scoring or revision). */
  queued: number;
}

/**
 * How far the detector has got over the windows [firstWindow, lastWindow]: scored through
 * `lastWindow` once `closedThrough >= lastWindow` and `queued === 0`.
 */
export async function scoringProgress(
  db: Executor,
  range: { windowMs: number; firstWindow: number; lastWindow: number },
): Promise<ScoringProgress> {
  const [progress] = await db
    .select({ scoredThrough: detectorProgress.scoredThrough, windowMs: detectorProgress.windowMs })
    .from(detectorProgress)
    .where(eq(detectorProgress.id, 1));
  const [queue] = await db
    // Windows, not entries: a window is queued once per detector shard.
    .select({ queued: dsql<number>`count(distinct ${scoringQueue.windowStart})::int` })
    .from(scoringQueue)
    .where(
      and(
        gte(scoringQueue.windowStart, new Date(range.firstWindow)),
        lte(scoringQueue.windowStart, new Date(range.lastWindow)),
      ),
    );
  return {
    closedThrough:
      progress?.windowMs === range.windowMs && progress.scoredThrough
        ? progress.scoredThrough.getTime()
        : null,
    queued: queue?.queued ?? 0,
  };
}

/**
 * Partitions that hold the global watermark below `needed`: those that delivered data within
 * `activeWithinMs` (PostgreSQL's clock) with a watermark short of it. For a clear message when
 * the detector does not get there.
 */
export async function watermarkHolders(
  db: Executor,
  needed: number,
  activeWithinMs: number,
): Promise<{ source: string; partition: number; watermark: number | null }[]> {
  const rows = await db
    .select({
      source: sourcePartitions.source,
      partition: sourcePartitions.partition,
      watermark: sourcePartitions.watermark,
    })
    .from(sourcePartitions)
    .where(
      and(
        dsql`${sourcePartitions.updatedAt} > now() - make_interval(secs => ${activeWithinMs / 1000})`,
        dsql`(${sourcePartitions.watermark} is null or ${sourcePartitions.watermark} < ${new Date(needed).toISOString()}::timestamptz)`,
      ),
    )
    .orderBy(asc(sourcePartitions.watermark));
  return rows.map((r) => ({ ...r, watermark: r.watermark ? r.watermark.getTime() : null }));
}

export interface AnomalyInRange {
  id: number;
  metric: string;
  status: string;
  severity: string;
  direction: string;
  firstWindow: number;
  lastWindow: number;
  peakWindow: number;
  z: number;
  sentence: string;
}

/** Anomalies (not withdrawn) that overlap the windows [firstWindow, lastWindow], oldest first. */
export async function anomaliesInRange(
  db: Executor,
  firstWindow: number,
  lastWindow: number,
): Promise<AnomalyInRange[]> {
  const rows = await db
    .select({
      id: anomalies.id,
      metric: metrics.key,
      status: anomalies.status,
      severity: anomalies.severity,
      direction: anomalies.direction,
      firstWindow: anomalies.firstWindow,
      lastWindow: anomalies.lastWindow,
      peakWindow: anomalies.peakWindow,
      z: anomalies.z,
      sentence: anomalies.sentence,
    })
    .from(anomalies)
    .innerJoin(metrics, eq(metrics.id, anomalies.metricId))
    .where(
      and(
        ne(anomalies.status, 'withdrawn'),
        lte(anomalies.firstWindow, new Date(lastWindow)),
        gte(anomalies.lastWindow, new Date(firstWindow)),
      ),
    )
    .orderBy(asc(anomalies.firstWindow), asc(anomalies.id));
  return rows.map((r) => ({
    ...r,
    firstWindow: r.firstWindow.getTime(),
    lastWindow: r.lastWindow.getTime(),
    peakWindow: r.peakWindow.getTime(),
  }));
}

export interface SourceTotals {
  nextOffset: number;
  received: number;
  folded: number;
  quarantined: number;
  watermark: number | null;
  /** Quarantined events of the source by reason. */
  byReason: Record<string, number>;
}

/** What PostgreSQL holds for one source partition: position, accounting, quarantine by reason. */
export async function sourceTotals(
  db: Executor,
  source: string,
  partition: number,
): Promise<SourceTotals | null> {
  const [row] = await db
    .select()
    .from(sourcePartitions)
    .where(and(eq(sourcePartitions.source, source), eq(sourcePartitions.partition, partition)));
  if (!row) return null;
  const reasons = await db
    .select({ reason: quarantine.reason, count: dsql<number>`count(*)::int` })
    .from(quarantine)
    .where(and(eq(quarantine.source, source), eq(quarantine.partition, partition)))
    .groupBy(quarantine.reason)
    .orderBy(asc(quarantine.reason));
  return {
    nextOffset: row.nextOffset,
    received: row.received,
    folded: row.folded,
    quarantined: row.quarantined,
    watermark: row.watermark ? row.watermark.getTime() : null,
    byReason: Object.fromEntries(reasons.map((r) => [r.reason, r.count])),
  };
}
