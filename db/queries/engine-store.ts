/**
 * The detection engine's store over PostgreSQL (see lib/detection/engine.ts): history from
 * metric_points, cells from rollups and the leaf cube, and each verdict recorded as a point plus
 * the anomaly change its lifecycle step asks for. A read model of the engine's port: it joins the
 * table groups the engine reads and writes (points, anomalies, rollups).
 */
import type { SliceMemo } from '@/lib/detection/slice-drift';
import { and, eq } from 'drizzle-orm';
import type { EngineMetric, MetricOutcome } from '@/lib/detection/engine';
import type { InterimStore } from '@/lib/detection/interim-engine';
import type { IncidentState } from '@/lib/detection/hysteresis';
import { DRIFT_MEMORY, type DriftPoint } from '@/lib/detection/drift';
import { SEASONAL_PERIODS, type HistoryPoint } from '@/lib/detection/zscore';
import type { Season } from '@/lib/types';
import { anomalies } from '../schema';
import {
  incidentState,
  openAnomaliesOf,
  openIncident,
  pendingIncident,
  peakColumns,
} from './anomalies';
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
import {
  baselineHistories,
  recentPointsOf,
  seasonalHistories,
  upsertPoints,
  type PointWrite,
} from './points-batched';
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
  // Metrics share a few sets of event types: each window's rows are cut to a set once, not
  // once per metric (at 10,000 metrics that cut was a third of the detector's CPU). The answer
  // is shared: callers read it and do not change it.
  const cut = new Map<string, Promise<T[]>>();
  return (windows, types) => {
    const key = `${windows.join(',')}|${types.join(',')}`;
    let answer = cut.get(key);
    if (!answer) {
      answer = rowsOf(windows, types);
      cut.set(key, answer);
    }
    return answer;
  };
  async function rowsOf(windows: number[], types: string[]): Promise<T[]> {
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
  }
}

/**
 * What `prepare` read for a window's metrics, keyed by metric id: each entry answers the one
 * call whose arguments it keeps, once (a later call — a peak re-assessed, a revision — reads
 * the database again, so it sees the writes made since).
 */
interface Prepared {
  history: Map<number, { before: number; limit: number; points: HistoryPoint[] }>;
  seasonal: Map<number, { windowStart: number; season: Season; k: number; points: HistoryPoint[] }>;
  incident: Map<
    number,
    {
      windowStart: number;
      windowMs: number;
      consecutive: number;
      state: IncidentState & { openId: number | null };
    }
  >;
  recent: Map<number, { before: number; limit: number; windowMs: number; points: DriftPoint[] }>;
}

/** The prepared entry of `metricId` when `matches` it, taken out of `map`; else undefined. */
function take<T>(map: Map<number, T>, metricId: number, matches: (entry: T) => boolean) {
  const entry = map.get(metricId);
  if (entry === undefined || !matches(entry)) return undefined;
  map.delete(metricId);
  return entry;
}

/**
 * Reads, for all of a window's metrics at once, what `scoreBaseWindow` asks of each of them
 * (lib/detection/engine.ts): five statements whatever the number of metrics, where reading one
 * metric at a time took three or four round trips per metric (docs/scaling.md).
 */
export async function prepareWindow(
  db: Executor,
  metrics: readonly EngineMetric[],
  baseWindowStart: number,
  baseWindowMs: number,
): Promise<Prepared> {
  const asks = metrics.map(({ definition, rule }) => {
    const windowMs = baseWindowMs * definition.windowMultiple;
    return {
      metricId: definition.id,
      rule,
      windowMs,
      windowStart: baseWindowStart + baseWindowMs - windowMs,
      spanMs: baseWindowMs * Math.max(1, definition.windowMultiple),
    };
  });
  const seasonal = asks.filter((a) => a.rule.baseline === 'seasonal');
  const ids = asks.map((a) => a.metricId);
  // One read of the points before each window serves both the pending run and the drift test.
  const reach = (a: (typeof asks)[number]) =>
    Math.max(DRIFT_MEMORY, a.rule.consecutiveWindows) * a.windowMs;
  const history = await baselineHistories(
    db,
    asks.map((a) => ({
      metricId: a.metricId,
      before: a.windowStart,
      limit: a.rule.baselineWindows,
      spanMs: a.spanMs,
    })),
  );
  const seasons = await seasonalHistories(
    db,
    seasonal.map((a) => ({
      metricId: a.metricId,
      windowStart: a.windowStart,
      season: a.rule.season,
      k: SEASONAL_PERIODS[a.rule.season],
    })),
  );
  const open = await openAnomaliesOf(db, ids);
  const points = await recentPointsOf(
    db,
    asks.map((a) => ({ metricId: a.metricId, from: a.windowStart - reach(a), to: a.windowStart })),
  );
  const prepared: Prepared = {
    history: new Map(),
    seasonal: new Map(),
    incident: new Map(),
    recent: new Map(),
  };
  for (const a of asks) {
    const { metricId, windowStart, windowMs, rule } = a;
    prepared.history.set(metricId, {
      before: windowStart,
      limit: rule.baselineWindows,
      points: history.get(metricId) ?? [],
    });
    if (rule.baseline === 'seasonal') {
      prepared.seasonal.set(metricId, {
        windowStart,
        season: rule.season,
        k: SEASONAL_PERIODS[rule.season],
        points: seasons.get(metricId) ?? [],
      });
    }
    const mine = points.get(metricId) ?? [];
    const anomaly = open.get(metricId);
    const since = windowStart - rule.consecutiveWindows * windowMs;
    prepared.incident.set(metricId, {
      windowStart,
      windowMs,
      consecutive: rule.consecutiveWindows,
      state: anomaly
        ? openIncident(anomaly)
        : pendingIncident(
            mine.filter((p) => p.windowStart >= since),
            windowStart,
            windowMs,
          ),
    });
    const driftSince = windowStart - DRIFT_MEMORY * windowMs;
    prepared.recent.set(metricId, {
      before: windowStart,
      limit: DRIFT_MEMORY,
      windowMs,
      points: mine
        .filter((p) => p.windowStart >= driftSince)
        .map(({ windowStart: w, z, status }) => ({ windowStart: w, z, status })),
    });
  }
  return prepared;
}

/** The engine's store over `db`: the database, or a transaction the detector holds. */
export function pgEngineStore(db: Executor, options: { sliceMemo?: SliceMemo } = {}): InterimStore {
  // Read once per store (one window's transaction, or one look), not once per metric.
  let interims: Promise<OpenInterim[]> | null = null;
  // Between prepare and flush (one scoreBaseWindow): the window's reads, and the point-only
  // writes held back to be written in one statement.
  let prepared: Prepared | null = null;
  let held: PointWrite[] | null = null;
  return {
    ...(options.sliceMemo ? { sliceMemo: options.sliceMemo } : {}),
    cells: perWindow((windows) => readRollups(db, windows, null)),
    leaves: perWindow((windows) => readLeaves(db, windows, null)),
    history: async (metricId, before, limit, spanMs) =>
      (prepared &&
        take(prepared.history, metricId, (e) => e.before === before && e.limit === limit)
          ?.points) ??
      baselineHistory(db, metricId, before, limit, spanMs),
    seasonal: async (metricId, windowStart, season, k) =>
      (prepared &&
        take(
          prepared.seasonal,
          metricId,
          (e) => e.windowStart === windowStart && e.season === season && e.k === k,
        )?.points) ??
      seasonalHistory(db, metricId, windowStart, season, k),
    incident: async (metricId, windowStart, windowMs, consecutive) =>
      (prepared &&
        take(
          prepared.incident,
          metricId,
          (e) =>
            e.windowStart === windowStart &&
            e.windowMs === windowMs &&
            e.consecutive === consecutive,
        )?.state) ??
      incidentState(db, metricId, windowStart, windowMs, consecutive),
    recentPoints: async (metricId, before, limit, windowMs) =>
      (prepared &&
        take(
          prepared.recent,
          metricId,
          (e) => e.before === before && e.limit === limit && e.windowMs === windowMs,
        )?.points) ??
      recentDriftPoints(db, metricId, before, limit, windowMs),
    record: async (outcome) => {
      // A point and nothing else: no read of this window's loop looks at it (each metric reads
      // its own points before its window only), so it waits for flush.
      if (held && pointOnly(outcome)) {
        held.push({
          metricId: outcome.metric.id,
          windowStart: outcome.windowStart,
          score: outcome.score,
          volume: outcome.volume,
          anomalyId: null,
        });
        return null;
      }
      return recordOutcome(db, outcome);
    },
    prepare: async (metrics, baseWindowStart, baseWindowMs) => {
      prepared = null;
      held = null;
      prepared = await prepareWindow(db, metrics, baseWindowStart, baseWindowMs);
      held = [];
    },
    flush: async () => {
      const writes = held ?? [];
      prepared = null;
      held = null;
      await upsertPoints(db, writes);
    },
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

/** True when recording the outcome writes its point and nothing else (see recordOutcome). */
export function pointOnly(outcome: Pick<MetricOutcome, 'step' | 'interimId'>): boolean {
  return !outcome.interimId && (outcome.step.kind === 'none' || outcome.step.kind === 'pending');
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
