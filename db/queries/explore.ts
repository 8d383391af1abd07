/**
 * Read model of a metric's explore page (app/metrics/[key]/): the metric over any range with
 * its expected band, downsampled in PostgreSQL to the chart's width; a slice of it (filtered to
 * one value per dimension) scored against its own history from the rollups or the leaf cube;
 * the metric split by a dimension; the anomalies that overlap the range. Nothing here writes.
 */
import { and, asc, desc, eq, gt, gte, inArray, lt, sql as dsql } from 'drizzle-orm';
import { definitionEventTypes, hasFilters } from '@/lib/metrics/cells';
import { historyWindows, sliceSeries, splitSeries, type Split } from '@/lib/explore/series';
import type { ExploreAnomaly } from '@/lib/explore/view';
import type {
  AlertRule,
  MetricDefinition,
  PointStatus,
  RollupDelta,
  WindowPoint,
} from '@/lib/types';
import { anomalies, leafRollups, metricPoints, rollups } from '../schema';
import { definitionTotals, leafConditions } from './definition-preview';
import type { Executor } from './executor';

interface RawPoint extends Record<string, unknown> {
  metric_id: number;
  t: number;
  value: number | null;
  expected: number | null;
  sigma: number | null;
  z: number | null;
  volume: number;
  status: PointStatus;
  anomaly_id: number | null;
}

function toWindowPoint(r: RawPoint): WindowPoint {
  return {
    windowStart: Number(r.t),
    value: r.value,
    expected: r.expected,
    sigma: r.sigma,
    z: r.z,
    volume: Number(r.volume),
    status: r.status,
    anomalyId: r.anomaly_id,
  };
}

/**
 * The metric's scored windows in [from, to), oldest first, at most about 2 × `buckets` of
 * them: per equal-time bucket, the window with the lowest and the one with the highest value
 * (so a spike of one window survives 30 days drawn 600 px wide), picked in PostgreSQL so that
 * a long range never travels whole. A bucket whose windows have no value keeps its first, so
 * gaps stay gaps. Where the windows are fewer than 2 × `buckets`, all of them.
 */
export async function metricSeries(
  db: Executor,
  metricId: number,
  range: { from: number; to: number },
  buckets: number,
  windowMs: number,
): Promise<{ points: WindowPoint[]; downsampled: boolean }> {
  const { series, downsampled } = await metricsSeries(db, [metricId], range, buckets, windowMs);
  return { points: series.get(metricId) ?? [], downsampled };
}

/**
 * {@link metricSeries} of several metrics in one query (the board's sparklines over a range):
 * each metric's windows bucketed on the same time grid. Metrics with no window in the range are
 * absent from the map.
 */
export async function metricsSeries(
  db: Executor,
  metricIds: readonly number[],
  range: { from: number; to: number },
  buckets: number,
  windowMs: number,
): Promise<{ series: Map<number, WindowPoint[]>; downsampled: boolean }> {
  const series = new Map<number, WindowPoint[]>();
  const add = (metricId: number, point: WindowPoint) => {
    const list = series.get(metricId);
    if (list) list.push(point);
    else series.set(metricId, [point]);
  };
  if (metricIds.length === 0) return { series, downsampled: false };
  const { from, to } = range;
  const bucketMs = Math.ceil((to - from) / buckets);
  const where = and(
    inArray(metricPoints.metricId, [...metricIds]),
    gte(metricPoints.windowStart, new Date(from)),
    lt(metricPoints.windowStart, new Date(to)),
  );
  if (bucketMs <= 2 * windowMs) {
    const rows = await db
      .select()
      .from(metricPoints)
      .where(where)
      .orderBy(asc(metricPoints.metricId), asc(metricPoints.windowStart));
    for (const { metricId, ...r } of rows) {
      add(metricId, { ...r, windowStart: r.windowStart.getTime() });
    }
    return { series, downsampled: false };
  }
  const epochMs = dsql`(extract(epoch from ${metricPoints.windowStart}) * 1000)::float8`;
  const rows = await db.execute<RawPoint>(dsql`
    select metric_id, t, value, expected, sigma, z, volume, status, anomaly_id from (
      select p.*,
        row_number() over (partition by metric_id, bucket order by value asc nulls last, t) as lowest,
        row_number() over (partition by metric_id, bucket order by value desc nulls last, t) as highest
      from (
        select ${metricPoints.metricId} as metric_id, ${epochMs} as t,
          ${metricPoints.value} as value, ${metricPoints.expected} as expected,
          ${metricPoints.sigma} as sigma, ${metricPoints.z} as z, ${metricPoints.volume} as volume,
          ${metricPoints.status} as status, ${metricPoints.anomalyId} as anomaly_id,
          floor((${epochMs} - ${from}) / ${bucketMs}) as bucket
        from ${metricPoints} where ${where}
      ) p
    ) ranked
    where lowest = 1 or highest = 1
    order by metric_id, t`);
  for (const r of rows) add(Number(r.metric_id), toWindowPoint(r));
  return { series, downsampled: true };
}

/** Why a slice cannot be shown (its filter contradicts the metric's own), or null. */
export function sliceConflict(
  metric: Pick<MetricDefinition, 'filters'>,
  slice: Record<string, string>,
): string | null {
  for (const [dim, value] of Object.entries(slice)) {
    const allowed = metric.filters[dim];
    if (allowed && !allowed.includes(value)) {
      return `This metric only counts ${dim} = ${allowed.join(', ')}, so ${dim} = ${value} is always empty.`;
    }
  }
  return null;
}

/** The metric narrowed to a slice: its filters, with each filtered dimension set to one value. */
export function withSlice(
  metric: MetricDefinition,
  slice: Record<string, string>,
): MetricDefinition {
  const filters = { ...metric.filters };
  for (const [dim, value] of Object.entries(slice)) filters[dim] = [value];
  return { ...metric, filters };
}

/**
 * A slice of the metric over [from, to), scored against the slice's own recent history (read
 * from the windows just before the range; see lib/explore/series.ts).
 */
export async function sliceSeriesOf(
  db: Executor,
  metric: MetricDefinition,
  rule: AlertRule,
  slice: Record<string, string>,
  range: { from: number; to: number },
  baseWindowMs: number,
): Promise<WindowPoint[]> {
  const narrowed = withSlice(metric, slice);
  const span = baseWindowMs * metric.windowMultiple;
  const historyFrom = range.from - historyWindows(rule) * span;
  const cells = await definitionTotals(db, narrowed, historyFrom, range.to);
  return sliceSeries(narrowed, rule, cells, { ...range, baseWindowMs }, historyFrom);
}

/**
 * The metric split by `dim` over [from, to): the rows of that dimension from the marginal
 * rollups, or — when the metric filters on another dimension — from the leaf cube, grouped by
 * the dimension's value in PostgreSQL.
 */
export async function splitOf(
  db: Executor,
  metric: MetricDefinition,
  dim: string,
  range: { from: number; to: number },
  baseWindowMs: number,
  top: number,
): Promise<Split> {
  const types = definitionEventTypes(metric);
  const filters = Object.entries(metric.filters);
  let cells: RollupDelta[];
  const excludes = Object.keys(metric.exclude ?? {}).length > 0;
  if (!hasFilters(metric) || (!excludes && filters.length === 1 && filters[0]![0] === dim)) {
    const allowed = metric.filters[dim];
    const rows = await db
      .select()
      .from(rollups)
      .where(
        and(
          gte(rollups.windowStart, new Date(range.from)),
          lt(rollups.windowStart, new Date(range.to)),
          inArray(rollups.eventType, types),
          eq(rollups.dim, dim),
          allowed ? inArray(rollups.value, allowed) : undefined,
        ),
      );
    cells = rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
  } else {
    const conditions = leafConditions(metric);
    const value = dsql<string>`(${leafRollups.leaf}::jsonb ->> ${dim})`;
    const rows = await db
      .select({
        windowStart: leafRollups.windowStart,
        eventType: leafRollups.eventType,
        measure: leafRollups.measure,
        value,
        count: dsql<number>`sum(${leafRollups.count})::float8`.mapWith(Number),
        sum: dsql<number>`sum(${leafRollups.sum})`.mapWith(Number),
        sumsq: dsql<number>`sum(${leafRollups.sumsq})`.mapWith(Number),
      })
      .from(leafRollups)
      .where(
        and(
          gte(leafRollups.windowStart, new Date(range.from)),
          lt(leafRollups.windowStart, new Date(range.to)),
          inArray(leafRollups.eventType, types),
          dsql`${value} is not null`,
          ...conditions,
        ),
      )
      // By position: the value's expression carries the dimension as a parameter, and PostgreSQL
      // does not match a parameter in GROUP BY with another in the select list.
      .groupBy(dsql`1, 2, 3, 4`);
    cells = rows.map((r) => ({
      ...r,
      windowStart: r.windowStart.getTime(),
      dim,
      min: Number.NaN,
      max: Number.NaN,
    }));
  }
  return splitSeries(metric, dim, cells, { ...range, baseWindowMs }, top);
}

/** The metric's anomalies (withdrawn ones left out) that overlap [from, to), newest first. */
export async function anomaliesInRange(
  db: Executor,
  metricId: number,
  range: { from: number; to: number },
  windowMs: number,
  limit = 200,
): Promise<ExploreAnomaly[]> {
  const rows = await db
    .select({
      id: anomalies.id,
      severity: anomalies.severity,
      status: anomalies.status,
      direction: anomalies.direction,
      firstWindow: anomalies.firstWindow,
      lastWindow: anomalies.lastWindow,
      incidentId: anomalies.incidentId,
      sentence: anomalies.sentence,
    })
    .from(anomalies)
    .where(
      and(
        eq(anomalies.metricId, metricId),
        lt(anomalies.firstWindow, new Date(range.to)),
        gt(anomalies.lastWindow, new Date(range.from - windowMs)),
        dsql`${anomalies.status} <> 'withdrawn'`,
      ),
    )
    .orderBy(desc(anomalies.firstWindow))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    severity: r.severity,
    status: r.status,
    direction: r.direction,
    firstWindow: r.firstWindow.getTime(),
    end: r.lastWindow.getTime() + windowMs,
    incidentId: r.incidentId,
    sentence: r.sentence,
  }));
}
