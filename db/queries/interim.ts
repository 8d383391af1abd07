/**
 * Interim anomalies in PostgreSQL (lib/detection/interim-engine.ts): opened early from a window
 * that has not closed, marked `interim`; the window's final score confirms one in place (interim
 * cleared, `confirmed_at` set) or withdraws it with the reason in its sentence. Interim anomalies
 * are left out of the incident state the final scoring reads (./anomalies.ts `incidentState`).
 */
import { and, eq, lte, max, sql as dsql } from 'drizzle-orm';
import type { MetricOutcome } from '@/lib/detection/engine';
import { withdrawnSentence, type InterimOpening, type Reach } from '@/lib/detection/interim-engine';
import type { InterimRef } from '@/lib/detection/interim';
import type { Sql } from '../client';
import { anomalies, metrics, sourcePartitions } from '../schema';
import { peakColumns } from './anomalies';
import type { Executor } from './executor';
import { attachPointsToAnomaly, upsertPoint } from './points';
import { globalWatermark } from './stream';

/** An open interim anomaly: whose window it is, and its id and side. */
export interface OpenInterim extends InterimRef {
  metricId: number;
  windowStart: number;
}

/** Every open interim anomaly (at most one per metric: the next window to be scored). */
export async function openInterimAnomalies(db: Executor): Promise<OpenInterim[]> {
  const rows = await db
    .select({
      id: anomalies.id,
      direction: anomalies.direction,
      metricId: anomalies.metricId,
      lastWindow: anomalies.lastWindow,
    })
    .from(anomalies)
    .where(and(eq(anomalies.interim, true), eq(anomalies.status, 'open')));
  return rows.map(({ lastWindow, ...r }) => ({ ...r, windowStart: lastWindow.getTime() }));
}

/** Opens an interim anomaly; returns its id. No point is written: the window is not scored. */
export async function openInterimAnomaly(db: Executor, opening: InterimOpening): Promise<number> {
  const { metric, anomaly, peak } = opening;
  const [created] = await db
    .insert(anomalies)
    .values({
      metricId: metric.id,
      severity: anomaly.severity,
      direction: anomaly.direction,
      firstWindow: new Date(anomaly.firstWindow),
      lastWindow: new Date(anomaly.lastWindow),
      ...peakColumns(peak),
      interim: true,
    })
    .returning({ id: anomalies.id });
  if (!created) throw new Error('insert into anomalies returned no row');
  return created.id;
}

/**
 * Records the final outcome of a window that has an interim anomaly (`outcome.interimId`): a step
 * that opens confirms it in place — the final extent, peak and explanation, interim cleared —
 * and every other step withdraws it, then is recorded as usual by `record` (the engine store's
 * own recordOutcome, passed in to keep the modules apart).
 */
export async function settleInterim(
  db: Executor,
  outcome: MetricOutcome & { interimId: number },
  record: (db: Executor, outcome: MetricOutcome) => Promise<number | null>,
): Promise<number | null> {
  const { metric, windowStart, score, volume, step, peak, interimId } = outcome;
  const now = new Date();
  if (step.kind === 'open') {
    if (!peak) throw new Error('an anomaly opens with its peak explained');
    await db
      .update(anomalies)
      .set({
        severity: step.anomaly.severity,
        direction: step.anomaly.direction,
        firstWindow: new Date(step.anomaly.firstWindow),
        lastWindow: new Date(step.anomaly.lastWindow),
        ...peakColumns(peak),
        normalWindows: 0,
        interim: false,
        confirmedAt: now,
        updatedAt: now,
      })
      .where(eq(anomalies.id, interimId));
    await upsertPoint(db, metric.id, windowStart, score, volume, interimId);
    if (step.anomaly.firstWindow < windowStart) {
      await attachPointsToAnomaly(db, metric.id, interimId, step.anomaly.firstWindow, windowStart);
    }
    return interimId;
  }
  await withdrawInterim(db, interimId, withdrawnSentence(score), now);
  const { interimId: _settled, ...rest } = outcome;
  return record(db, rest);
}

async function withdrawInterim(db: Executor, id: number, sentence: string, now: Date) {
  await db
    .update(anomalies)
    .set({
      status: 'withdrawn',
      sentence,
      explanation: dsql`jsonb_set(${anomalies.explanation}, '{sentence}', to_jsonb(${sentence}::text))`,
      updatedAt: now,
    })
    // A person may have resolved it meanwhile: leave their decision alone.
    .where(and(eq(anomalies.id, id), eq(anomalies.status, 'open')));
}

/**
 * Withdraws interim anomalies whose metric window ended by the end of base window `windowStart`
 * (of `baseWindowMs`) and that no final score settled (their metric was disabled, or re-scored,
 * before the window closed), among the metrics of one detector shard (lib/detection/shards.ts
 * `shardOf`: the parent's id for a series). Returns their ids.
 */
export async function withdrawUnsettledInterim(
  db: Executor,
  windowStart: number,
  baseWindowMs: number,
  shard: { index: number; count: number } = { index: 0, count: 1 },
): Promise<number[]> {
  const end = new Date(windowStart + baseWindowMs).toISOString();
  const sentence = 'Withdrawn: the window closed without a final score for this metric.';
  const rows = await db
    .update(anomalies)
    .set({
      status: 'withdrawn',
      sentence,
      explanation: dsql`jsonb_set(${anomalies.explanation}, '{sentence}', to_jsonb(${sentence}::text))`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(anomalies.interim, true),
        eq(anomalies.status, 'open'),
        lte(anomalies.lastWindow, new Date(windowStart)),
        dsql`exists (select 1 from ${metrics} where ${metrics.id} = ${anomalies.metricId}
          and coalesce(${metrics.parentId}, ${metrics.id}) % ${shard.count}::int = ${shard.index}::int
          and ${anomalies.lastWindow} + ${metrics.windowMultiple} * ${baseWindowMs}::float8 * interval '1 millisecond' <= ${end}::timestamptz)`,
      ),
    )
    .returning({ id: anomalies.id });
  return rows.map((r) => r.id);
}

/**
 * How far the flushed data reaches in event time (lib/detection/interim-engine `Reach`): surely
 * through the global watermark (every active partition has flushed its events up to it), at most
 * through the furthest partition's watermark plus the allowed out-of-orderness (its largest
 * event time). Null before any flush.
 */
export async function dataReach(
  db: Executor,
  sql: Sql,
  idleTimeoutMs: number,
  outOfOrderMs: number,
): Promise<Reach | null> {
  const low = await globalWatermark(sql, idleTimeoutMs);
  if (low === null) return null;
  const [row] = await db.select({ high: max(sourcePartitions.watermark) }).from(sourcePartitions);
  const high = row?.high ? row.high.getTime() + outOfOrderMs : low;
  return { low, high: Math.max(low, high) };
}
