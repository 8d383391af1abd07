/**
 * The calibrated anomaly score of the series model (lib/detection/series-model.ts), pure.
 *
 * A deviation is judged by its tail probability p: how often a deviation at least this large
 * shows up in the series' own recent history, and the score is its surprise on a fixed scale,
 *   score = min(1, −log10(p) / SURPRISE_AT_ONE)
 * so 0.5 means p = 10⁻⁵ (one point in 100,000) on every series, whatever its unit, level or
 * noise: one threshold works across series. An ordinary point (p ≈ 0.3) scores about 0.05.
 *
 * p combines four tests, each of the standardized deviation z = (value − expected) / σ, with σ
 * the series' own recent scale:
 * - the point alone (a spike), its tail widened by the series' own tail weight: when the 99th
 *   or 99.9th percentile of its recent |z| is above the normal one (2.58, 3.29), z is shrunk by
 *   the larger ratio first (a heavy-tailed series sees large |z| often);
 * - the mean of the last 4 and of the last 16 z (a sustained shift or a drift; each z clipped at
 *   ±5 so that a single spike does not pass for one), each against the recent spread of such
 *   means (measured, so autocorrelated noise is not taken for a shift).
 * - the mean of the last 16 z² (each clipped at 9, so one outlier is no burst), how far above its own usual level in units
 *   of its usual variation: a burst of variance, whose single points stay mostly in the tail's
 *   reach (two-sided rules only).
 * p = min(1, 4 × the smallest of the four): a Bonferroni bound, so asking four questions does
 * not quadruple the false alerts.
 */
import { erfc } from './normal';

/** Surprise (−log10 p) that scores 1; half of it scores 0.5. */
export const SURPRISE_AT_ONE = 10;
/** |z| of the standard normal's two-sided 1%: a normal-tailed series has this 99th percentile. */
export const NORMAL_Q99 = 2.5758;
/** Window lengths of the sustained-shift tests, besides the point alone. */
export const MEAN_WINDOWS = [4, 16] as const;
/** Number of tests combined (the point alone and each window): the Bonferroni factor. */
export const TESTS = 2 + MEAN_WINDOWS.length;
/** Window of the spread test: the mean of the last this many z². */
export const SPREAD_WINDOW = 16;

/**
 * One-sided or two-sided normal tail probability of `z`: 'both' → P(|Z| ≥ |z|); 'up' →
 * P(Z ≥ z) doubled (so the two are on the same footing), 1 for z ≤ 0; 'down' mirrors 'up'.
 */
export function tailProbability(z: number, direction: 'up' | 'down' | 'both' = 'both'): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 1 : 0;
  if ((direction === 'up' && z <= 0) || (direction === 'down' && z >= 0)) return 1;
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/** The score of a tail probability: see the module comment. 1 → 0, 10⁻⁵ → 0.5, ≤ 10⁻¹⁰ → 1. */
export function scoreOfProbability(p: number): number {
  if (!(p < 1)) return 0;
  if (p <= 0) return 1;
  return Math.min(1, -Math.log10(p) / SURPRISE_AT_ONE);
}

/** The tail probability a score stands for (the inverse of {@link scoreOfProbability} below 1). */
export function probabilityOfScore(score: number): number {
  return 10 ** (-score * SURPRISE_AT_ONE);
}

/** |z| of the standard normal's two-sided 0.1%. */
export const NORMAL_Q999 = 3.2905;

/**
 * Factor that widens a point's z for a heavy-tailed series: the larger of q99 / 2.58 and
 * q99.9 / 3.29 of its recent |z|, never below 1 (a normal series keeps its z).
 */
export function tailFactor(quantiles: { q99: number; q999: number } | null): number {
  if (quantiles === null) return 1;
  const factor = Math.max(1, quantiles.q99 / NORMAL_Q99, quantiles.q999 / NORMAL_Q999);
  return Number.isFinite(factor) ? factor : 1;
}

export interface Evidence {
  /** The point's z (value − expected) / σ. */
  z: number;
  /** {@link tailFactor} of the series' recent |z|. */
  tail: number;
  /** Per window of {@link MEAN_WINDOWS}: the mean of its last z and the recent spread of such means. */
  means: readonly { mean: number; spread: number }[];
  /**
   * The spread test: how far the mean of the last SPREAD_WINDOW z² (each clipped) is above its
   * usual value, in units of its usual variation; null while unknown.
   */
  spread?: number | null;
}

/** Combined tail probability of the evidence (module comment), with the rule's direction. */
export function combinedProbability(
  evidence: Evidence,
  direction: 'up' | 'down' | 'both' = 'both',
): number {
  let p = tailProbability(evidence.z / evidence.tail, direction);
  for (const { mean, spread } of evidence.means) {
    if (spread > 0) p = Math.min(p, tailProbability(mean / spread, direction));
  }
  // A burst of variance has no direction: only a two-sided rule hears of it.
  if (direction === 'both' && evidence.spread != null) {
    p = Math.min(p, tailProbability(evidence.spread, 'up'));
  }
  return Math.min(1, TESTS * p);
}
