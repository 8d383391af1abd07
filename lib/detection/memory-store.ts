/**
 * The detection engine's store in memory (see lib/detection/engine.ts): what the backtest and the quality
 * evaluation pass to `scoreBaseWindow` instead of the PostgreSQL store
 * (db/queries/engine-store.ts). It mirrors the PostgreSQL semantics query by query, so the same
 * windows give the same points and anomalies:
 * - cells and leaves: additive upserts of drained deltas (count, sum, sumsq add; min/max as
 *   least/greatest, NaN ordered above every number as PostgreSQL orders it);
 * - history: the `2·limit` latest points before the window, then those with a value and status
 *   ok or learning, the latest `limit` of them, oldest first (db/queries/points
 *   `baselineHistory`); seasonal: the same slot k seasons back, same filter (`seasonalHistory`);
 * - incident: the metric's open anomaly with the latest last window, else the pending run
 *   rebuilt from the points of the last `consecutiveWindows` windows (`incidentState`,
 *   lib/detection/hysteresis `pendingRun`);
 * - recentPoints: the metric's points of the `limit` windows before the window (window, z,
 *   status), oldest first, for the drift test's replay;
 * - record: the point (non-finite numbers stored as null) and the anomaly change its lifecycle
 *   step asks for, as db/queries/engine-store `recordOutcome` writes them; explanations are
 *   stored as JSON, as jsonb keeps them;
 * - interim anomalies (./interim-engine.ts): `openInterim` opens one marked interim, left out of
 *   the incident state; the window's final outcome confirms it in place or withdraws it, as
 *   db/queries/interim.ts does.
 * Pure: no I/O, only memory.
 */
import type { MetricOutcome } from './engine';
import { withdrawnSentence, type InterimOpening, type InterimStore } from './interim-engine';
import type { InterimRef } from './interim';
import { SEASON_MS, type HistoryPoint } from './zscore';
import { pendingRun, type IncidentState, type Side } from './hysteresis';
import type { DriftPoint } from './drift';
import { SliceMemo } from './slice-drift';
import type {
  Explanation,
  LeafDelta,
  RollupDelta,
  Score,
  ScoredPoint,
  Season,
  Severity,
} from '@/lib/types';

/** An anomaly as the anomalies table holds it (the detector's columns). */
export interface MemoryAnomaly {
  id: number;
  metricId: number;
  status: 'open' | 'resolved' | 'withdrawn';
  severity: Severity;
  direction: Side;
  firstWindow: number;
  lastWindow: number;
  peakWindow: number;
  value: number;
  expected: number;
  sigma: number;
  z: number;
  explanation: Explanation;
  sentence: string;
  normalWindows: number;
  /** Opened early from a partial window and not confirmed (yet, or ever: withdrawn). */
  interim: boolean;
  /** Event time of the interim look that opened it; null when a final score opened it. */
  interimAt: number | null;
  /** True once the window's final score confirmed an interim opening. */
  confirmed: boolean;
}

/** PostgreSQL's least() on float8: NaN sorts above every number. */
function pgLeast(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

/** PostgreSQL's greatest() on float8: NaN sorts above every number. */
function pgGreatest(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.NaN;
  return Math.max(a, b);
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** What jsonb gives back: the JSON text of the value, parsed. */
function asJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

type ByType<T> = Map<string, Map<string, T>>;

function slot<T>(windows: Map<number, ByType<T>>, windowStart: number, type: string) {
  let types = windows.get(windowStart);
  if (!types) windows.set(windowStart, (types = new Map()));
  let cells = types.get(type);
  if (!cells) types.set(type, (cells = new Map()));
  return cells;
}

function read<T extends object>(
  windows: Map<number, ByType<T>>,
  windowStarts: readonly number[],
  eventTypes: readonly string[],
): T[] {
  const out: T[] = [];
  for (const w of new Set(windowStarts)) {
    const types = windows.get(w);
    if (!types) continue;
    for (const type of new Set(eventTypes)) {
      const cells = types.get(type);
      if (cells) for (const cell of cells.values()) out.push({ ...cell });
    }
  }
  return out;
}

export class MemoryEngineStore implements InterimStore {
  readonly #rollups = new Map<number, ByType<RollupDelta>>();
  readonly #leaves = new Map<number, ByType<LeafDelta>>();
  /** Per metric, its points sorted by window start. */
  readonly #points = new Map<number, ScoredPoint[]>();
  readonly #anomalies: MemoryAnomaly[] = [];
  /** The slice drift test's observations, kept across windows (./slice-drift.ts). */
  readonly sliceMemo = new SliceMemo();

  /** Adds drained deltas the way a flush upserts them (db/queries/stream upsertRollups). */
  addRollups(deltas: readonly RollupDelta[]): void {
    for (const d of deltas) {
      const cells = slot(this.#rollups, d.windowStart, d.eventType);
      const key = `${d.dim}\u0000${d.value}\u0000${d.measure}`;
      const into = cells.get(key);
      if (into) {
        into.count += d.count;
        into.sum += d.sum;
        into.sumsq += d.sumsq;
        into.min = pgLeast(into.min, d.min);
        into.max = pgGreatest(into.max, d.max);
      } else {
        cells.set(key, { ...d });
      }
    }
  }

  /** Adds drained leaf cells the way a flush upserts them (upsertLeafRollups). */
  addLeaves(leaves: readonly LeafDelta[]): void {
    for (const l of leaves) {
      const cells = slot(this.#leaves, l.windowStart, l.eventType);
      const key = `${l.leaf}\u0000${l.measure}`;
      const into = cells.get(key);
      if (into) {
        into.count += l.count;
        into.sum += l.sum;
        into.sumsq += l.sumsq;
      } else {
        cells.set(key, { ...l });
      }
    }
  }

  /** Adds one drained batch: its rollup deltas and its leaves. */
  add(batch: { deltas: readonly RollupDelta[]; leaves: readonly LeafDelta[] }): void {
    this.addRollups(batch.deltas);
    this.addLeaves(batch.leaves);
  }

  /**
   * Adds points scored earlier, as metric_points holds them (a rule preview starts from what
   * the detector stored before its range); a point replaces the metric's point of its window.
   */
  addPoints(points: readonly ScoredPoint[]): void {
    const sorted = [...points].sort((a, b) => a.windowStart - b.windowStart);
    for (const p of sorted) this.#putPoint({ ...p });
  }

  /**
   * Forgets the cells of base windows before `windowStart` (a long backtest keeps memory
   * bounded; keep at least the baseline's windows, which explanations read).
   */
  dropCellsBefore(windowStart: number): void {
    for (const map of [this.#rollups, this.#leaves] as Map<number, unknown>[]) {
      for (const w of map.keys()) if (w < windowStart) map.delete(w);
    }
  }

  async cells(windowStarts: number[], eventTypes: string[]): Promise<RollupDelta[]> {
    return read(this.#rollups, windowStarts, eventTypes);
  }

  async leaves(windowStarts: number[], eventTypes: string[]): Promise<LeafDelta[]> {
    return read(this.#leaves, windowStarts, eventTypes);
  }

  async history(metricId: number, before: number, limit: number): Promise<HistoryPoint[]> {
    const points = this.#points.get(metricId) ?? [];
    const end = lowerBound(points, before);
    const latest = points.slice(Math.max(0, end - limit * 2), end).reverse();
    return latest
      .filter((p) => p.value !== null && (p.status === 'ok' || p.status === 'learning'))
      .slice(0, limit)
      .map((p) => ({ windowStart: p.windowStart, value: p.value as number }))
      .reverse();
  }

  async seasonal(
    metricId: number,
    windowStart: number,
    season: Season,
    k: number,
  ): Promise<HistoryPoint[]> {
    const points = this.#points.get(metricId) ?? [];
    const out: HistoryPoint[] = [];
    // Oldest slot first; one binary search per slot (a preview reads thousands of points).
    for (let j = k; j >= 1; j--) {
      const slot = windowStart - j * SEASON_MS[season];
      const p = points[lowerBound(points, slot)];
      if (
        p?.windowStart === slot &&
        p.value !== null &&
        (p.status === 'ok' || p.status === 'learning')
      ) {
        out.push({ windowStart: p.windowStart, value: p.value });
      }
    }
    return out;
  }

  async incident(
    metricId: number,
    windowStart: number,
    windowMs: number,
    consecutiveWindows: number,
  ): Promise<IncidentState & { openId: number | null }> {
    let open: MemoryAnomaly | undefined;
    for (const a of this.#anomalies) {
      if (a.metricId !== metricId || a.status !== 'open' || a.interim) continue;
      if (!open || a.lastWindow > open.lastWindow) open = a;
    }
    if (open) {
      return {
        openId: open.id,
        run: null,
        open: {
          firstWindow: open.firstWindow,
          lastWindow: open.lastWindow,
          peakWindow: open.peakWindow,
          peakZ: open.z,
          severity: open.severity,
          direction: open.direction,
          normalWindows: open.normalWindows,
        },
      };
    }
    const from = windowStart - consecutiveWindows * windowMs;
    const points = this.#points.get(metricId) ?? [];
    const recent = points.slice(lowerBound(points, from), lowerBound(points, windowStart));
    return { openId: null, open: null, run: pendingRun(recent, windowStart, windowMs) };
  }

  async recentPoints(
    metricId: number,
    before: number,
    limit: number,
    windowMs: number,
  ): Promise<DriftPoint[]> {
    const points = this.#points.get(metricId) ?? [];
    return points
      .slice(lowerBound(points, before - limit * windowMs), lowerBound(points, before))
      .map((p) => ({ windowStart: p.windowStart, z: p.z, status: p.status }));
  }

  async interimAnomaly(metricId: number, windowStart: number): Promise<InterimRef | null> {
    const found = this.#anomalies.find(
      (a) =>
        a.metricId === metricId && a.interim && a.status === 'open' && a.lastWindow === windowStart,
    );
    return found ? { id: found.id, direction: found.direction } : null;
  }

  async openInterim(opening: InterimOpening): Promise<number> {
    const { metric, anomaly, peak } = opening;
    const id = this.#anomalies.length + 1;
    this.#anomalies.push({
      id,
      metricId: metric.id,
      status: 'open',
      severity: anomaly.severity,
      direction: anomaly.direction,
      firstWindow: anomaly.firstWindow,
      lastWindow: anomaly.lastWindow,
      peakWindow: peak.windowStart,
      value: peak.score.value,
      expected: peak.score.expected,
      sigma: peak.score.sigma,
      z: peak.score.z,
      explanation: asJson(peak.explanation),
      sentence: peak.explanation.sentence,
      normalWindows: 0,
      interim: true,
      interimAt: opening.at,
      confirmed: false,
    });
    return id;
  }

  async record(outcome: MetricOutcome): Promise<number | null> {
    const { metric, windowStart, score, volume, step, openId, peak } = outcome;
    const interim = outcome.interimId ? this.#anomalies[outcome.interimId - 1] : undefined;
    if (interim && step.kind !== 'open') {
      // The final score does not open it: withdraw the interim alert, then record as usual.
      const sentence = withdrawnSentence(score);
      Object.assign(interim, {
        status: 'withdrawn' as const,
        sentence,
        explanation: { ...interim.explanation, sentence },
      });
    }
    const peakFields = peak
      ? {
          peakWindow: peak.windowStart,
          value: peak.score.value,
          expected: peak.score.expected,
          sigma: peak.score.sigma,
          z: peak.score.z,
          explanation: asJson(peak.explanation),
          sentence: peak.explanation.sentence,
        }
      : {};
    switch (step.kind) {
      case 'none':
      case 'pending':
        this.#upsertPoint(metric.id, windowStart, score, volume, null);
        return null;
      case 'open': {
        if (!peak) throw new Error('an anomaly opens with its peak explained');
        const confirmed = interim?.status === 'open' ? interim : undefined;
        const id = confirmed?.id ?? this.#anomalies.length + 1;
        const row: MemoryAnomaly = {
          id,
          metricId: metric.id,
          status: 'open',
          severity: step.anomaly.severity,
          direction: step.anomaly.direction,
          firstWindow: step.anomaly.firstWindow,
          lastWindow: step.anomaly.lastWindow,
          peakWindow: peak.windowStart,
          value: peak.score.value,
          expected: peak.score.expected,
          sigma: peak.score.sigma,
          z: peak.score.z,
          explanation: asJson(peak.explanation),
          sentence: peak.explanation.sentence,
          normalWindows: 0,
          interim: false,
          interimAt: confirmed?.interimAt ?? null,
          confirmed: confirmed !== undefined,
        };
        if (confirmed) Object.assign(confirmed, row);
        else this.#anomalies.push(row);
        this.#upsertPoint(metric.id, windowStart, score, volume, id);
        // The earlier windows of the run belong to it too.
        if (step.anomaly.firstWindow < windowStart) {
          for (const p of this.#points.get(metric.id) ?? []) {
            if (p.windowStart >= step.anomaly.firstWindow && p.windowStart <= windowStart) {
              p.anomalyId = id;
            }
          }
        }
        return id;
      }
      case 'extend':
      case 'count_normal':
      case 'resolve': {
        if (openId === null) throw new Error(`lifecycle step ${step.kind} without an open anomaly`);
        const anomaly = this.#anomalies[openId - 1];
        if (anomaly && anomaly.status === 'open') {
          Object.assign(anomaly, {
            lastWindow: step.anomaly.lastWindow,
            severity: step.anomaly.severity,
            normalWindows: step.anomaly.normalWindows,
            ...(step.kind === 'resolve' ? { status: 'resolved' as const } : {}),
            ...(step.kind === 'extend' ? peakFields : {}),
          });
        }
        this.#upsertPoint(
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

  /** The metric's points (every metric's when omitted), oldest first; copies. */
  points(metricId?: number): ScoredPoint[] {
    const lists =
      metricId === undefined ? [...this.#points.values()] : [this.#points.get(metricId) ?? []];
    return lists.flat().map((p) => ({ ...p }));
  }

  /** Every anomaly, by id; copies. */
  anomalies(): MemoryAnomaly[] {
    return this.#anomalies.map((a) => ({ ...a }));
  }

  #upsertPoint(
    metricId: number,
    windowStart: number,
    score: Score,
    volume: number,
    anomalyId: number | null,
  ): void {
    const point: ScoredPoint = {
      metricId,
      windowStart,
      value: finiteOrNull(score.value),
      expected: finiteOrNull(score.expected),
      sigma: finiteOrNull(score.sigma),
      z: finiteOrNull(score.z),
      volume,
      status: score.status,
      anomalyId,
    };
    this.#putPoint(point);
  }

  #putPoint(point: ScoredPoint): void {
    let points = this.#points.get(point.metricId);
    if (!points) this.#points.set(point.metricId, (points = []));
    const at = lowerBound(points, point.windowStart);
    if (points[at]?.windowStart === point.windowStart) points[at] = point;
    else points.splice(at, 0, point);
  }
}

/** Index of the first point at or after `windowStart` (points sorted by window start). */
function lowerBound(points: readonly ScoredPoint[], windowStart: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.windowStart < windowStart) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
