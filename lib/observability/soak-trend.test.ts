import { describe, expect, it } from 'vitest';
import {
  histogramDelta,
  linearFit,
  MEMORY_RULE,
  parseHistogram,
  quantileFromBuckets,
  trendOf,
} from './soak-trend';

const EXPOSITION = (a: number[], b: number[], worker = 'h:1') => `
# HELP pulse_flush_duration_seconds Duration of one flush transaction.
# TYPE pulse_flush_duration_seconds histogram
pulse_flush_duration_seconds_bucket{le="0.01",source="simulator",worker="${worker}"} ${a[0]}
pulse_flush_duration_seconds_bucket{le="0.1",source="simulator",worker="${worker}"} ${a[1]}
pulse_flush_duration_seconds_bucket{le="+Inf",source="simulator",worker="${worker}"} ${a[2]}
pulse_flush_duration_seconds_sum{source="simulator",worker="${worker}"} 1.5
pulse_flush_duration_seconds_count{source="simulator",worker="${worker}"} ${a[2]}
pulse_flush_duration_seconds_bucket{le="0.01",source="http"} ${b[0]}
pulse_flush_duration_seconds_bucket{le="0.1",source="http"} ${b[1]}
pulse_flush_duration_seconds_bucket{le="+Inf",source="http"} ${b[2]}
pulse_flushes_total{source="http",outcome="written"} 4
`;

describe('flush p99 from histogram deltas', () => {
  it('reads the buckets of every series, without le in the key', () => {
    const h = parseHistogram(EXPOSITION([1, 2, 3], [4, 5, 6]), 'pulse_flush_duration_seconds');
    expect([...h.keys()].sort()).toEqual(['source=http', 'source=simulator,worker=h:1']);
    expect(h.get('source=http')).toEqual(
      new Map([
        [0.01, 4],
        [0.1, 5],
        [Infinity, 6],
      ]),
    );
  });

  it('adds the observations of every series since the previous scrape', () => {
    const before = parseHistogram(
      EXPOSITION([10, 20, 20], [0, 0, 0]),
      'pulse_flush_duration_seconds',
    );
    const after = parseHistogram(
      EXPOSITION([50, 119, 120], [5, 5, 5]),
      'pulse_flush_duration_seconds',
    );
    expect(histogramDelta(before, after)).toEqual(
      new Map([
        [0.01, 45],
        [0.1, 104],
        [Infinity, 105],
      ]),
    );
  });

  it('counts a reset series (a restarted process) and a new one from zero', () => {
    const before = parseHistogram(
      EXPOSITION([50, 60, 60], [0, 0, 0]),
      'pulse_flush_duration_seconds',
    );
    const reset = parseHistogram(EXPOSITION([3, 4, 4], [0, 0, 0]), 'pulse_flush_duration_seconds');
    expect(histogramDelta(before, reset).get(Infinity)).toBe(4);
    const replaced = parseHistogram(
      EXPOSITION([1, 2, 2], [0, 0, 0], 'h:2'),
      'pulse_flush_duration_seconds',
    );
    expect(histogramDelta(before, replaced).get(Infinity)).toBe(2);
  });

  it('interpolates the quantile inside its bucket, as histogram_quantile does', () => {
    const buckets = new Map([
      [0.01, 50],
      [0.1, 100],
      [Infinity, 100],
    ]);
    expect(quantileFromBuckets(buckets, 0.5)).toBeCloseTo(0.01);
    expect(quantileFromBuckets(buckets, 0.99)).toBeCloseTo(0.01 + 0.09 * (49 / 50));
    expect(quantileFromBuckets(buckets, 0.25)).toBeCloseTo(0.005);
    // In +Inf: the largest finite bound.
    expect(
      quantileFromBuckets(
        new Map([
          [0.1, 90],
          [Infinity, 100],
        ]),
        0.99,
      ),
    ).toBe(0.1);
    expect(
      quantileFromBuckets(
        new Map([
          [0.1, 0],
          [Infinity, 0],
        ]),
        0.99,
      ),
    ).toBeNull();
    expect(quantileFromBuckets(new Map(), 0.99)).toBeNull();
  });
});

describe('trends', () => {
  it('fits a least-squares line', () => {
    const fit = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(fit.residualSd).toBeCloseTo(0);
  });

  const HOUR = 3_600_000;
  const series = (f: (hours: number) => number) =>
    Array.from({ length: 61 }, (_, i) => ({ elapsedMs: i * 60_000, value: f(i / 60) }));

  it('calls memory flat when the rise over the run stays under the rule', () => {
    // 300 MB, +10 MB/h with ±5 MB of noise: a rise of 10 MB over the hour, under 20 MB.
    const t = trendOf(
      series((h) => 300 + 10 * h + (Math.round(h * 60) % 2 ? 5 : -5)),
      HOUR,
      MEMORY_RULE,
    )!;
    expect(t.n).toBe(31); // the second half only
    expect(t.slopePerHour).toBeGreaterThan(0);
    expect(t.threshold).toBeCloseTo(t.mean * 0.1); // 10 % of ~307 MB beats 20 MB and the noise
    expect(t.threshold).toBeGreaterThan(30);
    expect(t.noise).toBeLessThan(t.threshold);
    expect(t.verdict).toBe('flat');
  });

  it('calls a steady climb rising, and ignores the warm-up of the first half', () => {
    const t = trendOf(
      series((h) => (h < 0.5 ? 100 + 800 * h : 500 + 120 * (h - 0.5))),
      HOUR,
      MEMORY_RULE,
    )!;
    expect(t.slopePerHour).toBeCloseTo(120);
    expect(t.rise).toBeCloseTo(120);
    expect(t.verdict).toBe('rising');
    const warmUpOnly = trendOf(
      series((h) => (h < 0.5 ? 100 + 800 * h : 500)),
      HOUR,
      MEMORY_RULE,
    )!;
    expect(warmUpOnly.verdict).toBe('flat');
    expect(
      trendOf(
        series((h) => 500 - 200 * h),
        HOUR,
        MEMORY_RULE,
      )!.verdict,
    ).toBe('falling');
  });

  it('does not call a slope the scatter alone could draw rising', () => {
    // A GC sawtooth of ±80 MB around 250 MB, plus 30 MB/h: above 10 % of the mean, within noise.
    const sawtooth = series((h) => 250 + 30 * h + (Math.round(h * 60) % 2 ? 80 : -80));
    const t = trendOf(sawtooth, HOUR, MEMORY_RULE)!;
    expect(t.rise).toBeGreaterThan(25);
    expect(t.noise).toBeGreaterThan(t.rise);
    expect(t.verdict).toBe('flat');
  });

  it('needs three samples in the second half, skipping missing values', () => {
    expect(trendOf(series(() => 1).slice(0, 30), HOUR, MEMORY_RULE)).toBeNull();
    const gaps = series(() => 1).map((p, i) => ({ ...p, value: i % 20 === 0 ? p.value : null }));
    expect(trendOf(gaps, HOUR, MEMORY_RULE)).toBeNull();
  });
});
