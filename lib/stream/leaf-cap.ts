/**
 * The per-flush cap on leaf-cube rows. The leaf cube holds one row per distinct combination of
 * dimension values (per window, event type and measure), so its size grows with the product of
 * the dimensions' cardinalities: 5 dimensions of 10 values can make 100,000 leaves where the
 * marginal rollups make 50 rows. Beyond the cap, the rarest leaves of a flush (fewest events)
 * are folded into one leaf per (window, event type, measure) whose every dimension is
 * '(other)' — the cardinality guard's value — so that counts, sums and sums of squares are
 * kept exactly (the total of every window is unchanged) and only the joint detail of rare
 * combinations is lost: root cause sees them as "(other)", and a metric filtered on a value
 * undercounts by the folded events (the health page says how many were folded).
 * Pure.
 */
import { COUNT_MEASURE, OTHER_VALUE } from './names';
import type { LeafDelta } from '@/lib/types';

/**
 * Leaf-cube rows one drain (a flush) writes at most; beyond it the rarest leaves fold into
 * '(other)'. Marginal rollups are never capped.
 */
export const DEFAULT_MAX_LEAF_ROWS = 50_000;

export interface CappedLeaves {
  leaves: LeafDelta[];
  /** Distinct leaves folded into '(other)' (0 when under the cap). */
  foldedLeaves: number;
  /** Events (count rows) those leaves held. */
  foldedEvents: number;
}

/** A key of a JSON object of strings: a string followed by a colon (values are never followed by one). */
const KEY = /"(?:[^"\\]|\\.)*":/g;

const groupKey = (l: LeafDelta) => `${l.windowStart}\u0000${l.eventType}\u0000${l.measure}`;

/**
 * The leaf whose every dimension is '(other)', over the union of the folded leaves' dimensions
 * (canonical JSON with sorted keys, as leaves are written).
 */
export function otherLeaf(folded: Iterable<string>): string {
  const dims = new Set<string>();
  // The keys of a leaf's canonical JSON (an object of strings), read without parsing it: the
  // cap folds up to hundreds of thousands of leaves, mostly of the same dimensions.
  const shapes = new Set<string>();
  for (const leaf of folded) {
    const keys = leaf.match(KEY);
    const shape = keys ? keys.join('') : '';
    if (shapes.has(shape)) continue;
    shapes.add(shape);
    for (const dim of Object.keys(JSON.parse(leaf) as Record<string, string>)) dims.add(dim);
  }
  const sorted = [...dims].sort();
  return JSON.stringify(Object.fromEntries(sorted.map((d) => [d, OTHER_VALUE])));
}

/**
 * Caps `leaves` at `maxRows` rows: keeps the leaves with the most events (ties by name) whole,
 * while their rows and one '(other)' row per (window, event type, measure) fit, and folds the
 * rest. When even the '(other)' rows alone exceed the cap (more windows × types × measures than
 * rows allowed) every leaf is folded. Under the cap, returns the input unchanged.
 */
export function capLeaves(leaves: readonly LeafDelta[], maxRows: number): CappedLeaves {
  if (leaves.length <= maxRows) return { leaves: [...leaves], foldedLeaves: 0, foldedEvents: 0 };
  const events = new Map<string, number>();
  const rows = new Map<string, number>();
  const groups = new Set<string>();
  for (const l of leaves) {
    rows.set(l.leaf, (rows.get(l.leaf) ?? 0) + 1);
    if (l.measure === COUNT_MEASURE) events.set(l.leaf, (events.get(l.leaf) ?? 0) + l.count);
    groups.add(groupKey(l));
  }
  const ranked = [...rows.keys()].sort(
    (a, b) => (events.get(b) ?? 0) - (events.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
  );
  let budget = Math.max(0, maxRows - groups.size);
  const kept = new Set<string>();
  for (const leaf of ranked) {
    const n = rows.get(leaf)!;
    if (n > budget) break;
    kept.add(leaf);
    budget -= n;
  }
  const foldedNames = ranked.filter((l) => !kept.has(l));
  const other = otherLeaf(foldedNames);
  const out: LeafDelta[] = [];
  const merged = new Map<string, LeafDelta>();
  let foldedEvents = 0;
  for (const l of leaves) {
    if (kept.has(l.leaf) && l.leaf !== other) {
      out.push(l);
      continue;
    }
    if (l.leaf !== other && l.measure === COUNT_MEASURE) foldedEvents += l.count;
    const key = groupKey(l);
    const into = merged.get(key);
    if (into) {
      into.count += l.count;
      into.sum += l.sum;
      into.sumsq += l.sumsq;
    } else {
      merged.set(key, { ...l, leaf: other });
    }
  }
  return {
    leaves: [...out, ...merged.values()],
    foldedLeaves: foldedNames.filter((l) => l !== other).length,
    foldedEvents,
  };
}
