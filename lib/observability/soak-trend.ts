/**
 * The figures `npm run soak` judges (pure): flush p99 from the deltas of a Prometheus histogram
 * scraped twice, and least-squares trends extrapolated to the whole run with a flat, rising or
 * falling verdict. soak-report.ts applies them to the samples.
 */

// ── Prometheus histogram ──────────────────────────────────────────────────────────────────────

/** Cumulative bucket counts of a histogram: per series (labels without `le`), per upper bound. */
export type HistogramBuckets = Map<string, Map<number, number>>;

const SAMPLE_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The `<name>_bucket` lines of Prometheus exposition text. */
export function parseHistogram(text: string, name: string): HistogramBuckets {
  const series: HistogramBuckets = new Map();
  for (const line of text.split('\n')) {
    const match = SAMPLE_LINE.exec(line);
    if (!match || match[1] !== `${name}_bucket`) continue;
    let le: number | null = null;
    const rest: string[] = [];
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) {
      if (key === 'le') le = value === '+Inf' ? Infinity : Number(value);
      else rest.push(`${key}=${value}`);
    }
    const count = Number(match[3]);
    if (le === null || Number.isNaN(le) || !Number.isFinite(count)) continue;
    const key = rest.sort().join(',');
    const buckets = series.get(key) ?? new Map<number, number>();
    buckets.set(le, count);
    series.set(key, buckets);
  }
  return series;
}

/**
 * Observations between two scrapes, summed over series: cumulative count per bound. A series
 * whose +Inf count went down was reset (its process restarted) and counts from zero; a series
 * seen for the first time counts whole.
 */
export function histogramDelta(before: HistogramBuckets, after: HistogramBuckets) {
  const total = new Map<number, number>();
  for (const [key, buckets] of after) {
    const previous = before.get(key);
    const reset =
      previous !== undefined && (buckets.get(Infinity) ?? 0) < (previous.get(Infinity) ?? 0);
    for (const [le, count] of buckets) {
      const base = previous && !reset ? (previous.get(le) ?? 0) : 0;
      total.set(le, (total.get(le) ?? 0) + Math.max(0, count - base));
    }
  }
  return total;
}

/**
 * The q-quantile of cumulative bucket counts, interpolated linearly inside its bucket as
 * PromQL's histogram_quantile does (from 0 for the first bucket; the largest finite bound
 * when it falls in +Inf). Null when nothing was observed.
 */
export function quantileFromBuckets(buckets: Map<number, number>, q: number): number | null {
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const total = buckets.get(Infinity) ?? (bounds.length ? buckets.get(bounds.at(-1)!)! : 0);
  if (!total) return null;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const le of bounds) {
    const count = buckets.get(le)!;
    if (count >= rank) {
      if (!Number.isFinite(le)) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}

// ── Trends ────────────────────────────────────────────────────────────────────────────────────

/**
 * Least-squares line through the points, the standard deviation of the residuals, and the
 * standard error of the slope (residual SD over the spread of x).
 */
export function linearFit(xs: readonly number[], ys: readonly number[]) {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i]! - mx) ** 2;
    sxy += (xs[i]! - mx) * (ys[i]! - my);
  }
  const slope = sxx === 0 ? 0 : sxy / sxx;
  const intercept = my - slope * mx;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (ys[i]! - intercept - slope * xs[i]!) ** 2;
  const residualSd = n > 2 ? Math.sqrt(ss / (n - 2)) : 0;
  return {
    slope,
    intercept,
    mean: my,
    residualSd,
    slopeError: sxx === 0 ? Infinity : residualSd / Math.sqrt(sxx),
  };
}

/** The size of a rise that still counts as flat: the larger bound applies. */
export interface FlatRule {
  /** In the series' unit (MB, seconds). */
  absolute: number;
  /** Share of the series' mean over the fitted samples. */
  relative: number;
}

/** RSS: a rise under 20 MB or under 10 % of the mean. */
export const MEMORY_RULE: FlatRule = { absolute: 20, relative: 0.1 };
/** Event lag: a rise under 2 s (two flush intervals) or under 10 % of the mean. */
export const LAG_RULE: FlatRule = { absolute: 2, relative: 0.1 };

export interface Trend {
  /** Samples fitted: those of the second half of the run (after warm-up). */
  n: number;
  mean: number;
  /** Unit per hour. */
  slopePerHour: number;
  /** The fitted slope times the whole run's length. */
  rise: number;
  /** Twice the rise's standard error: how far the scatter alone (GC, bursts) moves it. */
  noise: number;
  /** max(absolute, relative × mean, noise): the largest rise still called flat. */
  threshold: number;
  verdict: 'flat' | 'rising' | 'falling';
}

/**
 * The trend of a series over the second half of a run of `runMs`: least squares over the
 * samples taken at or after runMs / 2, extrapolated to the whole run. Flat when the rise it
 * predicts is within the rule's bounds or within twice its own standard error (a sawtooth of
 * garbage collections fits a slope that means nothing); null with fewer than 3 samples.
 */
export function trendOf(
  points: readonly { elapsedMs: number; value: number | null }[],
  runMs: number,
  rule: FlatRule,
): Trend | null {
  const half = points.filter(
    (p): p is { elapsedMs: number; value: number } =>
      p.elapsedMs >= runMs / 2 && p.value !== null && Number.isFinite(p.value),
  );
  if (half.length < 3) return null;
  const fit = linearFit(
    half.map((p) => p.elapsedMs / 3_600_000),
    half.map((p) => p.value),
  );
  const hours = runMs / 3_600_000;
  const rise = fit.slope * hours;
  const noise = 2 * fit.slopeError * hours;
  const threshold = Math.max(rule.absolute, rule.relative * Math.abs(fit.mean), noise);
  const verdict = rise > threshold ? 'rising' : rise < -threshold ? 'falling' : 'flat';
  return {
    n: half.length,
    mean: fit.mean,
    slopePerHour: fit.slope,
    rise,
    noise,
    threshold,
    verdict,
  };
}
