/**
 * The hot path: folding validated events into additive rollup cells per
 * (window, event type, dimension, value, measure), and into the leaf cube per
 * (window, event type, leaf, measure) where a leaf is the full combination of an event's
 * dimension values. Names are interned to small integers once, and so are leaves (a trie over
 * slice ids); per event the fold only does numeric lookups and typed-array arithmetic.
 */
import { TOTAL, type LeafDelta, type PulseEvent, type RollupDelta } from '@/lib/types';
import { windowStart } from './windows';
import { capLeaves, DEFAULT_MAX_LEAF_ROWS } from './leaf-cap';
import { COUNT_MEASURE, OTHER_VALUE } from './names';

export { COUNT_MEASURE, OTHER_VALUE };

const DEFAULT_MAX_VALUES_PER_DIM = 200;
const DEFAULT_CELL_CAPACITY = 1024;
const DEFAULT_MAX_LEAVES = 100_000;

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
  /**
   * The group's leaf cube: one slot per leaf holding its count row and the (count, sum, sumsq)
   * of each measure the group has seen, side by side, so that an event's leaf cells share a
   * cache line or two (the cube is much larger than the marginal cells).
   */
  leaf: GroupLeaves;
}

interface GroupLeaves {
  /** Slot per leaf id. */
  slots: (number | undefined)[];
  /** Leaf id per slot. */
  slotLeaf: number[];
  /**
   * Offset within a slot per measure id: 0 for the count row (one number: the count), then
   * 1, 4, 7, … for measures (count, sum, sumsq) in order of first sight in the group.
   */
  measureAt: (number | undefined)[];
  /** Measure ids in slot order, the count row first. */
  measures: number[];
  /** Numbers per slot: 1 + 3 × the measures it has room for. */
  stride: number;
  data: Float64Array;
}

/** Measures a leaf slot has room for at first; most event types carry one or two. */
const LEAF_MEASURES = 2;
const LEAF_SLOTS = 64;

function newGroupLeaves(leafCube: boolean): GroupLeaves {
  const stride = 1 + 3 * LEAF_MEASURES;
  return {
    slots: [],
    slotLeaf: [],
    measureAt: [0], // COUNT_MEASURE_ID
    measures: [COUNT_MEASURE_ID],
    stride,
    data: new Float64Array(leafCube ? LEAF_SLOTS * stride : 0),
  };
}

/** Offset of the measure in slot position `position` (0 = the count row). */
const leafOffset = (position: number) => (position === 0 ? 0 : 1 + 3 * (position - 1));

/** Start and multiplier of the incremental hash over an event's slice ids. */
const PATH_HASH_SEED = 0x811c9dc5 | 0;
const PATH_HASH_MULTIPLIER = 0x9e3779b1 | 0;

/**
 * Leaf ids by path: the sequence of slice ids an event's dimensions intern to, in the event's
 * key order. The caller hashes the path while it interns the dimensions (`hash = imul(hash ^
 * slice, PATH_HASH_MULTIPLIER)` from PATH_HASH_SEED); a lookup is then one probe of an
 * open-addressing table in typed arrays, verified against the stored path, so a hash collision
 * never merges two leaves. Events listing the same dimension values in another key order are
 * another path to the same leaf id.
 */
class LeafPaths {
  /** Path index + 1 per slot; 0 = empty. Always at most half full. */
  #table = new Int32Array(1024);
  #pathHash = new Int32Array(256);
  #pathStart = new Int32Array(256);
  #pathLength = new Int32Array(256);
  #pathLeaf = new Int32Array(256);
  #pool = new Int32Array(1024);
  #poolSize = 0;
  #paths = 0;

  /** The leaf id of the path slices[from..to) with this hash, or −1 if unknown. */
  find(hash: number, slices: readonly number[], from: number, to: number): number {
    const table = this.#table;
    const mask = table.length - 1;
    for (let i = slot(hash, mask); ; i = (i + 1) & mask) {
      const entry = table[i]!;
      if (entry === 0) return -1;
      const path = entry - 1;
      if (this.#pathHash[path] === hash && this.#same(path, slices, from, to))
        return this.#pathLeaf[path]!;
    }
  }

  /** Records the path slices[from..to) (not yet known) as leading to `leaf`. */
  insert(hash: number, slices: readonly number[], from: number, to: number, leaf: number): void {
    const length = to - from;
    if (this.#paths === this.#pathHash.length) {
      const capacity = this.#paths * 2;
      this.#pathHash = resized(this.#pathHash, new Int32Array(capacity));
      this.#pathStart = resized(this.#pathStart, new Int32Array(capacity));
      this.#pathLength = resized(this.#pathLength, new Int32Array(capacity));
      this.#pathLeaf = resized(this.#pathLeaf, new Int32Array(capacity));
    }
    while (this.#poolSize + length > this.#pool.length)
      this.#pool = resized(this.#pool, new Int32Array(this.#pool.length * 2));
    const path = this.#paths++;
    this.#pathHash[path] = hash;
    this.#pathStart[path] = this.#poolSize;
    this.#pathLength[path] = length;
    this.#pathLeaf[path] = leaf;
    for (let i = from; i < to; i++) this.#pool[this.#poolSize++] = slices[i]!;
    if (this.#paths * 2 > this.#table.length) this.#rehash(this.#table.length * 2);
    else this.#place(path);
  }

  #same(path: number, slices: readonly number[], from: number, to: number): boolean {
    if (this.#pathLength[path] !== to - from) return false;
    const pool = this.#pool;
    let at = this.#pathStart[path]!;
    for (let i = from; i < to; i++) if (pool[at++] !== slices[i]) return false;
    return true;
  }

  #place(path: number): void {
    const table = this.#table;
    const mask = table.length - 1;
    let i = slot(this.#pathHash[path]!, mask);
    while (table[i] !== 0) i = (i + 1) & mask;
    table[i] = path + 1;
  }

  #rehash(size: number): void {
    this.#table = new Int32Array(size);
    for (let path = 0; path < this.#paths; path++) this.#place(path);
  }
}

/** Table slot of a path hash: its high bits folded in, as the multiplier mixes upwards. */
function slot(hash: number, mask: number): number {
  return (hash ^ (hash >>> 16)) & mask;
}

/** What a drain returns: marginal rollup cells and leaf cube cells since the last drain. */
export interface RollupDrain {
  deltas: RollupDelta[];
  leaves: LeafDelta[];
  /** Events whose leaves the per-drain cap folded into '(other)' (./leaf-cap.ts); 0 under it. */
  leafEventsFolded: number;
}

export interface RollupAccumulatorOptions {
  windowMs: number;
  /** Distinct values kept per dimension; later ones fold into OTHER_VALUE. Default 200. */
  maxValuesPerDim?: number;
  /** Cells to allocate up front (arrays double when full). Default 1024. */
  initialCapacity?: number;
  /** Also fold the leaf cube (joint distribution of the dimensions). Default true. */
  leafCube?: boolean;
  /**
   * Leaves kept interned across drains; a drain beyond it forgets them all (they are interned
   * again on their next event). Bounds the memory of a long-lived worker. Default 100,000.
   */
  maxLeaves?: number;
  /** Leaf rows one drain returns at most (./leaf-cap.ts). Default {@link DEFAULT_MAX_LEAF_ROWS}. */
  maxLeafRows?: number;
}

/**
 * Accumulates rollup deltas in memory between flushes. Each distinct
 * (window, type, dim, value, measure) is one cell held in typed arrays, and so is each
 * distinct (window, type, leaf, measure) of the leaf cube. The cardinality limit applies per
 * dimension over the accumulator's lifetime (interned values are never forgotten), so a value
 * keeps its slice across drains; leaves are built from the same guarded slices, so a value
 * beyond the limit is '(other)' in its leaf too.
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

  readonly #leafCube: boolean;
  readonly #maxLeaves: number;
  readonly #maxLeafRows: number;
  #leafPaths = new LeafPaths();
  /** Canonical JSON of each leaf id, and the reverse. */
  #leafNames: string[] = [];
  #leafIds = new Map<string, number>();
  /** Leaf id of the event being folded (−1 without the leaf cube). */
  #leaf = -1;

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

  /** Leaf cells held: (slot, position) pairs with a non-zero count. */
  #leafSize = 0;
  /** Slot of the event being folded in its group's leaf cube. */
  #leafSlot = 0;

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
    this.#leafCube = options.leafCube ?? true;
    this.#maxLeaves = options.maxLeaves ?? DEFAULT_MAX_LEAVES;
    this.#maxLeafRows = options.maxLeafRows ?? DEFAULT_MAX_LEAF_ROWS;
  }

  /**
   * Folds one validated event into the count row and measure rows of every slice it is in,
   * and of its leaf.
   */
  add(event: PulseEvent): void {
    const group = this.#group(event.type, windowStart(event.ts, this.#windowMs));
    const slices = this.#collectSlices(event.dims);

    const countRow = this.#row(group, COUNT_MEASURE_ID);
    for (let i = 0; i < slices; i++) {
      // Resolve the cell first: creating it may grow (replace) the typed arrays.
      const cell = this.#cell(group, countRow, COUNT_MEASURE_ID, this.#scratch[i]!);
      this.#count[cell]! += 1;
    }
    const leaf = this.#leaf;
    if (leaf >= 0) {
      const leaves = group.leaf;
      const slot = leaves.slots[leaf] ?? this.#newLeafSlot(leaves, leaf);
      this.#leafSlot = slot;
      const at = slot * leaves.stride; // the count row is at offset 0
      if (leaves.data[at] === 0) this.#leafSize++;
      leaves.data[at]! += 1;
    }

    const measures = event.measures;
    for (const name in measures) {
      const value = measures[name];
      if (value !== undefined) this.#foldMeasure(group, this.#measures.id(name), value, slices);
    }
    this.#events++;
  }

  /** Returns every cell accumulated since the last drain and starts over (delta semantics). */
  drain(): RollupDrain {
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
    let leaves: LeafDelta[] = [];
    for (const group of this.#groupList) {
      const { slotLeaf, measures, stride, data } = group.leaf;
      const eventType = this.#types.name(group.typeId);
      for (let slot = 0; slot < slotLeaf.length; slot++) {
        const leaf = this.#leafNames[slotLeaf[slot]!]!;
        for (let position = 0; position < measures.length; position++) {
          const at = slot * stride + leafOffset(position);
          if (data[at] === 0) continue; // no event of this leaf carried the measure
          leaves.push({
            windowStart: group.windowStart,
            eventType,
            leaf,
            measure: this.#measures.name(measures[position]!),
            count: data[at]!,
            sum: position === 0 ? 0 : data[at + 1]!,
            sumsq: position === 0 ? 0 : data[at + 2]!,
          });
        }
      }
    }
    let leafEventsFolded = 0;
    if (leaves.length > this.#maxLeafRows) {
      const capped = capLeaves(leaves, this.#maxLeafRows);
      leaves = capped.leaves;
      leafEventsFolded = capped.foldedEvents;
    }
    this.#groups = new Map();
    this.#groupList = [];
    this.#recentGroup = [];
    this.#size = 0;
    this.#leafSize = 0;
    this.#events = 0;
    if (this.#leafNames.length > this.#maxLeaves) {
      // No cell refers to a leaf id any more: forget them, and intern again from scratch.
      this.#leafPaths = new LeafPaths();
      this.#leafNames = [];
      this.#leafIds = new Map();
    }
    return { deltas, leaves, leafEventsFolded };
  }

  /** Number of marginal cells held (rollup rows the next drain returns). */
  size(): number {
    return this.#size;
  }

  /** Number of leaf cube cells held (leaf rows the next drain returns). */
  leafSize(): number {
    return this.#leafSize;
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
    if (this.#leaf >= 0) {
      const leaves = group.leaf;
      const offset = leaves.measureAt[measureId] ?? this.#newLeafMeasure(leaves, measureId);
      const at = this.#leafSlot * leaves.stride + offset;
      const data = leaves.data; // after the offset: a new measure may widen the slots
      if (data[at] === 0) this.#leafSize++;
      data[at]! += 1;
      data[at + 1]! += value;
      data[at + 2]! += squared;
    }
  }

  /**
   * Fills the scratch list with the event's slice ids after TOTAL; returns how many in all.
   * With the leaf cube, hashes the same slice ids on the way and sets the event's leaf id.
   */
  #collectSlices(dims: Record<string, string>): number {
    let n = 1;
    if (!this.#leafCube) {
      for (const dim in dims) {
        const value = dims[dim];
        if (value !== undefined) this.#scratch[n++] = this.#slice(dim, value);
      }
      return n;
    }
    let hash = PATH_HASH_SEED;
    for (const dim in dims) {
      const value = dims[dim];
      if (value === undefined) continue;
      const slice = this.#slice(dim, value);
      this.#scratch[n++] = slice;
      hash = Math.imul(hash ^ slice, PATH_HASH_MULTIPLIER);
    }
    const leaf = this.#leafPaths.find(hash, this.#scratch, 1, n);
    this.#leaf = leaf >= 0 ? leaf : this.#newLeaf(hash, n);
    return n;
  }

  /** First event along this path: finds or assigns the leaf id of its dimension values. */
  #newLeaf(hash: number, slices: number): number {
    const pairs: [string, string][] = [];
    for (let i = 1; i < slices; i++) {
      const slice = this.#scratch[i]!;
      pairs.push([this.#sliceDims[slice]!, this.#sliceValues[slice]!]);
    }
    const name = canonicalLeaf(pairs);
    let id = this.#leafIds.get(name);
    if (id === undefined) {
      id = this.#leafNames.length;
      this.#leafNames.push(name);
      this.#leafIds.set(name, id);
    }
    this.#leafPaths.insert(hash, this.#scratch, 1, slices, id);
    return id;
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
      group = {
        index: this.#groupList.length,
        windowStart: start,
        typeId,
        cells: [],
        leaf: newGroupLeaves(this.#leafCube),
      };
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

  /** The next slot of a group's leaf cube, for `leaf`; grows the slots when full. */
  #newLeafSlot(leaves: GroupLeaves, leaf: number): number {
    const slot = leaves.slotLeaf.length;
    const size = (slot + 1) * leaves.stride;
    if (size > leaves.data.length) {
      leaves.data = resized(leaves.data, new Float64Array(Math.max(size, leaves.data.length * 2)));
    }
    leaves.slotLeaf.push(leaf);
    leaves.slots[leaf] = slot;
    return slot;
  }

  /** The offset of a measure new to a group's leaf cube; widens every slot when full. */
  #newLeafMeasure(leaves: GroupLeaves, measureId: number): number {
    const offset = leafOffset(leaves.measures.length);
    if (offset === leaves.stride) {
      const old = leaves.stride;
      const stride = 1 + 2 * (old - 1); // twice the measures
      const data = new Float64Array((leaves.data.length / old) * stride);
      for (let slot = 0; slot < leaves.slotLeaf.length; slot++)
        data.set(leaves.data.subarray(slot * old, (slot + 1) * old), slot * stride);
      leaves.stride = stride;
      leaves.data = data;
    }
    leaves.measures.push(measureId);
    leaves.measureAt[measureId] = offset;
    return offset;
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

/**
 * Canonical JSON of a leaf: one key per dimension, keys sorted by UTF-16 code units, no
 * whitespace (`{"device":"ios","region":"eu-west"}`; `{}` without dimensions). Written by hand
 * because a JavaScript object lists integer-like keys first, whatever their order.
 */
export function canonicalLeaf(pairs: [dim: string, value: string][]): string {
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let json = '{';
  for (let i = 0; i < pairs.length; i++) {
    const [dim, value] = pairs[i]!;
    json += `${i > 0 ? ',' : ''}${JSON.stringify(dim)}:${JSON.stringify(value)}`;
  }
  return `${json}}`;
}

/** The leaf of a set of dimension values, as stored in leaf_rollups (canonical JSON). */
export function leafOf(dims: Readonly<Record<string, string>>): string {
  return canonicalLeaf(Object.entries(dims));
}
