/**
 * What a board card's sparkline shows, and what it says to a screen reader. Pure.
 *
 * The learning ramp (the windows before a baseline exists, often the back-fill starting near
 * zero) is left out: scaled to include it, a 16 % conversion drop or a +10σ latency jump drew as
 * a flat line with a coloured dot. The y axis spans the scored windows' values and their
 * expected ± kσ band, so a jump out of the band fills the chart.
 */
import type { BoardPoint } from '@/lib/views';

/** The windows a sparkline draws: the scored ones, or all of them while the metric is learning. */
export function sparklinePoints(points: readonly BoardPoint[]): BoardPoint[] {
  const scored = points.filter((p) => p.status !== 'learning');
  return scored.length > 0 ? scored : [...points];
}

/**
 * The y domain over `points`: every finite value and the band expected ± k·σ around it, padded
 * by `pad` of the span on each side. A flat series gets a small span around its level; `null`
 * when there is nothing to draw.
 */
export function sparklineDomain(
  points: readonly BoardPoint[],
  k = 3,
  pad = 0.08,
): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  const take = (v: number | null) => {
    if (v === null || !Number.isFinite(v)) return;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  };
  for (const p of points) {
    take(p.value);
    if (p.expected !== null && p.sigma !== null && Number.isFinite(p.sigma)) {
      take(p.expected - k * p.sigma);
      take(p.expected + k * p.sigma);
    }
  }
  if (lo > hi) return null;
  const span = hi - lo;
  if (span === 0) {
    const half = Math.abs(lo) * 0.05 || 1;
    return [lo - half, hi + half];
  }
  return [lo - span * pad, hi + span * pad];
}

/**
 * How the latest window compares with what was expected, in words: "latest 41.20%, 16.2% below
 * expected 49.10% (z −10.3), outside the normal band".
 */
export function describeLatest(
  latest: BoardPoint | undefined,
  format: (value: number) => string,
): string {
  if (!latest || latest.value === null) return 'no value yet';
  const value = format(latest.value);
  if (latest.status === 'learning' || latest.expected === null) {
    return `latest ${value}, still learning its baseline`;
  }
  const expected = format(latest.expected);
  const diff = latest.value - latest.expected;
  const z =
    latest.z !== null && Number.isFinite(latest.z)
      ? ` (z ${latest.z < 0 ? '−' : '+'}${Math.abs(latest.z).toFixed(1)})`
      : '';
  let relation = `as expected, ${expected}`;
  if (diff !== 0) {
    const pct =
      latest.expected !== 0 ? `${Math.abs((diff / latest.expected) * 100).toFixed(1)}% ` : '';
    relation = `${pct}${diff > 0 ? 'above' : 'below'} expected ${expected}`;
  }
  const band =
    latest.sigma === null
      ? ''
      : Math.abs(diff) <= 3 * latest.sigma
        ? ', within the normal band'
        : ', outside the normal band';
  return `latest ${value}, ${relation}${z}${band}`;
}
