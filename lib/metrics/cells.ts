/**
 * Event types, filters and the leaf cube: which rows a metric reads, and the cells of a
 * filtered metric evaluated from the leaf cube (or, for one filtered dimension, from marginal
 * rollups alone).
 */
import { TOTAL, type LeafDelta, type MetricDefinition, type RollupDelta } from '@/lib/types';

/**
 * Every event type whose rows `metric` reads: its event type, the extra types of a count
 * metric, and the denominator type of a ratio; each once, in that order.
 */
export function definitionEventTypes(
  metric: Pick<MetricDefinition, 'kind' | 'eventType' | 'extraEventTypes' | 'denominatorEventType'>,
): string[] {
  const types = [metric.eventType];
  if (metric.kind === 'count') types.push(...metric.extraEventTypes);
  if (metric.denominatorEventType) types.push(metric.denominatorEventType);
  return [...new Set(types)];
}

/** True when the metric has at least one dimension filter or exclusion. */
export function hasFilters(metric: Pick<MetricDefinition, 'filters' | 'exclude'>): boolean {
  return Object.keys(metric.filters).length > 0 || Object.keys(metric.exclude ?? {}).length > 0;
}

/**
 * True when the metric must be evaluated from the leaf cube ({@link cellsFromLeaves}): it has
 * filters. Extra event types alone do not need leaves: {@link observe} adds the marginal rows
 * of every numerator type, which is the same number.
 */
export function needsLeaves(metric: Pick<MetricDefinition, 'filters' | 'exclude'>): boolean {
  return hasFilters(metric);
}

/** A leaf that is not canonical JSON of an object of strings. */
export class InvalidLeafError extends Error {
  constructor(leaf: string) {
    super(`Leaf ${JSON.stringify(leaf.slice(0, 200))} is not a JSON object of strings.`);
    this.name = 'InvalidLeafError';
  }
}

/**
 * The dimension values of a leaf (canonical JSON, as in leaf_rollups).
 * @throws InvalidLeafError when the text is not a JSON object of strings.
 */
export function parseLeaf(leaf: string): Record<string, string> {
  let value: unknown;
  try {
    value = JSON.parse(leaf);
  } catch {
    throw new InvalidLeafError(leaf);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidLeafError(leaf);
  }
  for (const v of Object.values(value)) {
    if (typeof v !== 'string') throw new InvalidLeafError(leaf);
  }
  return value as Record<string, string>;
}

/**
 * Parsed leaves shared by every call: the detector evaluates each filtered metric over the same
 * window's leaves, so a leaf is parsed once, not once per metric. Bounded: emptied when full.
 * The objects are shared — callers must not change them.
 */
const SHARED_LEAVES = new Map<string, Readonly<Record<string, string>>>();
const SHARED_LEAVES_MAX = 200_000;

function parseLeafShared(leaf: string): Readonly<Record<string, string>> {
  let dims = SHARED_LEAVES.get(leaf);
  if (dims === undefined) {
    dims = parseLeaf(leaf);
    if (SHARED_LEAVES.size >= SHARED_LEAVES_MAX) SHARED_LEAVES.clear();
    SHARED_LEAVES.set(leaf, dims);
  }
  return dims;
}

/**
 * Whether dimension values pass the filters: for every filtered dimension the event has it
 * and its value is one of the allowed ones (AND across dimensions, OR within one). No filters
 * pass everything.
 */
export function matchesFilters(
  filters: Readonly<Record<string, readonly string[]>>,
  dims: Readonly<Record<string, string>>,
): boolean {
  for (const [dim, allowed] of Object.entries(filters)) {
    const value = Object.hasOwn(dims, dim) ? dims[dim] : undefined;
    if (value === undefined || !allowed.includes(value)) return false;
  }
  return true;
}

/**
 * Whether dimension values count for a metric: they pass its filters ({@link matchesFilters})
 * and hold none of its excluded values (an event without the dimension is not excluded).
 */
export function matchesDefinition(
  metric: Pick<MetricDefinition, 'filters' | 'exclude'>,
  dims: Readonly<Record<string, string>>,
): boolean {
  if (!matchesFilters(metric.filters, dims)) return false;
  for (const [dim, excluded] of Object.entries(metric.exclude ?? {})) {
    const value = Object.hasOwn(dims, dim) ? dims[dim] : undefined;
    if (value !== undefined && excluded.includes(value)) return false;
  }
  return true;
}

/** Key of a cell within a set of cells (window, type, measure, dim, value). */
export const cellKey = (
  windowStart: number,
  type: string,
  dim: string,
  value: string,
  measure: string,
) => `${windowStart}\u0000${type}\u0000${measure}\u0000${dim}\u0000${value}`;

/** min ignoring NaN (leaf-made cells have no min/max). */
export function minOf(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

export function maxOf(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.max(a, b);
}

/**
 * Evaluates a filtered metric from the leaf cube: keeps the leaves of the metric's event types
 * ({@link definitionEventTypes}) whose dimension values pass its filters, and projects each
 * onto marginal cells — the total row (dim = value = TOTAL) and one row per (dim, value) of
 * the leaf — so that {@link observe}, scoreWindow and the dimension breakdown read them as
 * they read stored rollups. Any number of windows; cells keep their window and event type.
 * Projected cells have min = max = NaN: leaves carry no extremes (nothing that scores or
 * explains a metric reads them).
 * Without filters the projection equals the marginal rollups of the same events.
 * @throws InvalidLeafError for a leaf that is not a JSON object of strings.
 */
export function cellsFromLeaves(
  metric: MetricDefinition,
  leaves: readonly LeafDelta[],
): RollupDelta[] {
  const types = new Set(definitionEventTypes(metric));
  const parsed = new Map<string, Record<string, string> | null>();
  const cells = new Map<string, RollupDelta>();
  const add = (leaf: LeafDelta, dim: string, value: string) => {
    const key = cellKey(leaf.windowStart, leaf.eventType, dim, value, leaf.measure);
    const cell = cells.get(key);
    if (cell) {
      cell.count += leaf.count;
      cell.sum += leaf.sum;
      cell.sumsq += leaf.sumsq;
    } else {
      cells.set(key, {
        windowStart: leaf.windowStart,
        eventType: leaf.eventType,
        dim,
        value,
        measure: leaf.measure,
        count: leaf.count,
        sum: leaf.sum,
        sumsq: leaf.sumsq,
        min: Number.NaN,
        max: Number.NaN,
      });
    }
  };
  for (const leaf of leaves) {
    if (!types.has(leaf.eventType)) continue;
    let dims = parsed.get(leaf.leaf);
    if (dims === undefined) {
      const values = parseLeafShared(leaf.leaf);
      dims = matchesDefinition(metric, values) ? values : null;
      parsed.set(leaf.leaf, dims);
    }
    if (dims === null) continue;
    add(leaf, TOTAL, TOTAL);
    for (const [dim, value] of Object.entries(dims)) add(leaf, dim, value);
  }
  return [...cells.values()];
}

/**
 * The total rows of a metric filtered on at most one dimension, from marginal rollups alone:
 * an event has one value per dimension, so the rows (dim, v) for the allowed values v add up
 * to exactly the filtered total. Returns total cells (dim = value = TOTAL) per window, event
 * type and measure, like the total rows of {@link cellsFromLeaves}. Cheaper than the leaf cube
 * where only the total is needed (previews); not enough for a breakdown by other dimensions.
 * @throws RangeError when the metric filters on two dimensions or more (use the leaves).
 */
export function filteredTotals(
  metric: Pick<
    MetricDefinition,
    'kind' | 'eventType' | 'extraEventTypes' | 'denominatorEventType' | 'filters'
  >,
  cells: readonly RollupDelta[],
): RollupDelta[] {
  const filters = Object.entries(metric.filters);
  if (filters.length > 1) throw new RangeError('Filters on several dimensions need the leaves.');
  const [dim, allowed] = filters[0] ?? [TOTAL, [TOTAL]];
  const types = new Set(definitionEventTypes(metric));
  const totals = new Map<string, RollupDelta>();
  for (const cell of cells) {
    if (cell.dim !== dim || !allowed.includes(cell.value) || !types.has(cell.eventType)) continue;
    const key = cellKey(cell.windowStart, cell.eventType, TOTAL, TOTAL, cell.measure);
    const total = totals.get(key);
    if (total) {
      total.count += cell.count;
      total.sum += cell.sum;
      total.sumsq += cell.sumsq;
      total.min = minOf(total.min, cell.min);
      total.max = maxOf(total.max, cell.max);
    } else {
      totals.set(key, { ...cell, dim: TOTAL, value: TOTAL });
    }
  }
  return [...totals.values()];
}
