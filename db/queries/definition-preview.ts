/**
 * Read model of the definition form (app/metrics/): what it suggests — event types, measures and
 * dimension values seen in the stored rollups — and what a draft definition's values would have
 * been, computed from the rollups (or the leaf cube, for filters on several dimensions) as the
 * detector computes them. Reads `rollups` and `leaf_rollups`; nothing here writes.
 */
import type { DefinitionPreview, MetricCatalog } from '@/lib/views';
import { and, asc, desc, eq, gte, inArray, lt, ne, sql as dsql, type SQL } from 'drizzle-orm';
import { definitionEventTypes, filteredTotals } from '@/lib/metrics/cells';
import { metricWindowStart } from '@/lib/metrics/metric-windows';
import { previewSeries } from '@/lib/metrics/definition-preview';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import { TOTAL, type MetricDefinition, type RollupDelta } from '@/lib/types';
import { leafRollups, rollups } from '../schema';
import type { Executor } from './executor';

/** What the definition form suggests: event types with their measures, dimension values. */
const MAX_SUGGESTED_VALUES = 200;

/** Event types, measures and dimension values of the stored rollups since `since`. */
export async function metricCatalog(db: Executor, since: number): Promise<MetricCatalog> {
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
  db: Executor,
  def: Pick<
    MetricDefinition,
    'kind' | 'eventType' | 'extraEventTypes' | 'denominatorEventType' | 'filters' | 'exclude'
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
  const excludes = Object.keys(def.exclude ?? {}).length > 0;
  if (filters.length <= 1 && !excludes) {
    const [dim, values] = filters[0] ?? [TOTAL, [TOTAL]];
    const rows = await db
      .select()
      .from(rollups)
      .where(and(range, eq(rollups.dim, dim), inArray(rollups.value, values)));
    const cells = rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
    return filters.length === 0 ? cells : filteredTotals(def, cells);
  }
  const conditions = leafConditions(def);
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
 * SQL conditions on `leaf_rollups.leaf` that keep the leaves a definition counts: each
 * filtered dimension one of its values, each excluded value absent (lib/metrics/cells
 * `matchesDefinition`).
 */
export function leafConditions(
  def: Pick<MetricDefinition, 'filters' | 'exclude'>,
  skipDim?: string,
): SQL[] {
  const valueOf = (dim: string) => dsql`(${leafRollups.leaf}::jsonb ->> ${dim})`;
  const conditions: SQL[] = [];
  for (const [dim, values] of Object.entries(def.filters)) {
    if (dim !== skipDim) conditions.push(inArray(valueOf(dim), values));
  }
  for (const [dim, values] of Object.entries(def.exclude ?? {})) {
    if (values.length === 0) continue;
    conditions.push(
      dsql`(${valueOf(dim)} is null or not (${valueOf(dim)} = any(${dsql.param(values)}::text[])))`,
    );
  }
  return conditions;
}

/**
 * The leaf cube's rows matching `where`, added up per window, event type and measure into
 * total-slice cells: a filtered metric's totals.
 */
export async function leafTotals(db: Executor, where: SQL | undefined): Promise<RollupDelta[]> {
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
/** How far back a preview looks. */
export const PREVIEW_SPAN_MS = 3_600_000;

/**
 * The values a (draft) definition would have had over the last hour of complete metric
 * windows (at least one window), computed from stored rollups or leaves as the detector
 * computes them.
 */
export async function previewDefinition(
  db: Executor,
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
