/**
 * The detection engine's store over PostgreSQL (see lib/detection/engine.ts): history from
 * metric_points, cells from rollups and the leaf cube, and each verdict recorded as a point plus
 * the anomaly change its lifecycle step asks for. A read model of the engine's port: it joins the
 * table groups the engine reads and writes (points, anomalies, rollups).
 */
import { and, eq } from 'drizzle-orm';
import type { MetricOutcome } from '@/lib/detection/engine';
import type { InterimStore } from '@/lib/detection/interim-engine';
import { anomalies } from '../schema';
import { incidentState, peakColumns } from './anomalies';
import {
  openInterimAnomalies,
  openInterimAnomaly,
  settleInterim,
  type OpenInterim,
} from './interim';
import type { Executor } from './executor';
import {
  attachPointsToAnomaly,
  baselineHistory,
  recentDriftPoints,
  seasonalHistory,
  upsertPoint,
} from './points';
import { readLeaves, readRollups } from './stream';

/** The engine's store over `db`: the database, or a transaction the detector holds. */
export function pgEngineStore(db: Executor): InterimStore {
  // Read once per store (one window's transaction, or one look), not once per metric.
  let interims: Promise<OpenInterim[]> | null = null;
  return {
    cells: (windows, types) => readRollups(db, windows, types),
    leaves: (windows, types) => readLeaves(db, windows, types),
    history: (metricId, before, limit, spanMs) =>
      baselineHistory(db, metricId, before, limit, spanMs),
    seasonal: (metricId, windowStart, season, k) =>
      seasonalHistory(db, metricId, windowStart, season, k),
    incident: (metricId, windowStart, windowMs, consecutive) =>
      incidentState(db, metricId, windowStart, windowMs, consecutive),
    recentPoints: (metricId, before, limit, windowMs) =>
      recentDriftPoints(db, metricId, before, limit, windowMs),
    record: (outcome) => recordOutcome(db, outcome),
    // Interim results (db/queries/interim.ts).
    interimAnomaly: async (metricId, windowStart) => {
      interims ??= openInterimAnomalies(db);
      const found = (await interims).find(
        (a) => a.metricId === metricId && a.windowStart === windowStart,
      );
      return found ? { id: found.id, direction: found.direction } : null;
    },
    openInterim: async (opening) => {
      interims = null;
      return openInterimAnomaly(db, opening);
    },
  };
}

/** Writes a verdict: the point, and the anomaly its lifecycle step opens or changes. */
export async function recordOutcome(db: Executor, outcome: MetricOutcome): Promise<number | null> {
  const { metric, windowStart, score, volume, step, openId, peak, interimId } = outcome;
  // The window's interim anomaly, if any, is confirmed or withdrawn by this outcome.
  if (interimId) return settleInterim(db, { ...outcome, interimId }, recordOutcome);
  const now = new Date();
  switch (step.kind) {
    case 'none':
    case 'pending':
      await upsertPoint(db, metric.id, windowStart, score, volume, null);
      return null;
    case 'open': {
      if (!peak) throw new Error('an anomaly opens with its peak explained');
      const [created] = await db
        .insert(anomalies)
        .values({
          metricId: metric.id,
          severity: step.anomaly.severity,
          direction: step.anomaly.direction,
          firstWindow: new Date(step.anomaly.firstWindow),
          lastWindow: new Date(step.anomaly.lastWindow),
          ...peakColumns(peak),
        })
        .returning({ id: anomalies.id });
      if (!created) throw new Error('insert into anomalies returned no row');
      await upsertPoint(db, metric.id, windowStart, score, volume, created.id);
      // The earlier windows of the run belong to it too.
      if (step.anomaly.firstWindow < windowStart) {
        await attachPointsToAnomaly(
          db,
          metric.id,
          created.id,
          step.anomaly.firstWindow,
          windowStart,
        );
      }
      return created.id;
    }
    case 'extend':
    case 'count_normal':
    case 'resolve': {
      if (openId === null) throw new Error(`lifecycle step ${step.kind} without an open anomaly`);
      await db
        .update(anomalies)
        .set({
          lastWindow: new Date(step.anomaly.lastWindow),
          severity: step.anomaly.severity,
          normalWindows: step.anomaly.normalWindows,
          updatedAt: now,
          ...(step.kind === 'resolve' ? { status: 'resolved' as const } : {}),
          ...(step.kind === 'extend' && peak ? peakColumns(peak) : {}),
        })
        // A person may have resolved it meanwhile: leave their decision alone.
        .where(and(eq(anomalies.id, openId), eq(anomalies.status, 'open')));
      await upsertPoint(
        db,
        metric.id,
        windowStart,
        score,
        volume,
        step.kind === 'extend' ? openId : null,
      );
      return openId;
    }
  }
}
