/**
 * Metric definitions managed in the browser: create, change the definition (optionally asking
 * the detector to re-score stored history), enable/disable, the list with each metric's last
 * point, suggestions from stored rollups, and the preview of a draft definition.
 */
import { and, asc, desc, eq, gte, inArray, lt, ne, sql as dsql, type SQL } from 'drizzle-orm';
import { definitionEventTypes, filteredTotals } from '@/lib/metrics/cells';
import { metricWindowStart } from '@/lib/metrics/metric-windows';
import { previewSeries, type PreviewPoint } from '@/lib/metrics/definition-preview';
import { type DefinitionInput } from '@/lib/metrics/definition';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import { TOTAL, type MetricDefinition, type PointStatus, type RollupDelta } from '@/lib/types';
import type { Db } from '../client';
import { leafRollups, metricPoints, metrics, rollups } from '../schema';
import { defaultRuleColumns, type MetricRow } from './metrics';

/** How far back "re-score the last 24 h" reaches. */
export const RESCORE_WINDOW_MS = 24 * 3_600_000;

/** A metric key that another metric already has. */
export class MetricKeyTakenError extends Error {
  constructor(key: string) {
    super(`A metric with the key "${key}" exists already.`);
    this.name = 'MetricKeyTakenError';
  }
}

/** The columns a definition sets (everything but key, which never changes after creation). */
function definitionColumns(def: DefinitionInput) {
  return {
    name: def.name,
    kind: def.kind,
    eventType: def.eventType,
    extraEventTypes: def.extraEventTypes,
    measure: def.measure,
    denominatorEventType: def.denominatorEventType,
    filters: def.filters,
    windowMultiple: def.windowMultiple,
    unit: def.unit,
  };
}

/**
 * Creates an enabled metric with the default alert rule. The detector picks it up from the
 * next window; it shows as learning until it has a baseline.
 * @throws MetricKeyTakenError when the key is in use.
 */
export async function createMetric(
  db: Db,
  def: DefinitionInput,
  userId: number | null,
  now = new Date(),
): Promise<MetricRow> {
  const [row] = await db
    .insert(metrics)
    .values({
      key: def.key,
      ...definitionColumns(def),
      ...defaultRuleColumns(),
      enabled: true,
      definitionUpdatedAt: now,
      definitionUpdatedBy: userId,
    })
    .onConflictDoNothing({ target: metrics.key })
    .returning();
  if (!row) throw new MetricKeyTakenError(def.key);
  return row;
}

export interface DefinitionUpdate {
  userId: number | null;
  /** Ask the detector to re-score stored windows from now − 24 h with the new definition. */
  rescore?: boolean;
  now?: Date;
}

/**
 * Replaces the definition of the metric with `key` (the key itself never changes: `def.key`
 * is ignored) and records who changed it and when. With `rescore`, sets `rescoreFrom` to
 * now − 24 h so that the detector re-scores stored history; without, points already scored
 * keep the values of the old definition. Returns undefined when there is no such metric.
 */
export async function updateDefinition(
  db: Db,
  key: string,
  def: DefinitionInput,
  update: DefinitionUpdate,
): Promise<MetricRow | undefined> {
  const now = update.now ?? new Date();
  const [row] = await db
    .update(metrics)
    .set({
      ...definitionColumns(def),
      definitionUpdatedAt: now,
      definitionUpdatedBy: update.userId,
      ...(update.rescore ? { rescoreFrom: new Date(now.getTime() - RESCORE_WINDOW_MS) } : {}),
    })
    .where(eq(metrics.key, key))
    .returning();
  return row;
}

/** Enables or disables scoring of a metric; undefined when there is no such metric. */
export async function setMetricEnabled(
  db: Db,
  key: string,
  enabled: boolean,
): Promise<MetricRow | undefined> {
  const [row] = await db.update(metrics).set({ enabled }).where(eq(metrics.key, key)).returning();
  return row;
}

/** A metric's last scored window, as the metrics list shows it. */
export interface LastPoint {
  windowStart: number;
  value: number | null;
  status: PointStatus;
}

/** One row of the metrics list: the definition, when it last changed, and the last point. */
export interface MetricListItem extends MetricDefinition {
  definitionUpdatedAt: number | null;
  rescoreFrom: number | null;
  last: LastPoint | null;
}

export function toListItem(row: MetricRow, last: LastPoint | null): MetricListItem {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    kind: row.kind,
    eventType: row.eventType,
    extraEventTypes: row.extraEventTypes,
    measure: row.measure,
    denominatorEventType: row.denominatorEventType,
    filters: row.filters,
    windowMultiple: row.windowMultiple,
    unit: row.unit,
    enabled: row.enabled,
    definitionUpdatedAt: row.definitionUpdatedAt?.getTime() ?? null,
    rescoreFrom: row.rescoreFrom?.getTime() ?? null,
    last,
  };
}

/** The last point of each metric, read through the (metric, window) primary key. */
function lastPointQuery(db: Db) {
  const last = db
    .select({
      windowStart: metricPoints.windowStart,
      value: metricPoints.value,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(eq(metricPoints.metricId, metrics.id))
    .orderBy(desc(metricPoints.windowStart))
    .limit(1)
    .as('last');
  return db
    .select({
      metric: metrics,
      lastWindow: last.windowStart,
      lastValue: last.value,
      lastStatus: last.status,
    })
    .from(metrics)
    .leftJoinLateral(last, dsql`true`);
}

type LastRow = Awaited<ReturnType<typeof lastPointQuery>>[number];

const itemOf = (r: LastRow) =>
  toListItem(
    r.metric,
    r.lastWindow && r.lastStatus
      ? { windowStart: r.lastWindow.getTime(), value: r.lastValue, status: r.lastStatus }
      : null,
  );

/** Every metric (enabled or not) with its last point, in creation order. */
export async function listMetricItems(db: Db): Promise<MetricListItem[]> {
  const rows = await lastPointQuery(db).orderBy(asc(metrics.id));
  return rows.map(itemOf);
}

/** One metric with its last point, or undefined. */
export async function getMetricItem(db: Db, key: string): Promise<MetricListItem | undefined> {
  const [row] = await lastPointQuery(db).where(eq(metrics.key, key));
  return row ? itemOf(row) : undefined;
}

/** What the definition form suggests: event types with their measures, dimension values. */
export interface MetricCatalog {
  /** Event types seen, each with the measures its events carried. */
  eventTypes: { type: string; measures: string[] }[];
  /** Dimensions seen, each with its values, most frequent first. */
  dimensions: { dim: string; values: string[] }[];
}

const MAX_SUGGESTED_VALUES = 200;

/** Event types, measures and dimension values of the stored rollups since `since`. */
export async function metricCatalog(db: Db, since: number): Promise<MetricCatalog> {
  const from = new Date(since);
  const typeRows = await db
    .selectDistinct({ eventType: rollups.eventType, measure: rollups.measure })
    .from(rollups)
    .where(and(gte(rollups.windowStart, from), eq(rollups.dim, TOTAL)))
    .orderBy(asc(rollups.eventType), asc(rollups.measure));
  const eventTypes = new Map<string, string[]>();
  for (const { eventType, measure } of typeRows) {
    const measures = eventTypes.get(eventType) ?? [];
    if (measure !== COUNT_MEASURE) measures.push(measure);
    eventTypes.set(eventType, measures);
  }
  const count = dsql<number>`sum(${rollups.count})`.mapWith(Number);
  const valueRows = await db
    .select({ dim: rollups.dim, value: rollups.value, n: count })
    .from(rollups)
    .where(
      and(
        gte(rollups.windowStart, from),
        ne(rollups.dim, TOTAL),
        eq(rollups.measure, COUNT_MEASURE),
      ),
    )
    .groupBy(rollups.dim, rollups.value)
    .orderBy(asc(rollups.dim), desc(count), asc(rollups.value));
  const dimensions = new Map<string, string[]>();
  for (const { dim, value } of valueRows) {
    const values = dimensions.get(dim) ?? [];
    if (values.length < MAX_SUGGESTED_VALUES) values.push(value);
    dimensions.set(dim, values);
  }
  return {
    eventTypes: [...eventTypes].map(([type, measures]) => ({ type, measures })),
    dimensions: [...dimensions].map(([dim, values]) => ({ dim, values })),
  };
}

/**
 * Total cells (dim = value = TOTAL) of a definition's event types over base windows in
 * [from, to), with its filters applied: stored total rollups without filters; the marginal
 * rows of the allowed values for a filter on one dimension (exact: an event has one value
 * per dimension, see lib/metrics/metrics `filteredTotals`); the leaf cube, filtered and summed in
 * PostgreSQL, for filters on several dimensions (min and max are then NaN).
 */
export async function definitionTotals(
  db: Db,
  def: Pick<
    MetricDefinition,
    'kind' | 'eventType' | 'extraEventTypes' | 'denominatorEventType' | 'filters'
  >,
  from: number,
  to: number,
): Promise<RollupDelta[]> {
  const types = definitionEventTypes(def);
  const range = and(
    gte(rollups.windowStart, new Date(from)),
    lt(rollups.windowStart, new Date(to)),
    inArray(rollups.eventType, types),
  );
  const filters = Object.entries(def.filters);
  if (filters.length <= 1) {
    const [dim, values] = filters[0] ?? [TOTAL, [TOTAL]];
    const rows = await db
      .select()
      .from(rollups)
      .where(and(range, eq(rollups.dim, dim), inArray(rollups.value, values)));
    const cells = rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
    return filters.length === 0 ? cells : filteredTotals(def, cells);
  }
  const conditions: SQL[] = filters.map(([dim, values]) =>
    inArray(dsql`(${leafRollups.leaf}::jsonb ->> ${dim})`, values),
  );
  return leafTotals(
    db,
    and(
      gte(leafRollups.windowStart, new Date(from)),
      lt(leafRollups.windowStart, new Date(to)),
      inArray(leafRollups.eventType, types),
      ...conditions,
    ),
  );
}

/**
 * The leaf cube's rows matching `where`, added up per window, event type and measure into
 * total-slice cells: a filtered metric's totals.
 */
export async function leafTotals(db: Db, where: SQL | undefined): Promise<RollupDelta[]> {
  const rows = await db
    .select({
      windowStart: leafRollups.windowStart,
      eventType: leafRollups.eventType,
      measure: leafRollups.measure,
      count: dsql<number>`sum(${leafRollups.count})::float8`.mapWith(Number),
      sum: dsql<number>`sum(${leafRollups.sum})`.mapWith(Number),
      sumsq: dsql<number>`sum(${leafRollups.sumsq})`.mapWith(Number),
    })
    .from(leafRollups)
    .where(where)
    .groupBy(leafRollups.windowStart, leafRollups.eventType, leafRollups.measure);
  return rows.map((r) => ({
    ...r,
    windowStart: r.windowStart.getTime(),
    dim: TOTAL,
    value: TOTAL,
    min: Number.NaN,
    max: Number.NaN,
  }));
}

/** A draft definition's recent values. */
export interface DefinitionPreview {
  /** Metric windows [from, to) covered; `to` is the end of the last complete one. */
  from: number;
  to: number;
  /** Length of one of the metric's windows (base window × multiple). */
  windowMs: number;
  points: PreviewPoint[];
}

/** How far back a preview looks. */
export const PREVIEW_SPAN_MS = 3_600_000;

/**
 * The values a (draft) definition would have had over the last hour of complete metric
 * windows (at least one window), computed from stored rollups or leaves as the detector
 * computes them.
 */
export async function previewDefinition(
  db: Db,
  def: Omit<MetricDefinition, 'id' | 'key' | 'name' | 'enabled' | 'unit'>,
  options: { baseWindowMs: number; now?: number; spanMs?: number },
): Promise<DefinitionPreview> {
  const { baseWindowMs } = options;
  const k = def.windowMultiple;
  const span = baseWindowMs * k;
  const to = metricWindowStart(options.now ?? Date.now(), baseWindowMs, k);
  const from = Math.min(
    metricWindowStart(to - (options.spanMs ?? PREVIEW_SPAN_MS), baseWindowMs, k),
    to - span,
  );
  const metric: MetricDefinition = {
    ...def,
    id: 0,
    key: 'draft',
    name: 'Draft',
    unit: '',
    enabled: true,
  };
  const cells = await definitionTotals(db, metric, from, to);
  return {
    from,
    to,
    windowMs: span,
    points: previewSeries(metric, cells, { from, to, baseWindowMs }),
  };
}
