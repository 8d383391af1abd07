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

/**
 * Rows of a base window read once per store, every event type at once, and handed to each
 * metric filtered to its types: a window's transaction scores every metric over the same
 * windows, so without this each metric would read the window's rollups and leaf cube again
 * (the leaf cube is thousands of rows a window; at thousands of metrics that was most of the
 * detector's time: docs/scaling.md). Rollups are written by other transactions only, so a
 * store's view of a window does not change while it scores.
 */
function perWindow<T extends { windowStart: number; eventType: string }>(
  read: (windows: number[]) => Promise<T[]>,
): (windows: number[], types: string[]) => Promise<T[]> {
  const cache = new Map<number, Promise<T[]>>();
  return async (windows, types) => {
    const missing = windows.filter((w) => !cache.has(w));
    if (missing.length > 0) {
      const rows = read(missing);
      for (const w of missing) {
        cache.set(
          w,
          rows.then((all) => all.filter((r) => r.windowStart === w)),
        );
      }
    }
    const wanted = new Set(types);
    const rows = await Promise.all(windows.map((w) => cache.get(w)!));
    return rows.flat().filter((r) => wanted.has(r.eventType));
  };
}

/** The engine's store over `db`: the database, or a transaction the detector holds. */
export function pgEngineStore(db: Executor): InterimStore {
  // Read once per store (one window's transaction, or one look), not once per metric.
  let interims: Promise<OpenInterim[]> | null = null;
  return {
    cells: perWindow((windows) => readRollups(db, windows, null)),
    leaves: perWindow((windows) => readLeaves(db, windows, null)),
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
