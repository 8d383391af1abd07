/**
 * The hot path: folding validated events into additive rollup cells per
 * (window, event type, dimension, value, measure). Names are interned to small integers once;
 * per event the fold only does numeric lookups and typed-array arithmetic.
 */
import { TOTAL, type PulseEvent, type RollupDelta } from '@/lib/types';
import { windowStart } from '@/lib/windows';

/** Value that dimension values beyond the cardinality limit fold into. */
export const OTHER_VALUE = '(other)';

/** Measure name of the event count row. */
export const COUNT_MEASURE = '';

const DEFAULT_MAX_VALUES_PER_DIM = 200;
const DEFAULT_CELL_CAPACITY = 1024;
/** Slice id of the total over all events (dim = value = TOTAL). */
const TOTAL_SLICE = 0;
/** Measure id of the count row: COUNT_MEASURE is interned first. */
const COUNT_MEASURE_ID = 0;

/** Maps strings to dense small integers (0, 1, 2, …) and back. */
export class Interner {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];

  /** The id of `name`, assigning the next free one on first sight. */
  id(name: string): number {
    const known = this.#ids.get(name);
    if (known !== undefined) return known;
    const id = this.#names.length;
    this.#ids.set(name, id);
    this.#names.push(name);
    return id;
  }

  /** The id of `name` if already interned, without assigning one. */
  lookup(name: string): number | undefined {
    return this.#ids.get(name);
  }

  /** The name behind `id`; throws RangeError for an id never assigned. */
  name(id: number): string {
    const name = this.#names[id];
    if (name === undefined) throw new RangeError(`Interner: unknown id ${id}`);
    return name;
  }

  /** Number of interned names. */
  get size(): number {
    return this.#names.length;
  }
}

/** Value → slice id for one dimension, with its cardinality guard. */
interface DimensionSlices {
  slices: Map<string, number>;
  /** Slice id of (dim, OTHER_VALUE) once the dimension overflowed, else −1. */
  other: number;
}

/** The cells of one (window, event type) since the last drain. */
interface Group {
  /** Position in the accumulator's group list, stored per cell. */
  index: number;
  windowStart: number;
  typeId: number;
  /** cells[measureId][sliceId] = cell index. */
  cells: (number | undefined)[][];
}

export interface RollupAccumulatorOptions {
  windowMs: number;
  /** Distinct values kept per dimension; later ones fold into OTHER_VALUE. Default 200. */
  maxValuesPerDim?: number;
  /** Cells to allocate up front (arrays double when full). Default 1024. */
  initialCapacity?: number;
}

/**
 * Accumulates rollup deltas in memory between flushes. Each distinct
 * (window, type, dim, value, measure) is one cell held in typed arrays. The cardinality limit
 * applies per dimension over the accumulator's lifetime (interned values are never forgotten),
 * so a value keeps its slice across drains.
 */
export class RollupAccumulator {
  readonly #windowMs: number;
  readonly #maxValuesPerDim: number;

  readonly #types = new Interner();
  readonly #measures = new Interner();
  readonly #dims = new Map<string, DimensionSlices>();
  readonly #sliceDims: string[] = [TOTAL];
  readonly #sliceValues: string[] = [TOTAL];

  /** Groups by window start, then by type id. */
  #groups = new Map<number, (Group | undefined)[]>();
  #groupList: Group[] = [];
  /** Last group used per type id: consecutive events mostly share a window. */
  #recentGroup: (Group | undefined)[] = [];
  /** Slice ids of the event being folded; [0] is always TOTAL_SLICE. */
  readonly #scratch: number[] = [TOTAL_SLICE];

  #size = 0;
  #events = 0;
  #cellGroup: Int32Array;
  #cellMeasure: Int32Array;
  #cellSlice: Int32Array;
  #count: Float64Array;
  #sum: Float64Array;
  #sumsq: Float64Array;
  #min: Float64Array;
  #max: Float64Array;

  constructor(options: RollupAccumulatorOptions) {
    if (!(options.windowMs > 0)) throw new RangeError('windowMs must be positive');
    this.#windowMs = options.windowMs;
    this.#maxValuesPerDim = options.maxValuesPerDim ?? DEFAULT_MAX_VALUES_PER_DIM;
    this.#measures.id(COUNT_MEASURE);
    const capacity = Math.max(1, options.initialCapacity ?? DEFAULT_CELL_CAPACITY);
    this.#cellGroup = new Int32Array(capacity);
    this.#cellMeasure = new Int32Array(capacity);
    this.#cellSlice = new Int32Array(capacity);
    this.#count = new Float64Array(capacity);
    this.#sum = new Float64Array(capacity);
    this.#sumsq = new Float64Array(capacity);
    this.#min = new Float64Array(capacity);
    this.#max = new Float64Array(capacity);
  }

  /** Folds one validated event into the count row and measure rows of every slice it is in. */
  add(event: PulseEvent): void {
    const group = this.#group(event.type, windowStart(event.ts, this.#windowMs));
    const slices = this.#collectSlices(event.dims);

    const countRow = this.#row(group, COUNT_MEASURE_ID);
    for (let i = 0; i < slices; i++) {
      // Resolve the cell first: creating it may grow (replace) the typed arrays.
      const cell = this.#cell(group, countRow, COUNT_MEASURE_ID, this.#scratch[i]!);
      this.#count[cell]! += 1;
    }

    const measures = event.measures;
    for (const name in measures) {
      const value = measures[name];
      if (value !== undefined) this.#foldMeasure(group, this.#measures.id(name), value, slices);
    }
    this.#events++;
  }

  /** Returns every cell accumulated since the last drain and starts over (delta semantics). */
  drain(): RollupDelta[] {
    const deltas: RollupDelta[] = [];
    for (let i = 0; i < this.#size; i++) {
      const group = this.#groupList[this.#cellGroup[i]!]!;
      const slice = this.#cellSlice[i]!;
      deltas.push({
        windowStart: group.windowStart,
        eventType: this.#types.name(group.typeId),
        dim: this.#sliceDims[slice]!,
        value: this.#sliceValues[slice]!,
        measure: this.#measures.name(this.#cellMeasure[i]!),
        count: this.#count[i]!,
        sum: this.#sum[i]!,
        sumsq: this.#sumsq[i]!,
        min: this.#min[i]!,
        max: this.#max[i]!,
      });
    }
    this.#groups = new Map();
    this.#groupList = [];
    this.#recentGroup = [];
    this.#size = 0;
    this.#events = 0;
    return deltas;
  }

  /** Number of cells held (rows the next drain returns). */
  size(): number {
    return this.#size;
  }

  /** Number of events added since the last drain. */
  eventsSinceDrain(): number {
    return this.#events;
  }

  /** Dimensions that exceeded the cardinality limit at some point, sorted. */
  overflowedDims(): string[] {
    const names: string[] = [];
    for (const [name, dim] of this.#dims) if (dim.other >= 0) names.push(name);
    return names.sort();
  }

  #foldMeasure(group: Group, measureId: number, value: number, slices: number): void {
    const row = this.#row(group, measureId);
    const squared = value * value;
    for (let i = 0; i < slices; i++) {
      const cell = this.#cell(group, row, measureId, this.#scratch[i]!); // may grow the arrays
      this.#count[cell]! += 1;
      this.#sum[cell]! += value;
      this.#sumsq[cell]! += squared;
      if (value < this.#min[cell]!) this.#min[cell] = value;
      if (value > this.#max[cell]!) this.#max[cell] = value;
    }
  }

  /** Fills the scratch list with the event's slice ids after TOTAL; returns how many in all. */
  #collectSlices(dims: Record<string, string>): number {
    let n = 1;
    for (const dim in dims) {
      const value = dims[dim];
      if (value !== undefined) this.#scratch[n++] = this.#slice(dim, value);
    }
    return n;
  }

  #slice(dim: string, value: string): number {
    let state = this.#dims.get(dim);
    if (state === undefined) {
      state = { slices: new Map(), other: -1 };
      this.#dims.set(dim, state);
    }
    const known = state.slices.get(value);
    if (known !== undefined) return known;
    if (state.slices.size < this.#maxValuesPerDim) {
      const id = this.#newSlice(dim, value);
      state.slices.set(value, id);
      return id;
    }
    // A literal OTHER_VALUE admitted before the overflow is the same slice.
    if (state.other < 0)
      state.other = state.slices.get(OTHER_VALUE) ?? this.#newSlice(dim, OTHER_VALUE);
    return state.other;
  }

  #newSlice(dim: string, value: string): number {
    this.#sliceDims.push(dim);
    this.#sliceValues.push(value);
    return this.#sliceDims.length - 1;
  }

  #group(type: string, start: number): Group {
    const typeId = this.#types.id(type);
    const recent = this.#recentGroup[typeId];
    if (recent !== undefined && recent.windowStart === start) return recent;
    let byType = this.#groups.get(start);
    if (byType === undefined) {
      byType = [];
      this.#groups.set(start, byType);
    }
    let group = byType[typeId];
    if (group === undefined) {
      group = { index: this.#groupList.length, windowStart: start, typeId, cells: [] };
      byType[typeId] = group;
      this.#groupList.push(group);
    }
    this.#recentGroup[typeId] = group;
    return group;
  }

  #row(group: Group, measureId: number): (number | undefined)[] {
    let row = group.cells[measureId];
    if (row === undefined) {
      row = [];
      group.cells[measureId] = row;
    }
    return row;
  }

  /** Index of the cell (group, measure, slice), created empty on first use. */
  #cell(group: Group, row: (number | undefined)[], measureId: number, slice: number): number {
    const known = row[slice];
    if (known !== undefined) return known;
    if (this.#size === this.#count.length) this.#grow();
    const cell = this.#size++;
    this.#cellGroup[cell] = group.index;
    this.#cellMeasure[cell] = measureId;
    this.#cellSlice[cell] = slice;
    this.#count[cell] = 0;
    this.#sum[cell] = 0;
    this.#sumsq[cell] = 0;
    // Count rows carry only a count; measure rows start empty for min/max.
    this.#min[cell] = measureId === COUNT_MEASURE_ID ? 0 : Infinity;
    this.#max[cell] = measureId === COUNT_MEASURE_ID ? 0 : -Infinity;
    row[slice] = cell;
    return cell;
  }

  #grow(): void {
    const capacity = this.#count.length * 2;
    this.#cellGroup = resized(this.#cellGroup, new Int32Array(capacity));
    this.#cellMeasure = resized(this.#cellMeasure, new Int32Array(capacity));
    this.#cellSlice = resized(this.#cellSlice, new Int32Array(capacity));
    this.#count = resized(this.#count, new Float64Array(capacity));
    this.#sum = resized(this.#sum, new Float64Array(capacity));
    this.#sumsq = resized(this.#sumsq, new Float64Array(capacity));
    this.#min = resized(this.#min, new Float64Array(capacity));
    this.#max = resized(this.#max, new Float64Array(capacity));
  }
}

function resized<T extends Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** Key of a rollup cell. Only the value is free text, so it goes last and keys are unambiguous. */
function cellKey(start: number, type: string, dim: string, measure: string, value: string): string {
  return `${start}\u0000${type}\u0000${dim}\u0000${measure}\u0000${value}`;
}

function deltaKey(d: RollupDelta): string {
  return cellKey(d.windowStart, d.eventType, d.dim, d.measure, d.value);
}

/** Merges `from` into `into` the way the database upsert does. */
function mergeInto(into: RollupDelta, from: RollupDelta): void {
  into.count += from.count;
  into.sum += from.sum;
  into.sumsq += from.sumsq;
  into.min = Math.min(into.min, from.min);
  into.max = Math.max(into.max, from.max);
}

/**
 * Additive merge of two delta lists keyed by (window, type, dim, value, measure): counts, sums
 * and sums of squares add; min of mins, max of maxes. Inputs are not modified.
 */
export function mergeDeltas(a: readonly RollupDelta[], b: readonly RollupDelta[]): RollupDelta[] {
  const merged = new Map<string, RollupDelta>();
  for (const delta of [...a, ...b]) {
    const key = deltaKey(delta);
    const existing = merged.get(key);
    if (existing) mergeInto(existing, delta);
    else merged.set(key, { ...delta });
  }
  return [...merged.values()];
}

/**
 * Straightforward fold with string keys and no cardinality limit: the benchmark baseline and
 * the test oracle for {@link RollupAccumulator}.
 */
export function naiveFold(events: readonly PulseEvent[], windowMs: number): RollupDelta[] {
  const cells = new Map<string, RollupDelta>();
  const fold = (
    start: number,
    type: string,
    dim: string,
    value: string,
    measure: string,
    x: number,
  ) => {
    const key = cellKey(start, type, dim, measure, value);
    const isCount = measure === COUNT_MEASURE;
    const delta: RollupDelta = {
      windowStart: start,
      eventType: type,
      dim,
      value,
      measure,
      count: 1,
      sum: isCount ? 0 : x,
      sumsq: isCount ? 0 : x * x,
      min: isCount ? 0 : x,
      max: isCount ? 0 : x,
    };
    const existing = cells.get(key);
    if (existing) mergeInto(existing, delta);
    else cells.set(key, delta);
  };
  for (const event of events) {
    const start = windowStart(event.ts, windowMs);
    const slices: [string, string][] = [[TOTAL, TOTAL], ...Object.entries(event.dims)];
    for (const [dim, value] of slices) {
      fold(start, event.type, dim, value, COUNT_MEASURE, 0);
      for (const [measure, x] of Object.entries(event.measures)) {
        fold(start, event.type, dim, value, measure, x);
      }
    }
  }
  return [...cells.values()];
}
