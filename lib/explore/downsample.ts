/**
 * Fewer points for a chart, without changing what it shows. A line chart `w` pixels wide draws
 * at most one vertical stroke per pixel column, from the lowest to the highest value in it, so
 * keeping the minimum and the maximum of each column's points draws the same picture: spikes
 * and dips survive, which averaging or every-nth-point sampling would flatten (and an anomaly
 * is usually a spike). And where nothing was stored for a while, a break in the line. Pure.
 */
import type { WindowPoint } from '@/lib/types';

export interface DownsampleOptions<T> {
  /** The chart's time range, [from, to): bucket `i` covers `from + i·(to − from)/buckets`. */
  from: number;
  to: number;
  /** How many buckets: the chart's width in pixels (see {@link bucketsFor}). */
  buckets: number;
  time: (p: T) => number;
  /** A point's value; null (or NaN) is a gap, drawn as a break in the line. */
  value: (p: T) => number | null;
}

/**
 * Picks at most about 2 × buckets points of a time-ordered series so a chart `buckets` px wide
 * looks the same: per equal-time bucket over [from, to), the point with the minimum and the one
 * with the maximum value, in time order (one point when they coincide; the first of equal
 * values); a bucket whose points all have a null value keeps its first point so gaps stay
 * visible; a series short enough (≤ 2 × buckets) is returned as is (a copy). Returns a subset of
 * the input, never synthesized points.
 *
 * Points before `from` count in the first bucket and points at or after `to` in the last, so a
 * query whose ends are inclusive loses nothing. When `from`/`to` do not make a range, the
 * series' own first and last times do. The bound of 2 × buckets holds for time-ordered input;
 * out-of-order points are kept in their order, each run within a bucket treated apart.
 */
export function downsampleMinMax<T>(points: readonly T[], opts: DownsampleOptions<T>): T[] {
  const buckets = Number.isFinite(opts.buckets) ? Math.max(1, Math.floor(opts.buckets)) : 1;
  if (points.length <= 2 * buckets) return points.slice();
  const { time, value } = opts;
  let { from, to } = opts;
  if (!(Number.isFinite(from) && Number.isFinite(to) && to > from)) {
    from = time(points[0]!);
    to = time(points[points.length - 1]!) + 1;
  }
  const span = to - from;

  const out: T[] = [];
  let bucket = NaN;
  let first = -1;
  let minAt = -1;
  let maxAt = -1;
  let min = 0;
  let max = 0;
  const flush = () => {
    if (first < 0) return;
    if (minAt < 0) out.push(points[first]!);
    else if (minAt === maxAt) out.push(points[minAt]!);
    else {
      out.push(points[Math.min(minAt, maxAt)]!);
      out.push(points[Math.max(minAt, maxAt)]!);
    }
  };

  for (let i = 0; i < points.length; i++) {
    const point = points[i]!;
    // Scaling before dividing keeps boundaries exact for integer ms (no accumulated width).
    const at = Math.floor(((time(point) - from) * buckets) / span);
    // `!(at > 0)` also sends a NaN time to the first bucket rather than a bucket of its own.
    const b = !(at > 0) ? 0 : at >= buckets ? buckets - 1 : at;
    if (b !== bucket) {
      flush();
      bucket = b;
      first = i;
      minAt = -1;
      maxAt = -1;
    }
    const v = value(point);
    if (v === null || Number.isNaN(v)) continue;
    if (minAt < 0 || v < min) [min, minAt] = [v, i];
    if (maxAt < 0 || v > max) [max, maxAt] = [v, i];
  }
  flush();
  return out;
}

export const MIN_BUCKETS = 50;
export const MAX_BUCKETS = 2000;
export const DEFAULT_BUCKETS = 600;

/**
 * Clamps a client's requested chart width (px) to a number of buckets in
 * [{@link MIN_BUCKETS}, {@link MAX_BUCKETS}], {@link DEFAULT_BUCKETS} when absent or not a
 * number. The width comes from the client: the bounds keep a request from asking for a response
 * as large as the raw series, or for one too coarse to draw.
 */
export function bucketsFor(width: number | undefined): number {
  if (width === undefined || Number.isNaN(width)) return DEFAULT_BUCKETS;
  return Math.min(MAX_BUCKETS, Math.max(MIN_BUCKETS, Math.round(width)));
}

/**
 * How long a stretch without windows counts as a gap: four times the usual spacing of `points`
 * (their median step, at least a window), so a downsampled range, whose points sit up to two
 * buckets apart, breaks only where data is missing.
 */
export function gapThreshold(points: readonly WindowPoint[], windowMs: number): number {
  const steps = points
    .slice(1)
    .map((p, i) => p.windowStart - points[i]!.windowStart)
    .sort((a, b) => a - b);
  const median = steps[Math.floor(steps.length / 2)] ?? windowMs;
  return 4 * Math.max(windowMs, median);
}

/**
 * `points` with an empty window (no value, no band) inserted wherever no window was stored for
 * longer than `gapMs` (the pipeline was stopped), so the line breaks there instead of drawing a
 * straight line across hours that were never measured. Points must be oldest first.
 */
export function breakGaps(points: readonly WindowPoint[], gapMs: number): WindowPoint[] {
  const out: WindowPoint[] = [];
  for (const p of points) {
    const previous = out.at(-1);
    if (previous && p.windowStart - previous.windowStart > gapMs) {
      out.push({
        ...previous,
        windowStart: previous.windowStart + 1,
        value: null,
        expected: null,
        sigma: null,
        z: null,
        status: 'ok',
        anomalyId: null,
      });
    }
    out.push(p);
  }
  return out;
}
