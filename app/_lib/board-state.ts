/**
 * The live board's state and how socket events and REST catch-ups fold into it. Pure, so the
 * merge rules (idempotent, order-independent where it matters) are unit-tested.
 */
import type { AlertRule } from '@/lib/types';
import type { AnomalySummary, Board, BoardMetric, BoardPoint, IncidentSummary } from '@/lib/views';
import { latestUpdate, mergeIncidents } from './incident-feed';

/** How many windows of history a card keeps. */
export const MAX_WINDOWS = 60;
/** How many anomalies the feed keeps. */
export const MAX_ANOMALIES = 100;

export interface BoardState {
  windowMs: number;
  metrics: BoardMetric[];
  /** Newest first (by id). */
  anomalies: AnomalySummary[];
  /** Largest anomaly id seen, for `GET /api/anomalies?after=`. */
  lastAnomalyId: number;
  /** Incidents with their anomalies, newest first (./incident-feed.ts). */
  incidents: IncidentSummary[];
  /** Latest `updatedAt` of an incident seen, for `GET /api/incidents?since=`. */
  lastIncidentUpdate: number;
  /** Start of the newest scored window seen, if any. */
  lastWindowStart: number | null;
  /** When this browser last received a scored window (epoch ms), if it has. */
  lastScoredAt: number | null;
  /** How many windows of history a card keeps: {@link MAX_WINDOWS}, or the range's length. */
  keepWindows: number;
  /** A range that does not end at now: new windows do not move the cards (the feed still moves). */
  frozen: boolean;
}

/** How the board shows points: the last {@link MAX_WINDOWS} windows unless it shows a range. */
export interface BoardRangeOptions {
  /** Length of the range shown, when the board shows one. */
  rangeMs?: number;
  /** The range ends before now, so new windows stay off the cards. */
  frozen?: boolean;
}

export type BoardAction =
  | { type: 'board'; board: Board }
  | {
      type: 'points';
      windowStart: number;
      points: (BoardPoint & { metricId: number })[];
      receivedAt: number;
    }
  | { type: 'anomalies'; anomalies: AnomalySummary[] }
  /** Incidents opened or changed (socket), or listed (REST). */
  | { type: 'incidents'; incidents: IncidentSummary[] }
  | { type: 'rule'; metricId: number; rule: AlertRule }
  /** A metric was created, or its definition or enabled flag changed: its board view. */
  | { type: 'metric'; metric: BoardMetric }
  /** A metric is gone (a series its split no longer has). */
  | { type: 'metric-removed'; metricId: number };

export function initBoardState(
  board: Board,
  incidents: IncidentSummary[] = [],
  options: BoardRangeOptions = {},
): BoardState {
  const keepWindows =
    options.rangeMs === undefined
      ? MAX_WINDOWS
      : Math.max(1, Math.ceil(options.rangeMs / board.windowMs));
  const state = boardReducer(
    {
      windowMs: board.windowMs,
      metrics: [],
      anomalies: [],
      lastAnomalyId: 0,
      incidents: [],
      lastIncidentUpdate: 0,
      lastWindowStart: null,
      lastScoredAt: null,
      keepWindows,
      frozen: options.frozen ?? false,
    },
    { type: 'board', board },
  );
  return boardReducer(state, { type: 'incidents', incidents });
}

/** Merges points by window start (incoming wins), oldest first, trimmed to recent windows. */
export function mergePoints(
  existing: BoardPoint[],
  incoming: BoardPoint[],
  windowMs: number,
  maxWindows = MAX_WINDOWS,
): BoardPoint[] {
  const byStart = new Map<number, BoardPoint>();
  for (const p of existing) byStart.set(p.windowStart, p);
  for (const p of incoming) byStart.set(p.windowStart, p);
  const merged = [...byStart.values()].sort((a, b) => a.windowStart - b.windowStart);
  const newest = merged.at(-1)?.windowStart;
  if (newest === undefined) return merged;
  const cutoff = newest - maxWindows * windowMs;
  const recent = merged.filter((p) => p.windowStart > cutoff);
  return recent.length > maxWindows ? recent.slice(-maxWindows) : recent;
}

/** Upserts anomalies by id; a copy with an older `updatedAt` never replaces a newer one. */
export function mergeAnomalies(
  existing: AnomalySummary[],
  incoming: AnomalySummary[],
  max = MAX_ANOMALIES,
): AnomalySummary[] {
  const byId = new Map<number, AnomalySummary>();
  for (const a of existing) byId.set(a.id, a);
  for (const a of incoming) {
    const current = byId.get(a.id);
    if (!current || a.updatedAt >= current.updatedAt) byId.set(a.id, a);
  }
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, max);
}

function newestWindow(metrics: BoardMetric[]): number | null {
  let newest: number | null = null;
  for (const m of metrics) {
    const last = m.points.at(-1);
    if (last && (newest === null || last.windowStart > newest)) newest = last.windowStart;
  }
  return newest;
}

function maxId(anomalies: AnomalySummary[], floor: number): number {
  return anomalies.reduce((max, a) => Math.max(max, a.id), floor);
}

export function boardReducer(state: BoardState, action: BoardAction): BoardState {
  switch (action.type) {
    case 'board': {
      const { board } = action;
      const previous = new Map(state.metrics.map((m) => [m.id, m]));
      // The REST board is authoritative for the list of metrics and their rules; points merge
      // with what the socket delivered meanwhile, so a slow response cannot roll anything back.
      const metrics = board.metrics.map((m) => ({
        ...m,
        points: mergePoints(
          previous.get(m.id)?.points ?? [],
          m.points,
          board.windowMs,
          state.keepWindows,
        ),
      }));
      const anomalies = mergeAnomalies(state.anomalies, board.anomalies);
      const newest = newestWindow(metrics);
      // A window that arrived by REST was scored at an unknown time: forget the receipt time.
      const advanced =
        newest !== null && (state.lastWindowStart === null || newest > state.lastWindowStart);
      return {
        ...state,
        windowMs: board.windowMs,
        metrics,
        anomalies,
        lastAnomalyId: Math.max(state.lastAnomalyId, board.lastAnomalyId, maxId(anomalies, 0)),
        lastWindowStart: advanced ? newest : state.lastWindowStart,
        lastScoredAt: advanced ? null : state.lastScoredAt,
      };
    }
    case 'points': {
      const byMetric = new Map<number, BoardPoint[]>();
      for (const { metricId, ...point } of action.points) {
        const list = byMetric.get(metricId) ?? [];
        list.push(point);
        byMetric.set(metricId, list);
      }
      const metrics = state.frozen
        ? state.metrics
        : state.metrics.map((m) => {
            const incoming = byMetric.get(m.id);
            return incoming
              ? { ...m, points: mergePoints(m.points, incoming, state.windowMs, state.keepWindows) }
              : m;
          });
      return {
        ...state,
        metrics,
        lastWindowStart: Math.max(state.lastWindowStart ?? action.windowStart, action.windowStart),
        lastScoredAt: action.receivedAt,
      };
    }
    case 'anomalies': {
      if (action.anomalies.length === 0) return state;
      const anomalies = mergeAnomalies(state.anomalies, action.anomalies);
      return {
        ...state,
        anomalies,
        lastAnomalyId: maxId(action.anomalies, state.lastAnomalyId),
      };
    }
    case 'incidents': {
      if (action.incidents.length === 0) return state;
      return {
        ...state,
        incidents: mergeIncidents(state.incidents, action.incidents),
        lastIncidentUpdate: latestUpdate(action.incidents, state.lastIncidentUpdate),
      };
    }
    case 'rule':
      return {
        ...state,
        metrics: state.metrics.map((m) =>
          m.id === action.metricId ? { ...m, rule: action.rule } : m,
        ),
      };
    case 'metric': {
      const { metric } = action;
      const current = state.metrics.find((m) => m.id === metric.id);
      const next = {
        ...metric,
        // Its pushed points are its latest windows: off the cards of a range that ended.
        points: state.frozen
          ? (current?.points ?? [])
          : mergePoints(current?.points ?? [], metric.points, state.windowMs, state.keepWindows),
      };
      // The board lists metrics in id order, as GET /api/board does.
      const metrics = current
        ? state.metrics.map((m) => (m.id === metric.id ? next : m))
        : [...state.metrics, next].sort((a, b) => a.id - b.id);
      return { ...state, metrics };
    }
    case 'metric-removed':
      return { ...state, metrics: state.metrics.filter((m) => m.id !== action.metricId) };
  }
}

/** True when a points update names a metric the board does not know yet (then: refetch). */
export function hasUnknownMetric(state: BoardState, metricIds: number[]): boolean {
  const known = new Set(state.metrics.map((m) => m.id));
  return metricIds.some((id) => !known.has(id));
}
