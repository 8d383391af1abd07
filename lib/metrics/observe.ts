/**
 * Metrics defined over rollup cells: count of an event type, sum or average of a measure,
 * ratio of two counts. Observations keep numerator and denominator apart so that slices add up.
 */
import {
  TOTAL,
  type MetricDefinition,
  type MetricObservation,
  type RollupDelta,
} from '@/lib/types';
import { COUNT_MEASURE } from '@/lib/stream/rollup';

/** A metric definition whose required fields for its kind are missing. */
export class InvalidMetricError extends Error {
  constructor(metric: Pick<MetricDefinition, 'key' | 'kind'>, field: string) {
    super(`Metric "${metric.key}" of kind ${metric.kind} needs ${field}.`);
    this.name = 'InvalidMetricError';
  }
}

/** One dimension slice of a window; the total is { dim: TOTAL, value: TOTAL }. */
export interface Slice {
  dim: string;
  value: string;
}

/** The slice covering all events. */
export const TOTAL_SLICE: Slice = { dim: TOTAL, value: TOTAL };

/** Raw sums a metric reads from cells, before the kind decides num / den / volume. */
interface Tally {
  /** Count rows of the metric's event type. */
  events: number;
  /** Count rows of the denominator event type (ratio). */
  denominatorEvents: number;
  /** Count and sum of the metric's measure rows (sum, avg). */
  measureCount: number;
  measureSum: number;
}

function emptyTally(): Tally {
  return { events: 0, denominatorEvents: 0, measureCount: 0, measureSum: 0 };
}

/** Checks that the fields the metric's kind reads are present. */
/** Checks that the fields the metric's kind reads are present. */
export function assertComplete(metric: MetricDefinition): void {
  if ((metric.kind === 'sum' || metric.kind === 'avg') && !metric.measure) {
    throw new InvalidMetricError(metric, 'a measure');
  }
  if (metric.kind === 'ratio' && !metric.denominatorEventType) {
    throw new InvalidMetricError(metric, 'a denominator event type');
  }
}

/** Whether events of `type` count towards the metric's numerator (extra types: count only). */
function isNumeratorType(metric: MetricDefinition, type: string): boolean {
  return (
    type === metric.eventType || (metric.kind === 'count' && metric.extraEventTypes.includes(type))
  );
}

/** Adds the parts of `cell` that `metric` reads (any slice; the caller filters slices). */
function tally(metric: MetricDefinition, cell: RollupDelta, into: Tally): void {
  if (cell.measure === COUNT_MEASURE) {
    if (isNumeratorType(metric, cell.eventType)) into.events += cell.count;
    if (cell.eventType === metric.denominatorEventType) into.denominatorEvents += cell.count;
  } else if (cell.eventType === metric.eventType && cell.measure === metric.measure) {
    into.measureCount += cell.count;
    into.measureSum += cell.sum;
  }
}

function toObservation(metric: MetricDefinition, t: Tally): MetricObservation {
  switch (metric.kind) {
    case 'count':
      return { num: t.events, den: 1, volume: t.events };
    case 'sum':
      return { num: t.measureSum, den: 1, volume: t.measureCount };
    case 'avg':
      return { num: t.measureSum, den: t.measureCount, volume: t.measureCount };
    case 'ratio':
      return { num: t.events, den: t.denominatorEvents, volume: t.denominatorEvents };
  }
}

/**
 * Observes `metric` in one slice of one window. Filters are not applied here: a filtered
 * metric reads cells made by {@link cellsFromLeaves} (or {@link filteredTotals}). `cells` are the window's rollup rows (any
 * types, dims and measures; rows with the same key may repeat and are added up).
 * - count: num = events of the type, den = 1, volume = num
 * - sum:   num = sum of the measure, den = 1, volume = rows carrying the measure
 * - avg:   num = sum of the measure, den = volume = rows carrying the measure
 * - ratio: num = events of the type, den = volume = events of the denominator type
 * @throws InvalidMetricError when the definition lacks a field its kind needs.
 */
export function observe(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
  slice: Slice,
): MetricObservation {
  assertComplete(metric);
  const t = emptyTally();
  for (const cell of cells) {
    if (cell.dim === slice.dim && cell.value === slice.value) tally(metric, cell, t);
  }
  return toObservation(metric, t);
}

/** An observation of one slice, as returned by {@link observeSlices}. */
export interface SliceObservation extends Slice {
  obs: MetricObservation;
}

/**
 * Observes `metric` in every slice present in `cells` (one window), including the total, in a
 * single pass. Same semantics as {@link observe}; slices come in order of first appearance.
 * @throws InvalidMetricError when the definition lacks a field its kind needs.
 */
export function observeSlices(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
): SliceObservation[] {
  assertComplete(metric);
  const byDim = new Map<string, Map<string, Tally>>();
  for (const cell of cells) {
    let values = byDim.get(cell.dim);
    if (!values) {
      values = new Map();
      byDim.set(cell.dim, values);
    }
    let t = values.get(cell.value);
    if (!t) {
      t = emptyTally();
      values.set(cell.value, t);
    }
    tally(metric, cell, t);
  }
  const result: SliceObservation[] = [];
  for (const [dim, values] of byDim) {
    for (const [value, t] of values) result.push({ dim, value, obs: toObservation(metric, t) });
  }
  return result;
}

/** The metric's value: num for count and sum; num / den for avg and ratio (null when den = 0). */
export function metricValue(metric: MetricDefinition, obs: MetricObservation): number | null {
  if (metric.kind === 'count' || metric.kind === 'sum') return obs.num;
  return obs.den === 0 ? null : obs.num / obs.den;
}
