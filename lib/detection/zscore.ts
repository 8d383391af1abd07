/**
 * Detection: a baseline from earlier windows (rolling, robust, or the same slot on earlier days
 * or weeks), a z-score for the current one, and severity from the metric's alert rule. Pure.
 * Validation of rules edited in the browser is ./rule.ts.
 */
import {
  type AlertRule,
  type BaselineKind,
  type Score,
  type Season,
  type ScoringRule,
  type Severity,
} from '@/lib/types';
import { normalTail, studentQuantile } from './normal';

/** Smallest σ ever used, so that z stays finite. */
const ABSOLUTE_SIGMA_FLOOR = 1e-9;
/** σ is at least this fraction of |mean|: a flat series does not turn noise into alerts. */
const RELATIVE_SIGMA_FLOOR = 0.01;
const DEFAULT_MIN_HISTORY = 5;

/**
 * Floors a standard deviation at max(`floor`, 1e-9, 1% of |mean|). A perfectly flat history
 * has σ = 0; without a floor the next tiny wobble would score an absurd z.
 */
export function floorSigma(sigma: number, mean: number, floor = 0): number {
  return Math.max(sigma, floor, ABSOLUTE_SIGMA_FLOOR, RELATIVE_SIGMA_FLOOR * Math.abs(mean));
}

/**
 * Poisson noise of a count with the given mean, √mean, taken at mean ≥ 1 so that a metric
 * that was always 0 scores a single event as z = 1 rather than z = 10⁹. Pass it as
 * `sigmaFloor` for count-like metrics.
 */
export function poissonFloor(mean: number): number {
  return Math.sqrt(Math.max(mean, 1));
}

export interface Baseline {
  mean: number;
  /** Sample standard deviation (n − 1), floored by {@link floorSigma}. */
  sigma: number;
  n: number;
}

/** Mean and floored sample standard deviation of `history`. Empty history: mean 0, n 0. */
export function baseline(history: readonly number[], opts?: { sigmaFloor?: number }): Baseline {
  const n = history.length;
  const mean = n === 0 ? 0 : history.reduce((s, x) => s + x, 0) / n;
  const squares = history.reduce((s, x) => s + (x - mean) ** 2, 0);
  const sigma = n > 1 ? Math.sqrt(squares / (n - 1)) : 0;
  return { mean, sigma: floorSigma(sigma, mean, opts?.sigmaFloor), n };
}

/** Median of a non-empty list (mean of the middle two for an even length); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** MAD × this estimates σ for normally distributed data. */
export const MAD_SCALE = 1.4826;

/**
 * Median and MAD × 1.4826 of `history`, σ floored like {@link baseline}. One extreme value
 * moves the median by at most one rank and leaves the MAD nearly unchanged, where it would
 * drag the mean and inflate σ. Empty history: mean 0, n 0.
 */
export function robustBaseline(
  history: readonly number[],
  opts?: { sigmaFloor?: number },
): Baseline {
  const n = history.length;
  if (n === 0) return { mean: 0, sigma: floorSigma(0, 0, opts?.sigmaFloor), n };
  const { mean, sigma } = medianMad(Float64Array.from(history));
  return { mean, sigma: floorSigma(sigma, mean, opts?.sigmaFloor), n };
}

/**
 * Median and MAD × 1.4826 of `values` (not empty), unfloored, reordering `values` in place: a
 * typed array sorts numerically without a comparator, which matters where it runs per slice and
 * window replayed (./slice-drift.ts).
 */
export function medianMad(values: Float64Array): { mean: number; sigma: number } {
  const center = medianOfSorted(values.sort());
  for (let i = 0; i < values.length; i++) values[i] = Math.abs(values[i]! - center);
  return { mean: center, sigma: MAD_SCALE * medianOfSorted(values.sort()) };
}

function medianOfSorted(sorted: Float64Array): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * MAD's efficiency at the normal distribution: its σ is about as uncertain as a sample standard
 * deviation from 37% as many values (Rousseeuw & Croux 1993).
 */
const MAD_EFFICIENCY = 0.37;

/** Degrees of freedom of a σ estimated by `kind` from `n` values. */
function sigmaDf(kind: 'rolling' | 'robust', n: number): number {
  return kind === 'robust' ? MAD_EFFICIENCY * (n - 1) : n - 1;
}

/**
 * How much a baseline of `n` of its `full` windows widens σ while it is young: the ratio of
 * Student's t quantiles at the warn level's tail, t(ν(n)) / t(ν(full)), and 1 once the baseline
 * is full. A σ from 8 values can be half the true one by chance (the simulator's first minutes
 * alerted on +9% at z 5.2); widened, the warn threshold keeps from the first scored window the
 * false-alarm rate it has with a full baseline. A full baseline is not widened: the thresholds
 * are calibrated on it (docs/detection-quality.md).
 */
export function learningWidening(
  kind: 'rolling' | 'robust',
  n: number,
  full: number,
  warnZ: number,
): number {
  if (n >= full || !(warnZ > 0)) return 1;
  // A warn threshold far out in the tail (a split's corrected one can be) at a p that still
  // differs from 1.
  const p = 1 - Math.max(normalTail(warnZ), 1e-15);
  return studentQuantile(p, sigmaDf(kind, n)) / studentQuantile(p, sigmaDf(kind, full));
}

/**
 * σ and the baseline's words once a `ready` baseline of `n` values is widened while young
 * ({@link learningWidening}); a baseline still learning scores nothing and is left alone.
 */
function widened(
  kind: 'rolling' | 'robust',
  n: number,
  rule: ScoringRule,
  ready: boolean,
  base: { sigma: number; used: string },
): { sigma: number; used: string } {
  const k = ready ? learningWidening(kind, n, rule.baselineWindows, rule.warnZ) : 1;
  if (k <= 1.005) return { sigma: base.sigma * k, used: base.used };
  return {
    sigma: base.sigma * k,
    used: `${base.used}; ${n} of ${rule.baselineWindows} windows, σ ×${k.toFixed(2)} while learning`,
  };
}

/** One earlier window's value, as the baseline reads it. */
export interface HistoryPoint {
  windowStart: number;
  value: number;
}

export const SEASON_MS: Record<Season, number> = { day: 86_400_000, week: 7 * 86_400_000 };
/** How many earlier seasons (k = 1..K) the seasonal baseline reads the same slot of. */
export const SEASONAL_PERIODS: Record<Season, number> = { day: 7, week: 4 };
/** Fewest same-slot values the seasonal baseline needs; with fewer it falls back to rolling. */
export const SEASONAL_MIN_PERIODS = 3;

/** Plural: SEASONAL_MIN_PERIODS is more than one. */
const SEASON_WORDS: Record<Season, string> = { day: 'days', week: 'weeks' };
const SEASON_ADJECTIVES: Record<Season, string> = { day: 'daily', week: 'weekly' };

/**
 * What an automatic baseline adds to the words of the baseline it resolved to, or '' for a
 * rule that was not 'auto' (see {@link ScoringRule}).
 */
function autoWords(rule: ScoringRule): string {
  switch (rule.autoSeason) {
    case undefined:
      return '';
    case 'none':
      return 'no daily or weekly season detected';
    case 'unchecked':
      return 'season not checked yet';
    default:
      return `${SEASON_ADJECTIVES[rule.autoSeason]} season detected`;
  }
}

/** A floor on σ in the metric's unit, or one that depends on the expected value. */
export type SigmaFloor = number | ((expected: number) => number);

export interface BaselineOptions {
  /** Finite history values needed before scoring (capped at rule.baselineWindows). Default 5. */
  minHistory?: number;
  /**
   * Lower bound for σ besides rule.sigmaFloor, e.g. the window's sampling noise
   * ({@link poissonFloor} for counts); a function receives the expected value.
   */
  sigmaFloor?: SigmaFloor;
}

export interface ChosenBaseline extends Baseline {
  /** The kind actually used (seasonal falls back to rolling while its history is short). */
  kind: BaselineKind;
  /** In words, with the reason for a fallback: see {@link Score.baselineUsed}. */
  used: string;
  /** Window starts the baseline was computed from, oldest first. */
  windows: number[];
  /** False while there is not enough history to score: the window is 'learning'. */
  ready: boolean;
}

function finite(points: readonly HistoryPoint[]): HistoryPoint[] {
  return points.filter((p) => Number.isFinite(p.value));
}

/**
 * The baseline `rule` asks for, over `history` (earlier windows, oldest first, anomalous ones
 * already left out; the last `rule.baselineWindows` finite values are used) and
 * `seasonalHistory` (the same slot on earlier days or weeks, oldest first; the last
 * SEASONAL_PERIODS[season] are used). σ is floored at rule.sigmaFloor, `opts.sigmaFloor`, 1e-9
 * and 1% of |expected|.
 *
 * Seasonal: with at least SEASONAL_MIN_PERIODS same-slot values, their mean; σ is the larger of
 * their spread and the recent windows' spread (3 to 7 values alone would understate it too
 * often). With fewer, the rolling baseline, and `used` says why. A rule resolved from 'auto'
 * says so in `used`: 'seasonal (daily, detected)', 'robust (no daily or weekly season detected)'.
 */
export function chooseBaseline(
  history: readonly HistoryPoint[],
  seasonalHistory: readonly HistoryPoint[],
  rule: ScoringRule,
  opts?: BaselineOptions,
): ChosenBaseline {
  const auto = autoWords(rule);
  const recent = finite(history).slice(-rule.baselineWindows);
  const minHistory = Math.min(opts?.minHistory ?? DEFAULT_MIN_HISTORY, rule.baselineWindows);
  const floorAt = (expected: number) => {
    const extra = opts?.sigmaFloor;
    return Math.max(rule.sigmaFloor, typeof extra === 'function' ? extra(expected) : (extra ?? 0));
  };
  const values = recent.map((p) => p.value);

  if (rule.baseline === 'seasonal') {
    const same = finite(seasonalHistory).slice(-SEASONAL_PERIODS[rule.season]);
    if (same.length >= SEASONAL_MIN_PERIODS) {
      const slot = baseline(same.map((p) => p.value));
      const spread = recent.length > 1 ? baseline(values).sigma : 0;
      const sigma = floorSigma(Math.max(slot.sigma, spread), slot.mean, floorAt(slot.mean));
      return {
        mean: slot.mean,
        sigma,
        n: same.length,
        kind: 'seasonal',
        used: auto ? `seasonal (${SEASON_ADJECTIVES[rule.season]}, detected)` : 'seasonal',
        windows: same.map((p) => p.windowStart),
        ready: true,
      };
    }
    const unit = SEASON_WORDS[rule.season];
    const rolling = baseline(values);
    const floored = baseline(values, { sigmaFloor: floorAt(rolling.mean) });
    const ready = recent.length >= minHistory;
    return {
      ...floored,
      ...widened('rolling', values.length, rule, ready, {
        sigma: floored.sigma,
        used: `rolling (not enough seasonal history: ${same.length} of ${SEASONAL_MIN_PERIODS} ${unit}${auto ? `; ${auto}` : ''})`,
      }),
      kind: 'rolling',
      windows: recent.map((p) => p.windowStart),
      ready,
    };
  }

  // An 'auto' rule arrives resolved (effectiveRule); one that did not is robust, its meaning
  // while no season is known.
  const kind = rule.baseline === 'rolling' ? 'rolling' : 'robust';
  const compute = kind === 'robust' ? robustBaseline : baseline;
  const center = compute(values).mean;
  const computed = compute(values, { sigmaFloor: floorAt(center) });
  const ready = recent.length >= minHistory;
  return {
    ...computed,
    ...widened(kind, values.length, rule, ready, {
      sigma: computed.sigma,
      used: auto ? `${kind} (${auto})` : kind,
    }),
    kind,
    windows: recent.map((p) => p.windowStart),
    ready,
  };
}

/** Severity of `z` under `rule`, or null; a one-sided rule ignores the other side. */
export function severityOf(z: number, rule: AlertRule): Severity | null {
  if ((rule.direction === 'up' && z <= 0) || (rule.direction === 'down' && z >= 0)) return null;
  const size = Math.abs(z);
  if (size >= rule.criticalZ) return 'critical';
  if (size >= rule.warnZ) return 'warn';
  return null;
}

export interface ScoreOptions extends BaselineOptions {
  /**
   * The volume the baseline expects, from the expected value (e.g. the expected value itself
   * for a count). A window under rule.minVolume is still scored when this is at least
   * rule.minVolume: a metric whose events stopped is an anomaly, not low volume.
   */
  expectedVolume?: (expected: number) => number;
}

/**
 * Scores a window's value against the baseline `rule` asks for (see {@link chooseBaseline}):
 * - 'learning' while there is not enough history (z = 0);
 * - 'low_volume' when the value is null (value NaN, z = 0) or when both the volume and the
 *   expected volume (`opts.expectedVolume`, 0 without it) are under rule.minVolume (z is
 *   computed but there is no severity): a quiet metric stays quiet, one that stopped alerts;
 * - otherwise z = (value − expected) / σ and the status is the severity, or 'ok'.
 * Whether an anomaly opens is the lifecycle's call (lib/detection/hysteresis.ts), not this one's.
 */
export function score(
  value: number | null,
  volume: number,
  history: readonly HistoryPoint[],
  seasonalHistory: readonly HistoryPoint[],
  rule: AlertRule,
  opts?: ScoreOptions,
): Score {
  const base = chooseBaseline(history, seasonalHistory, rule, opts);
  const { mean, sigma } = base;
  const unscored = {
    value: value ?? Number.NaN,
    expected: mean,
    sigma,
    z: 0,
    severity: null,
    direction: null,
    baselineUsed: base.used,
  };
  if (!base.ready) return { ...unscored, status: 'learning' };
  if (value === null) return { ...unscored, status: 'low_volume' };

  const z = (value - mean) / sigma;
  const direction = z > 0 ? 'up' : z < 0 ? 'down' : null;
  const scored = { value, expected: mean, sigma, z, direction, baselineUsed: base.used } as const;
  const expectedVolume = opts?.expectedVolume?.(mean) ?? 0;
  if (volume < rule.minVolume && !(expectedVolume >= rule.minVolume)) {
    return { ...scored, status: 'low_volume', severity: null };
  }
  const severity = severityOf(z, rule);
  return { ...scored, status: severity ?? 'ok', severity };
}
