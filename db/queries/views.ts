/**
 * Read model of the dashboard: the live board, anomaly summaries and the drill-down, shaped as
 * lib/views.ts says (REST and socket.io). It joins table groups (metrics, points, anomalies with
 * the names of who acted on them, injections) for those screens; it writes nothing.
 */
import { asc, desc, eq, gt, inArray } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { AnomalyDetail, AnomalySummary, Board, BoardMetric, BoardPoint } from '@/lib/views';
import { anomalies, metrics, users } from '../schema';
import type { AnomalyRow } from './anomalies';
import type { Executor } from './executor';
import { metricSeries, metricsSeries } from './explore';
import { listInjections } from './injections';
import { getMetric, listMetrics, savedRule, toDefinition, type MetricRow } from './metrics';
import { pointsBetween, pointsSince, type PointRow } from './points';

export function toBoardPoint(row: PointRow): BoardPoint {
  return {
    windowStart: row.windowStart.getTime(),
    value: row.value,
    expected: row.expected,
    sigma: row.sigma,
    z: row.z,
    volume: row.volume,
    status: row.status,
    anomalyId: row.anomalyId,
  };
}

/** Usernames of the people who acted on an anomaly (null: nobody, or a deleted user). */
export interface SummaryNames {
  acknowledgedBy: string | null;
  resolvedBy: string | null;
  verdictBy: string | null;
}

export function toSummary(row: AnomalyRow, metric: MetricRow, names: SummaryNames): AnomalySummary {
  const stamp = (by: string | null, at: Date | null) => (at ? { by, at: at.getTime() } : null);
  return {
    id: row.id,
    metricId: row.metricId,
    metricKey: metric.key,
    metricName: metric.name,
    unit: metric.unit,
    status: row.status,
    severity: row.severity,
    direction: row.direction,
    firstWindow: row.firstWindow.getTime(),
    lastWindow: row.lastWindow.getTime(),
    peakWindow: row.peakWindow.getTime(),
    value: row.value,
    expected: row.expected,
    z: row.z,
    sentence: row.sentence,
    updatedAt: row.updatedAt.getTime(),
    revisions: row.revisions,
    interim: row.interim,
    acknowledged: stamp(names.acknowledgedBy, row.acknowledgedAt),
    snoozedUntil: row.snoozedUntil?.getTime() ?? null,
    verdict: row.verdict
      ? { value: row.verdict, by: names.verdictBy, at: (row.verdictAt ?? row.updatedAt).getTime() }
      : null,
    // Only a person's resolution has a resolvedAt; the detector's leaves it null.
    resolvedBy: row.status === 'resolved' ? stamp(names.resolvedBy, row.resolvedAt) : null,
    incidentId: row.incidentId,
  };
}

const ackUser = alias(users, 'ack_user');
const resolveUser = alias(users, 'resolve_user');
const verdictUser = alias(users, 'verdict_user');

/** Anomalies with their metric and the names of who acted on them: one query. */
function selectSummaryRows(db: Executor) {
  return db
    .select({
      anomaly: anomalies,
      metric: metrics,
      acknowledgedBy: ackUser.username,
      resolvedBy: resolveUser.username,
      verdictBy: verdictUser.username,
    })
    .from(anomalies)
    .innerJoin(metrics, eq(metrics.id, anomalies.metricId))
    .leftJoin(ackUser, eq(ackUser.id, anomalies.acknowledgedBy))
    .leftJoin(resolveUser, eq(resolveUser.id, anomalies.resolvedBy))
    .leftJoin(verdictUser, eq(verdictUser.id, anomalies.verdictBy));
}

type SummaryRow = Awaited<ReturnType<typeof selectSummaryRows>>[number];

const summaryOf = (r: SummaryRow) => toSummary(r.anomaly, r.metric, r);

export function toBoardMetric(metric: MetricRow, points: BoardPoint[]): BoardMetric {
  return {
    id: metric.id,
    key: metric.key,
    name: metric.name,
    kind: metric.kind,
    unit: metric.unit,
    enabled: metric.enabled,
    rule: savedRule(metric),
    points,
    series: toDefinition(metric).series ?? null,
  };
}

/** Anomaly summaries, newest first; `afterId` for catch-up after a reconnect. */
export async function anomalySummaries(
  db: Executor,
  options: { afterId?: number; limit?: number } = {},
): Promise<AnomalySummary[]> {
  const rows = await selectSummaryRows(db)
    .where(options.afterId !== undefined ? gt(anomalies.id, options.afterId) : undefined)
    .orderBy(desc(anomalies.updatedAt))
    .limit(options.limit ?? 50);
  return rows.map(summaryOf);
}

export async function anomalySummary(db: Executor, id: number): Promise<AnomalySummary | null> {
  const [row] = await selectSummaryRows(db).where(eq(anomalies.id, id));
  return row ? summaryOf(row) : null;
}

/** The anomalies of each of `incidentIds`, as summaries in the order they opened (ascending id). */
export async function anomalySummariesByIncident(
  db: Executor,
  incidentIds: readonly number[],
): Promise<Map<number, AnomalySummary[]>> {
  const out = new Map<number, AnomalySummary[]>();
  if (incidentIds.length === 0) return out;
  const rows = await selectSummaryRows(db)
    .where(inArray(anomalies.incidentId, [...incidentIds]))
    .orderBy(asc(anomalies.id));
  for (const row of rows) {
    const id = row.anomaly.incidentId!;
    const list = out.get(id) ?? [];
    list.push(summaryOf(row));
    out.set(id, list);
  }
  return out;
}

/** Points per sparkline when the board shows a range: about two per pixel of a card's chart. */
export const BOARD_BUCKETS = 150;

/**
 * Everything the live board shows: metrics with their points, and recent anomalies. The points
 * are the latest `windows` (default 60) windows, or — given a `range` — the windows in it,
 * downsampled in PostgreSQL to about 2 × {@link BOARD_BUCKETS} per metric (lowest and highest
 * per bucket, so a one-window spike survives 30 days).
 */
export async function loadBoard(
  db: Executor,
  options: {
    windowMs: number;
    windows?: number;
    now?: number;
    range?: { from: number; to: number } | null;
  },
): Promise<Board> {
  const windows = options.windows ?? 60;
  const metricRows = await listMetrics(db);
  const ids = metricRows.map((m) => m.id);
  let byMetric: Map<number, BoardPoint[]>;
  if (options.range) {
    ({ series: byMetric } = await metricsSeries(
      db,
      ids,
      options.range,
      BOARD_BUCKETS,
      options.windowMs,
    ));
  } else {
    const since = (options.now ?? Date.now()) - windows * options.windowMs;
    byMetric = new Map();
    for (const p of await pointsSince(db, ids, since)) {
      const list = byMetric.get(p.metricId) ?? [];
      list.push(toBoardPoint(p));
      byMetric.set(p.metricId, list);
    }
  }
  const recent = await anomalySummaries(db, { limit: 50 });
  const [maxRow] = await db
    .select({ id: anomalies.id })
    .from(anomalies)
    .orderBy(desc(anomalies.id))
    .limit(1);
  return {
    windowMs: options.windowMs,
    metrics: metricRows.map((m) => toBoardMetric(m, byMetric.get(m.id) ?? [])),
    anomalies: recent,
    lastAnomalyId: maxRow?.id ?? 0,
  };
}

/**
 * One metric as the live board shows it (the same recent points as {@link loadBoard}), or null
 * when there is no such metric: what the web tier pushes when a metric is created or changed.
 */
export async function loadBoardMetric(
  db: Executor,
  metricId: number,
  options: { windowMs: number; windows?: number; now?: number },
): Promise<BoardMetric | null> {
  const metric = await getMetric(db, metricId);
  if (!metric) return null;
  const since = (options.now ?? Date.now()) - (options.windows ?? 60) * options.windowMs;
  const points = await pointsSince(db, [metric.id], since);
  return toBoardMetric(metric, points.map(toBoardPoint));
}

/** Points of a drill-down's chart over a range from its URL: about two per pixel. */
export const DRILL_BUCKETS = 600;

/**
 * The drill-down: the anomaly, its explanation and the metric's chart around it — `context`
 * windows before its first and a third as many after its last, or, given a `range` (from the
 * page's URL), the metric over that range, downsampled in PostgreSQL like the explore page's.
 */
export async function loadAnomalyDetail(
  db: Executor,
  id: number,
  windowMs: number,
  options: { context?: number; range?: { from: number; to: number } | null } = {},
): Promise<AnomalyDetail | null> {
  const [row] = await selectSummaryRows(db).where(eq(anomalies.id, id));
  if (!row) return null;
  const context = options.context ?? 30;
  const points = options.range
    ? (await metricSeries(db, row.metric.id, options.range, DRILL_BUCKETS, windowMs)).points
    : (
        await pointsBetween(
          db,
          row.metric.id,
          row.anomaly.firstWindow.getTime() - context * windowMs,
          row.anomaly.lastWindow.getTime() + (context / 3) * windowMs,
        )
      ).map(toBoardPoint);
  const injected = await listInjections(db, {
    from: row.anomaly.firstWindow.getTime(),
    to: row.anomaly.lastWindow.getTime() + windowMs,
  });
  return {
    ...summaryOf(row),
    kind: row.metric.kind,
    windowMs,
    explanation: row.anomaly.explanation,
    points,
    injected: injected.map((i) => ({
      scenario: i.scenario,
      description: i.description,
      metricKey: i.metricKey,
      rootCause: i.rootCause,
      startsAt: i.startsAt.getTime(),
      endsAt: i.endsAt.getTime(),
    })),
  };
}
