/**
 * Interim results, pure: does the part of a window seen so far already prove an anomaly?
 *
 * A window's final score compares its value with the baseline (expected μ, σ, as scoreWindow
 * computes them). Part-way through, the window holds a fraction f of its data; comparing the
 * partial value with the full window's μ and σ would be wrong twice (the partial count is
 * smaller, and its noise is relatively larger). Instead the partial value is compared with what
 * the baseline expects of a partial window, with the partial window's own uncertainty:
 *
 * - count and sum (additive): expected partial = f·μ. The window's variance is its sampling
 *   noise P (Poisson: max(μ, 1); compound Poisson for a sum: Σx²) plus the extra variation of
 *   the window's level, σ² − P (the rate of a whole window wanders, e.g. minute to minute). The
 *   extra part scales with the level (f²), the sampling part with the sample (f):
 *   σ_f² = f²·(σ² − P) + f·P. At f = 1 it is σ².
 * - avg and ratio (means): the partial value estimates the full window's value; its sampling
 *   noise is that of the smaller sample: σ_f² = (σ² − P_full) + P_f, with P_f the partial's own
 *   sampling variance (per-event variance / n for an average, μ(1 + μ) / den for a ratio of two
 *   independent counts) and P_full = f·P_f. So σ_f grows as the sample shrinks, and is σ at f = 1.
 * - σ² − P is taken at 0 or more: where the baseline's σ (from a few dozen windows) comes out
 *   under the sampling noise, the partial σ still carries all of its own sampling noise.
 *
 * z_f = (partial − expected partial) / σ_f is then exactly as precise as a final z. An interim
 * verdict opens an anomaly at once, as a final critical window does, so it is held to a
 * false-alarm budget: at most INTERIM_FALSE_ALERTS_PER_DAY per metric per day of quiet
 * (Gaussian) traffic, spread over both sides and over the window's looks (Bonferroni: a window
 * looked at `looks` times may fire up to `looks` times as often as one look; successive looks
 * share most of their data, so this errs on the safe side). The threshold is the normal quantile
 * of that per-look rate — 4.5 for one-minute windows looked at every 5 s — and never less than
 * 90% of the rule's critical z, so a stricter rule stays stricter early too. Evidence grows like
 * √f for a Poisson count (z_f ≈ z·√f), faster when the window's level wanders more than its
 * sampling noise: an 8σ step crosses 4.5 about 19 s into a minute at worst. Nothing is decided
 * before MIN_FRACTION of the window or on a sample under MIN_SAMPLE events.
 *
 * When several sources feed a window their watermarks differ: the data may reach further than
 * the global watermark. `fraction` is the conservative fraction for a drop (data surely
 * present), `fractionHigh` the one for a rise (data possibly present); a single in-order source
 * has both equal.
 */
import type { IncidentStep, Side } from './hysteresis';
import type { AlertRule, MetricKind, Severity } from '@/lib/types';
import { normalTail } from './normal';

/** Nothing is decided before this fraction of the window has elapsed (6 s of a minute). */
export const MIN_FRACTION = 0.1;
/** Fewest events behind a partial value (expected, for a count) before it is judged. */
export const MIN_SAMPLE = 20;
/** Looks at one window the thresholds are raised for by default (one every 5 s of a minute). */
export const DEFAULT_LOOKS = 11;
/** Interim false alerts allowed per metric per day of quiet traffic (Gaussian tails). */
export const INTERIM_FALSE_ALERTS_PER_DAY = 0.1;
/** An interim verdict never asks less than this share of the rule's critical z. */
export const CRITICAL_SHARE = 0.9;
const DAY_MS = 86_400_000;

/** The partial window's total, as the metric reads it. */
export interface PartialTotal {
  kind: MetricKind;
  /** The partial value: the count or sum so far, or the average or ratio so far (null: none). */
  value: number | null;
  /** Events behind it (count; measure events for sum/avg; denominator events for a ratio). */
  volume: number;
  /**
   * The partial's own sampling variance of one event, where the kind needs it: Σx² of the
   * measure for a sum; the per-event variance of the measure for an avg. Unused otherwise.
   */
  sumsq?: number;
  perEventVariance?: number;
}

export interface InterimInput {
  partial: PartialTotal;
  /** Elapsed fraction of the window in event time, as surely covered by the data (0..1]. */
  fraction: number;
  /** Elapsed fraction the data may already cover (≥ fraction); defaults to `fraction`. */
  fractionHigh?: number;
  /** The full window's baseline, as scoreWindow computes it. */
  baseline: { expected: number; sigma: number };
  rule: Pick<AlertRule, 'criticalZ' | 'direction'>;
  /** Looks at the window the thresholds account for (default {@link DEFAULT_LOOKS}). */
  looks?: number;
  /** The window's length (default one minute): the budget is per day. */
  windowMs?: number;
  /** Series of the split this metric is one of (default 1): they share one budget. */
  series?: number;
}

export interface InterimVerdict {
  /** too_early: under MIN_FRACTION; too_small: under MIN_SAMPLE; else the verdict. */
  status: 'too_early' | 'too_small' | 'ok' | 'critical';
  /** critical when the partial window proves an anomaly (it opens at once), else null. */
  severity: Extract<Severity, 'critical'> | null;
  /** The |z| the verdict needed ({@link interimThreshold}). */
  threshold: number;
  /** Evidence: (partial − expected partial) / σ_f, on the side that is judged (0 if neither). */
  z: number;
  /**
   * The partial value projected to the full window (count/sum: partial / f; avg/ratio: the
   * partial value) and its σ, so that (value − expected) / sigma = z.
   */
  value: number;
  sigma: number;
  /** The fraction the verdict used (the low one for a drop, the high one for a rise). */
  fraction: number;
}

/** The x with Q(x) = p, for 0 < p < 0.5 (by bisection). */
export function upperQuantile(p: number): number {
  let lo = 0;
  let hi = 40;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (normalTail(mid) > p) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * The |z_f| an interim verdict needs: the normal quantile of the budget's per-look, per-side
 * rate (INTERIM_FALSE_ALERTS_PER_DAY per day, over the windows of a day, 2 sides, `looks`
 * looks and the `series` of a split, which shares one metric's budget as its final scores do:
 * ./split-rule.ts), and at least CRITICAL_SHARE × the rule's critical z.
 */
export function interimThreshold(
  criticalZ: number,
  looks: number = DEFAULT_LOOKS,
  windowMs = 60_000,
  series = 1,
): number {
  const perWindow = (INTERIM_FALSE_ALERTS_PER_DAY * windowMs) / DAY_MS;
  const perLook = perWindow / (2 * Math.max(1, looks) * Math.max(1, series));
  return Math.max(upperQuantile(perLook), CRITICAL_SHARE * criticalZ);
}

/**
 * The σ of a partial window's value at fraction `f` (see the module comment): additive kinds
 * σ_f² = f²σ² + f(1 − f)P, means σ_f² = σ² + (1 − f)·P_f. Returns the σ of the partial value
 * itself (not projected).
 */
export function partialSigma(
  partial: PartialTotal,
  f: number,
  baseline: { expected: number; sigma: number },
): number {
  const { sigma } = baseline;
  const expected = Math.max(0, baseline.expected);
  const s2 = sigma * sigma;
  /** Additive kinds: the window's level varies by σ² − P beyond its sampling noise P. */
  const additiveSigma = (full: number) => Math.sqrt(f * f * Math.max(0, s2 - full) + f * full);
  /** Means: the level varies by σ² − P_full; the partial's own sampling noise is P_f. */
  const meanSigma = (own: number) => Math.sqrt(Math.max(0, s2 - f * own) + own);
  switch (partial.kind) {
    case 'count':
      return additiveSigma(Math.max(expected, 1));
    case 'sum':
      // Σx² of the partial estimates the partial's own compound-Poisson variance f·P.
      return additiveSigma(Math.max(0, partial.sumsq ?? 0) / f);
    case 'avg': {
      const n = partial.volume;
      return meanSigma(n > 0 ? Math.max(0, partial.perEventVariance ?? 0) / n : 0);
    }
    case 'ratio': {
      // Numerator and denominator as independent Poisson counts (delta method): μ(1 + μ)/den.
      // Where the numerator is a subset of the denominator the truth, μ(1 − μ)/den, is smaller.
      const den = partial.volume;
      return meanSigma(den > 0 ? (expected * (1 + expected)) / den : 0);
    }
  }
}

const additive = (kind: MetricKind) => kind === 'count' || kind === 'sum';

/**
 * The interim verdict on a partial window (see the module comment). Pure and total: a NaN or
 * missing value, a non-positive σ or fraction never proves anything.
 */
export function judgeInterim(input: InterimInput): InterimVerdict {
  const { partial, baseline, rule } = input;
  const low = Math.min(1, input.fraction);
  const high = Math.min(1, Math.max(low, input.fractionHigh ?? low));
  const threshold = interimThreshold(
    rule.criticalZ,
    input.looks ?? DEFAULT_LOOKS,
    input.windowMs,
    input.series,
  );
  const quiet = (status: InterimVerdict['status'], fraction: number): InterimVerdict => ({
    status,
    severity: null,
    threshold,
    z: 0,
    value: partial.value ?? Number.NaN,
    sigma: baseline.sigma,
    fraction,
  });
  if (!(low >= MIN_FRACTION) || !Number.isFinite(low)) return quiet('too_early', low);
  const { expected, sigma } = baseline;
  if (partial.value === null || !Number.isFinite(partial.value)) return quiet('too_small', low);
  if (!(sigma > 0) || !Number.isFinite(expected)) return quiet('too_small', low);
  // A count's sample is the expected one: a count that stopped is the clearest drop of all.
  const sample =
    partial.kind === 'count' ? Math.max(partial.volume, low * expected) : partial.volume;
  if (!(sample >= MIN_SAMPLE)) return quiet('too_small', low);

  /** Evidence at fraction f: z_f, and the projected value and σ that give it. */
  const at = (f: number) => {
    const sf = partialSigma(partial, f, baseline);
    const value = partial.value as number;
    if (additive(partial.kind)) {
      return { z: (value - f * expected) / sf, value: value / f, sigma: sf / f, fraction: f };
    }
    return { z: (value - expected) / sf, value, sigma: sf, fraction: f };
  };
  // A rise is judged against the most data that may be in, a drop against the least.
  const up = at(high);
  const down = at(low);
  const side = up.z > 0 ? up : down.z < 0 ? down : { ...down, z: 0 };
  if ((rule.direction === 'up' && side.z <= 0) || (rule.direction === 'down' && side.z >= 0)) {
    return { status: 'ok', severity: null, threshold, ...side };
  }
  if (Math.abs(side.z) >= threshold) {
    return { status: 'critical', severity: 'critical', threshold, ...side };
  }
  return { status: 'ok', severity: null, threshold, ...side };
}

/**
 * Looks at one window of `windowMs` when the open window is looked at every `cadenceMs`
 * from MIN_FRACTION on (at least 1): what {@link InterimInput.looks} should be.
 */
export function looksPerWindow(windowMs: number, cadenceMs: number): number {
  if (!(cadenceMs > 0) || !(windowMs > 0)) return DEFAULT_LOOKS;
  return Math.max(1, Math.ceil(((1 - MIN_FRACTION) * windowMs) / cadenceMs));
}

/** An interim anomaly as the final scoring of its window sees it. */
export interface InterimRef {
  id: number;
  direction: Side;
}

/**
 * The lifecycle step of a window that has an interim anomaly, from the step its final verdict
 * gives: an anomalous window on the interim anomaly's side confirms it — also when the rule
 * alone would only have flagged it (a warn window waiting for consecutiveWindows): the interim
 * verdict already met the budgeted threshold on this window's data, and the final one agrees.
 * Every other step is unchanged (and withdraws the interim anomaly).
 */
export function confirmingStep(step: IncidentStep, direction: Side): IncidentStep {
  if (step.kind !== 'pending' || step.run.direction !== direction) return step;
  const { run } = step;
  return {
    kind: 'open',
    run,
    anomaly: {
      firstWindow: run.firstWindow,
      lastWindow: run.lastWindow,
      peakWindow: run.peakWindow,
      peakZ: run.peakZ,
      severity: run.severity,
      direction: run.direction,
      normalWindows: 0,
    },
  };
}
