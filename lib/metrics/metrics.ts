/**
 * Metrics defined over rollup cells: count of an event type, sum or average of a measure,
 * ratio of two counts. Observations keep numerator and denominator apart so that slices add up.
 *
 * Also the pure side of metric definitions managed in the browser: validation, evaluation of
 * filtered metrics from the leaf cube, and metric windows that span several base windows.
 */
import { z } from 'zod';
import { EVENT_LIMITS } from '@/lib/ingest/events';
import {
  TOTAL,
  type LeafDelta,
  type MetricDefinition,
  type MetricKind,
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
function assertComplete(metric: MetricDefinition): void {
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

// ---------------------------------------------------------------------------------------------
// Event types, filters and the leaf cube
// ---------------------------------------------------------------------------------------------

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

/** True when the metric has at least one dimension filter. */
export function hasFilters(metric: Pick<MetricDefinition, 'filters'>): boolean {
  return Object.keys(metric.filters).length > 0;
}

/**
 * True when the metric must be evaluated from the leaf cube ({@link cellsFromLeaves}): it has
 * filters. Extra event types alone do not need leaves: {@link observe} adds the marginal rows
 * of every numerator type, which is the same number.
 */
export function needsLeaves(metric: Pick<MetricDefinition, 'filters'>): boolean {
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

const cellKey = (windowStart: number, type: string, dim: string, value: string, measure: string) =>
  `${windowStart}\u0000${type}\u0000${measure}\u0000${dim}\u0000${value}`;

/** min ignoring NaN (leaf-made cells have no min/max). */
function minOf(a: number, b: number): number {
  if (Number.isNaN(a)) return b;
  if (Number.isNaN(b)) return a;
  return Math.min(a, b);
}

function maxOf(a: number, b: number): number {
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
      const values = parseLeaf(leaf.leaf);
      dims = matchesFilters(metric.filters, values) ? values : null;
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

// ---------------------------------------------------------------------------------------------
// Metric windows: k base windows, aligned to the epoch
// ---------------------------------------------------------------------------------------------

function assertMultiple(baseWindowMs: number, multiple: number): void {
  if (!Number.isInteger(multiple) || multiple < 1) {
    throw new RangeError(`Window multiple must be a whole number ≥ 1, got ${multiple}.`);
  }
  if (!(baseWindowMs > 0))
    throw new RangeError(`Base window must be positive, got ${baseWindowMs}.`);
}

/** Floor modulo: the result has the sign of `m` (times before 1970 align too). */
const mod = (x: number, m: number) => ((x % m) + m) % m;

/**
 * Start of the metric window [t, t + k·w) that contains time `ts`, for base windows of `w` ms
 * and a window multiple `k`; metric windows are aligned to the epoch, like base windows.
 */
export function metricWindowStart(ts: number, baseWindowMs: number, multiple: number): number {
  assertMultiple(baseWindowMs, multiple);
  const span = baseWindowMs * multiple;
  return ts - mod(ts, span);
}

/**
 * True when the base window starting at `baseWindowStart` is the last one of its metric
 * window: the metric window [t, t + k·w) is scored when this base window closes.
 * Always true for k = 1.
 */
export function isMetricWindowEnd(
  baseWindowStart: number,
  baseWindowMs: number,
  multiple: number,
): boolean {
  assertMultiple(baseWindowMs, multiple);
  return mod(baseWindowStart + baseWindowMs, baseWindowMs * multiple) === 0;
}

/** The k base window starts of the metric window starting at `start`, oldest first. */
export function baseWindowsOf(start: number, baseWindowMs: number, multiple: number): number[] {
  assertMultiple(baseWindowMs, multiple);
  return Array.from({ length: multiple }, (_, i) => start + i * baseWindowMs);
}

/**
 * Combines the cells of the base windows in [windowStart, windowStart + k·w) into cells of
 * the one metric window starting at `windowStart`: counts, sums and sums of squares add, min
 * and max combine (ignoring NaN). Cells outside that span are left out. Additive and
 * associative: merging merged windows gives the same cells as merging the base ones.
 */
export function mergeWindows(
  cells: readonly RollupDelta[],
  windowStart: number,
  windowMs: number,
  multiple: number,
): RollupDelta[] {
  assertMultiple(windowMs, multiple);
  const end = windowStart + windowMs * multiple;
  const merged = new Map<string, RollupDelta>();
  for (const cell of cells) {
    if (cell.windowStart < windowStart || cell.windowStart >= end) continue;
    const key = cellKey(windowStart, cell.eventType, cell.dim, cell.value, cell.measure);
    const into = merged.get(key);
    if (into) {
      into.count += cell.count;
      into.sum += cell.sum;
      into.sumsq += cell.sumsq;
      into.min = minOf(into.min, cell.min);
      into.max = maxOf(into.max, cell.max);
    } else {
      merged.set(key, { ...cell, windowStart });
    }
  }
  return [...merged.values()];
}

/** One point of a definition's preview: its value in one metric window. */
export interface PreviewPoint {
  windowStart: number;
  value: number | null;
  volume: number;
}

/**
 * A definition's values over [from, to): one point per metric window (k base windows of
 * `baseWindowMs`, epoch-aligned) that starts at or after `from` and ends by `to`, oldest first.
 * `cells` are the rows the metric reads — stored rollups for an unfiltered metric, the output
 * of {@link cellsFromLeaves} or {@link filteredTotals} for a filtered one (total rows suffice).
 * Windows without data are points too: a count of 0, or no value where the denominator is 0.
 * @throws InvalidMetricError when the definition lacks a field its kind needs.
 */
export function previewSeries(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
  range: { from: number; to: number; baseWindowMs: number },
): PreviewPoint[] {
  assertComplete(metric);
  const { baseWindowMs } = range;
  const k = metric.windowMultiple;
  const span = baseWindowMs * k;
  const byWindow = new Map<number, RollupDelta[]>();
  for (const cell of cells) {
    if (cell.dim !== TOTAL) continue;
    const start = metricWindowStart(cell.windowStart, baseWindowMs, k);
    const list = byWindow.get(start);
    if (list) list.push(cell);
    else byWindow.set(start, [cell]);
  }
  const points: PreviewPoint[] = [];
  const first = metricWindowStart(range.from, baseWindowMs, k);
  for (
    let start = first < range.from ? first + span : first;
    start + span <= range.to;
    start += span
  ) {
    const window = mergeWindows(byWindow.get(start) ?? [], start, baseWindowMs, k);
    const obs = observe(metric, window, TOTAL_SLICE);
    points.push({ windowStart: start, value: metricValue(metric, obs), volume: obs.volume });
  }
  return points;
}

/** The metrics a fresh installation starts with, matching the simulator's events. */
export function defaultMetrics(): Omit<MetricDefinition, 'id'>[] {
  const base = {
    measure: null,
    denominatorEventType: null,
    extraEventTypes: [],
    filters: {},
    windowMultiple: 1,
    unit: '',
    enabled: true,
  };
  return [
    { ...base, key: 'purchases', name: 'Purchases', kind: 'count', eventType: 'purchase' },
    {
      ...base,
      key: 'conversion',
      name: 'Conversion',
      kind: 'ratio',
      eventType: 'purchase',
      denominatorEventType: 'session_start',
      unit: '%',
    },
    {
      ...base,
      key: 'error_rate',
      name: 'Error rate',
      kind: 'ratio',
      eventType: 'error',
      denominatorEventType: 'api_request',
      unit: '%',
    },
    {
      ...base,
      key: 'api_latency',
      name: 'API latency',
      kind: 'avg',
      eventType: 'api_request',
      measure: 'latency_ms',
      unit: 'ms',
    },
    {
      ...base,
      key: 'revenue',
      name: 'Revenue',
      kind: 'sum',
      eventType: 'purchase',
      measure: 'revenue',
      unit: '$',
    },
  ];
}

/** Fixed locale so that server and browser render the same text; never shows "-0". */
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return new Intl.NumberFormat('en-US', { signDisplay: 'negative', ...options });
}

const integer = numberFormat({ maximumFractionDigits: 0 });
const decimal = numberFormat({ maximumFractionDigits: 2 });
const percent = numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dollars = numberFormat({
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 0,
  maximumFractionDigits: 0,
});

/**
 * Formats a value for display in `unit` (en-US): '%' → the fraction as a percent with 2 decimals; 'ms' → whole milliseconds; '$' → whole
 * dollars; '' → integer when `integer` is set, else up to 2 decimals; any other unit is appended.
 * Null or non-finite values show as '—'.
 */
export function formatValue(
  value: number | null,
  unit: string,
  options?: { integer?: boolean },
): string {
  if (value === null || !Number.isFinite(value)) return '—';
  switch (unit) {
    case '%':
      return `${percent.format(value * 100)}%`;
    case 'ms':
      return `${integer.format(value)} ms`;
    case '$':
      return dollars.format(value);
    default: {
      const text = (options?.integer ? integer : decimal).format(value);
      return unit ? `${text} ${unit}` : text;
    }
  }
}

/** Formats a metric's value for display: counts as integers, otherwise by the metric's unit. */
export function formatMetricValue(
  metric: Pick<MetricDefinition, 'kind' | 'unit'>,
  value: number | null,
): string {
  return formatValue(value, metric.unit, { integer: metric.kind === 'count' });
}

// ---------------------------------------------------------------------------------------------
// Definitions edited in the browser: validation
// ---------------------------------------------------------------------------------------------

/** A metric definition as created or edited: everything but the id and the enabled flag. */
export type DefinitionInput = Omit<MetricDefinition, 'id' | 'enabled'>;

/** Fields of a definition form; filter errors are keyed `filters.<dim>`. */
export const DEFINITION_FIELDS = [
  'key',
  'name',
  'kind',
  'eventType',
  'extraEventTypes',
  'measure',
  'denominatorEventType',
  'filters',
  'windowMultiple',
  'unit',
] as const satisfies readonly (keyof DefinitionInput)[];

export type DefinitionField = (typeof DEFINITION_FIELDS)[number];

/** First message per field: `key`, `name`, …, `filters` (the whole) or `filters.<dim>`. */
export type DefinitionErrors = Partial<Record<DefinitionField | `filters.${string}`, string>>;

export const METRIC_KINDS = [
  'count',
  'sum',
  'avg',
  'ratio',
] as const satisfies readonly MetricKind[];

/** Limits of a definition. */
export const DEFINITION_LIMITS = {
  keyPattern: /^[a-z][a-z0-9_-]{0,47}$/,
  /** Keys that would collide with the pages and routes beside /metrics/[key]. */
  reservedKeys: ['new', 'preview', 'edit'],
  maxName: 80,
  maxExtraEventTypes: 10,
  maxFilterDims: 8,
  maxFilterValues: 50,
  maxWindowMultiple: 60,
  maxUnit: 16,
} as const;

const typeMessage =
  'Event types are lowercase letters, digits, _ . or - and start with a letter (at most 64).';
const nameMessage =
  'Use lowercase letters, digits and _, starting with a letter (at most 32 characters).';

const eventTypeSchema = (missing: string) =>
  z
    .string({ error: missing })
    .trim()
    .min(1, { error: missing })
    .regex(EVENT_LIMITS.typePattern, { error: typeMessage });

const FIELD_SCHEMAS = {
  key: z
    .string({ error: 'Give the metric a key.' })
    .trim()
    .min(1, { error: 'Give the metric a key.' })
    .regex(DEFINITION_LIMITS.keyPattern, {
      error:
        'Use lowercase letters, digits, _ or -, starting with a letter (at most 48 characters).',
    })
    .refine((key) => !(DEFINITION_LIMITS.reservedKeys as readonly string[]).includes(key), {
      error: (issue) => `"${String(issue.input)}" is reserved; choose another key.`,
    }),
  name: z
    .string({ error: 'Give the metric a name.' })
    .trim()
    .min(1, { error: 'Give the metric a name.' })
    .max(DEFINITION_LIMITS.maxName, {
      error: `Names are at most ${DEFINITION_LIMITS.maxName} characters.`,
    }),
  kind: z.enum(METRIC_KINDS, { error: 'Choose count, sum, average or ratio.' }),
  eventType: eventTypeSchema('Choose the event type to measure.'),
  measure: z
    .string({ error: 'Sum and average metrics need a measure.' })
    .trim()
    .min(1, { error: 'Sum and average metrics need a measure.' })
    .regex(EVENT_LIMITS.keyPattern, { error: `Measure names: ${nameMessage}` }),
  denominatorEventType: eventTypeSchema('Ratio metrics need a denominator event type.'),
  windowMultiple: z
    .int({ error: 'The window multiple is a whole number from 1 to 60.' })
    .min(1, { error: 'The window multiple is a whole number from 1 to 60.' })
    .max(DEFINITION_LIMITS.maxWindowMultiple, {
      error: 'The window multiple is a whole number from 1 to 60.',
    }),
  unit: z
    .string({ error: 'The unit is text, e.g. %, ms or $.' })
    .trim()
    .max(DEFINITION_LIMITS.maxUnit, {
      error: `Units are at most ${DEFINITION_LIMITS.maxUnit} characters.`,
    }),
};

const filterValueSchema = z.string().trim().min(1).max(EVENT_LIMITS.maxDimValueLength);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Missing, null and blank strings are "not given". */
function given(value: unknown): boolean {
  return value !== undefined && value !== null && !(typeof value === 'string' && !value.trim());
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

function check<T>(schema: z.ZodType<T>, value: unknown): Checked<T> {
  const parsed = schema.safeParse(value);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: parsed.error.issues[0]?.message ?? 'Invalid value.' };
}

function checkExtraTypes(value: unknown, eventType: string | null): Checked<string[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  if (!Array.isArray(value)) return { ok: false, error: 'List the further event types.' };
  const types: string[] = [];
  for (const item of value) {
    const type = check(FIELD_SCHEMAS.eventType, item);
    if (!type.ok) return { ok: false, error: typeMessage };
    if (type.value === eventType) continue;
    if (types.includes(type.value)) {
      return { ok: false, error: `"${type.value}" is listed twice.` };
    }
    types.push(type.value);
  }
  if (types.length > DEFINITION_LIMITS.maxExtraEventTypes) {
    return {
      ok: false,
      error: `At most ${DEFINITION_LIMITS.maxExtraEventTypes} further event types.`,
    };
  }
  return { ok: true, value: types };
}

/** Filters: dimension names as in events, at least one allowed value each, no duplicates. */
function checkFilters(
  value: unknown,
  errors: DefinitionErrors,
): Record<string, string[]> | undefined {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) {
    errors.filters = 'Filters map a dimension to its allowed values.';
    return undefined;
  }
  const entries = Object.entries(value);
  if (entries.length > DEFINITION_LIMITS.maxFilterDims) {
    errors.filters = `Filter on at most ${DEFINITION_LIMITS.maxFilterDims} dimensions.`;
    return undefined;
  }
  const filters: Record<string, string[]> = {};
  let ok = true;
  for (const [dim, values] of entries) {
    const field = `filters.${dim}` as const;
    if (!EVENT_LIMITS.keyPattern.test(dim)) {
      errors[field] = `Dimension names: ${nameMessage}`;
      ok = false;
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) {
      errors[field] = `Pick at least one value of ${dim}.`;
      ok = false;
      continue;
    }
    const allowed: string[] = [];
    for (const item of values) {
      const parsed = filterValueSchema.safeParse(item);
      if (!parsed.success) {
        errors[field] =
          `Values of ${dim} are text of 1 to ${EVENT_LIMITS.maxDimValueLength} characters.`;
        ok = false;
        break;
      }
      if (!allowed.includes(parsed.data)) allowed.push(parsed.data);
    }
    if (allowed.length > DEFINITION_LIMITS.maxFilterValues) {
      errors[field] = `At most ${DEFINITION_LIMITS.maxFilterValues} values of ${dim}.`;
      ok = false;
    }
    filters[dim] = allowed; // dim matches keyPattern: never __proto__
  }
  return ok ? filters : undefined;
}

/**
 * Validates a metric definition from user input and normalises it: strings trimmed, fields
 * the kind does not read cleared (measure, denominator), extra types only for counts, filter
 * values de-duplicated. Returns the first message per field, written to be shown beside it;
 * a non-object input is an empty form.
 * - key: a slug (lowercase letters, digits, _ -; not a reserved word); name: 1–80 characters;
 * - kind: count | sum | avg | ratio; event type required; count may add further types;
 * - sum/avg need a measure; ratio needs a denominator event type;
 * - filters: { dim: [values] }, at least one value per dimension; window multiple 1–60.
 */
export function validateDefinition(
  input: unknown,
): { ok: true; definition: DefinitionInput } | { ok: false; errors: DefinitionErrors } {
  const raw = isRecord(input) ? input : {};
  const errors: DefinitionErrors = {};
  const take = <T>(field: DefinitionField, result: Checked<T>): T | undefined => {
    if (result.ok) return result.value;
    errors[field] ??= result.error;
    return undefined;
  };

  const key = take('key', check(FIELD_SCHEMAS.key, raw.key));
  const name = take('name', check(FIELD_SCHEMAS.name, raw.name));
  const kind = take('kind', check(FIELD_SCHEMAS.kind, raw.kind));
  const eventType = take('eventType', check(FIELD_SCHEMAS.eventType, raw.eventType));
  const extraEventTypes = take(
    'extraEventTypes',
    checkExtraTypes(raw.extraEventTypes, eventType ?? null),
  );
  if (kind && kind !== 'count' && extraEventTypes && extraEventTypes.length > 0) {
    errors.extraEventTypes = 'Only count metrics can count several event types.';
  }
  const needsMeasure = kind === 'sum' || kind === 'avg';
  const measure = needsMeasure ? take('measure', check(FIELD_SCHEMAS.measure, raw.measure)) : null;
  const denominatorEventType =
    kind === 'ratio'
      ? take(
          'denominatorEventType',
          check(FIELD_SCHEMAS.denominatorEventType, raw.denominatorEventType),
        )
      : null;
  const filters = checkFilters(raw.filters, errors);
  const windowMultiple = take(
    'windowMultiple',
    check(FIELD_SCHEMAS.windowMultiple, given(raw.windowMultiple) ? raw.windowMultiple : 1),
  );
  const unit = take('unit', check(FIELD_SCHEMAS.unit, given(raw.unit) ? raw.unit : ''));

  if (
    Object.keys(errors).length > 0 ||
    key === undefined ||
    name === undefined ||
    kind === undefined ||
    eventType === undefined ||
    extraEventTypes === undefined ||
    measure === undefined ||
    denominatorEventType === undefined ||
    filters === undefined ||
    windowMultiple === undefined ||
    unit === undefined
  ) {
    return { ok: false, errors };
  }
  return {
    ok: true,
    definition: {
      key,
      name,
      kind,
      eventType,
      extraEventTypes: kind === 'count' ? extraEventTypes : [],
      measure,
      denominatorEventType,
      filters,
      windowMultiple,
      unit,
    },
  };
}

/**
 * zod schema of a definition from user input: parses to the normalised {@link DefinitionInput}
 * of {@link validateDefinition}, with one issue per field (path `key`, `filters.<dim>`, …).
 */
export const metricDefinitionSchema = z.unknown().transform((input, ctx): DefinitionInput => {
  const checked = validateDefinition(input);
  if (checked.ok) return checked.definition;
  for (const [path, message] of Object.entries(checked.errors)) {
    ctx.addIssue({ code: 'custom', path: path.split('.'), message });
  }
  return z.NEVER;
});

const sortedFilters = (filters: Record<string, string[]>) =>
  Object.entries(filters)
    .map(([dim, values]) => [dim, [...values].sort()] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/**
 * True when `b` computes different values than `a`: kind, event types, measure, denominator,
 * filters or window multiple differ (name and unit do not change a value). Stored points of
 * a metric were computed with the definition of their time; after such a change they are
 * stale until re-scored.
 */
export function changesValues(
  a: Omit<DefinitionInput, 'key' | 'name' | 'unit'>,
  b: Omit<DefinitionInput, 'key' | 'name' | 'unit'>,
): boolean {
  const extra = (d: typeof a) => (d.kind === 'count' ? [...d.extraEventTypes].sort() : []);
  return (
    a.kind !== b.kind ||
    a.eventType !== b.eventType ||
    (a.measure ?? null) !== (b.measure ?? null) ||
    (a.denominatorEventType ?? null) !== (b.denominatorEventType ?? null) ||
    a.windowMultiple !== b.windowMultiple ||
    JSON.stringify(extra(a)) !== JSON.stringify(extra(b)) ||
    JSON.stringify(sortedFilters(a.filters)) !== JSON.stringify(sortedFilters(b.filters))
  );
}

/** Filters in words: "region is eu-west or us-east, and device is ios"; '' without filters. */
export function describeFilters(filters: Readonly<Record<string, readonly string[]>>): string {
  return Object.entries(filters)
    .map(([dim, values]) => {
      const list =
        values.length <= 1
          ? (values[0] ?? '')
          : `${values.slice(0, -1).join(', ')} or ${values.at(-1) ?? ''}`;
      return `${dim} is ${list}`;
    })
    .join(', and ');
}

/**
 * A definition in one line of words, e.g. "Count of purchase events where region is eu-west,
 * per 5 base windows". Plain text: render it as text.
 */
export function summarizeDefinition(
  def: Pick<
    MetricDefinition,
    | 'kind'
    | 'eventType'
    | 'extraEventTypes'
    | 'measure'
    | 'denominatorEventType'
    | 'filters'
    | 'windowMultiple'
  >,
): string {
  let text: string;
  switch (def.kind) {
    case 'count': {
      const types = [def.eventType, ...def.extraEventTypes];
      const list =
        types.length === 1 ? types[0] : `${types.slice(0, -1).join(', ')} and ${types.at(-1)}`;
      text = `Count of ${list} events`;
      break;
    }
    case 'sum':
      text = `Sum of ${def.measure ?? '?'} over ${def.eventType} events`;
      break;
    case 'avg':
      text = `Average ${def.measure ?? '?'} of ${def.eventType} events`;
      break;
    case 'ratio':
      text = `${def.eventType} events ÷ ${def.denominatorEventType ?? '?'} events`;
      break;
  }
  const filters = describeFilters(def.filters);
  if (filters) text += ` where ${filters}`;
  if (def.windowMultiple > 1) text += `, per ${def.windowMultiple} base windows`;
  return text;
}
