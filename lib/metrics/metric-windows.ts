/**
 * Metric windows: k base windows, aligned to the epoch. A metric whose window multiple is k is
 * scored when the last base window of its metric window closes, over the merged cells of the k.
 */
import type { RollupDelta } from '@/lib/types';
import { cellKey, maxOf, minOf } from './cells';

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
