/**
 * Rollup deltas merged additively, as the database upserts merge them (flushes of several
 * partitions in one statement), and the straightforward reference folds with string keys: the
 * test oracle for the accumulator (./rollup.ts) and the benchmark's baseline.
 */
import { TOTAL, type LeafDelta, type PulseEvent, type RollupDelta } from '@/lib/types';
import { windowStart } from './windows';
import { canonicalLeaf, COUNT_MEASURE, OTHER_VALUE } from './rollup';

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

/** Key of a leaf cell; the leaf is free text, so it goes last. */
function leafCellKey(d: LeafDelta): string {
  return `${d.windowStart}\u0000${d.eventType}\u0000${d.measure}\u0000${d.leaf}`;
}

/**
 * Additive merge of two leaf delta lists keyed by (window, type, leaf, measure), as the
 * database upsert does. Inputs are not modified.
 */
export function mergeLeafDeltas(a: readonly LeafDelta[], b: readonly LeafDelta[]): LeafDelta[] {
  const merged = new Map<string, LeafDelta>();
  for (const delta of [...a, ...b]) {
    const key = leafCellKey(delta);
    const existing = merged.get(key);
    if (existing) {
      existing.count += delta.count;
      existing.sum += delta.sum;
      existing.sumsq += delta.sumsq;
    } else merged.set(key, { ...delta });
  }
  return [...merged.values()];
}

/**
 * The leaf cells of several partitions' drains as one list, cells shared by partitions merged
 * additively (the result of {@link mergeLeafDeltas} over all of them, in first-seen order). For
 * a fenced flush of many partitions: each partition holds most of the cube's leaves, so the
 * merged list is several times shorter than their concatenation, and serialising and upserting
 * it costs that much less. Keys are nested maps of the cells' own strings (a partition's leaf
 * names are interned, so their hashes are computed once), not concatenations. Inputs are not
 * modified (a part is retried unchanged after a failed write): a cell is copied only when a
 * second partition adds to it.
 */
export function mergeLeafParts(parts: readonly (readonly LeafDelta[])[]): LeafDelta[] {
  const nonEmpty = parts.filter((leaves) => leaves.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ? [...nonEmpty[0]] : [];
  const out: LeafDelta[] = [];
  const copied: boolean[] = [];
  // window → type → measure → leaf → index in `out`
  const windows = new Map<number, Map<string, Map<string, Map<string, number>>>>();
  for (const leaves of nonEmpty) {
    for (const d of leaves) {
      let types = windows.get(d.windowStart);
      if (types === undefined) windows.set(d.windowStart, (types = new Map()));
      let measures = types.get(d.eventType);
      if (measures === undefined) types.set(d.eventType, (measures = new Map()));
      let cells = measures.get(d.measure);
      if (cells === undefined) measures.set(d.measure, (cells = new Map()));
      const at = cells.get(d.leaf);
      if (at === undefined) {
        cells.set(d.leaf, out.length);
        out.push(d);
        copied.push(false);
        continue;
      }
      let into = out[at]!;
      if (!copied[at]) {
        into = { ...into };
        out[at] = into;
        copied[at] = true;
      }
      into.count += d.count;
      into.sum += d.sum;
      into.sumsq += d.sumsq;
    }
  }
  return out;
}

/**
 * Straightforward leaf fold with string keys: the test oracle for the accumulator's leaf cube.
 * Without `maxValuesPerDim` there is no cardinality limit (as in {@link naiveFold}); with it,
 * each dimension admits its first `maxValuesPerDim` distinct values in event order and folds
 * later ones into OTHER_VALUE, as the accumulator does over its lifetime.
 */
export function naiveLeafFold(
  events: readonly PulseEvent[],
  windowMs: number,
  options: { maxValuesPerDim?: number } = {},
): LeafDelta[] {
  const limit = options.maxValuesPerDim ?? Infinity;
  const admitted = new Map<string, Set<string>>();
  const guard = (dim: string, value: string): string => {
    let values = admitted.get(dim);
    if (values === undefined) {
      values = new Set();
      admitted.set(dim, values);
    }
    if (values.has(value)) return value;
    if (values.size < limit) {
      values.add(value);
      return value;
    }
    return OTHER_VALUE;
  };
  const cells = new Map<string, LeafDelta>();
  const fold = (start: number, type: string, leaf: string, measure: string, x: number) => {
    const delta: LeafDelta = {
      windowStart: start,
      eventType: type,
      leaf,
      measure,
      count: 1,
      sum: x,
      sumsq: x * x,
    };
    const key = leafCellKey(delta);
    const existing = cells.get(key);
    if (existing) {
      existing.count += 1;
      existing.sum += delta.sum;
      existing.sumsq += delta.sumsq;
    } else cells.set(key, delta);
  };
  for (const event of events) {
    const start = windowStart(event.ts, windowMs);
    const leaf = canonicalLeaf(
      Object.entries(event.dims).map(([dim, value]) => [dim, guard(dim, value)]),
    );
    fold(start, event.type, leaf, COUNT_MEASURE, 0);
    for (const [measure, x] of Object.entries(event.measures)) {
      fold(start, event.type, leaf, measure, x);
    }
  }
  return [...cells.values()];
}
