/**
 * Seasonality from a series' own history: is there a daily or a weekly period, and which one to
 * use? Pure. Used by the series model of `npm run backtest` (lib/detection/series-model.ts).
 *
 * The test is the autocorrelation at the period's lag, on a regular grid (one value per step,
 * NaN for a gap), after each whole period is centred on its own mean. Centring per period
 * removes the level and any trend slower than a period, so a random walk or a level shift does
 * not pass for a season (the increments of two different periods are independent, and so are
 * their deviations from their own means), while a shape that repeats every period keeps its
 * full correlation: an exact repetition scores 1.
 *
 * A period is seasonal when at least two whole periods are present and the correlation is at
 * least MIN_CORRELATION and at least 3/√pairs (three standard errors of the correlation of white
 * noise over that many pairs, so that 14 daily points cannot prove a weekly shape by chance).
 * When both are, the week is chosen only when it leaves at most WEEK_MARGIN of what the day
 * leaves unexplained (1 − correlation): it reads fewer same-slot values, so the day is the
 * better baseline when both fit about as well. A weekly shape with quiet weekends correlates
 * 0.89 at a day's lag and 0.99 at a week's: the week leaves a tenth.
 *
 * `current` makes the week sticky: a week in use stays while it still passes, so a series near
 * the margin does not switch between day and week every day.
 */

export type SeasonName = 'day' | 'week';

export const DAY_MS = 86_400_000;
export const PERIOD_MS: Record<SeasonName, number> = { day: DAY_MS, week: 7 * DAY_MS };
/** Correlation at the period's lag needed to call it seasonal. */
export const MIN_CORRELATION = 0.3;
/** Share of the day's unexplained correlation (1 − r) the week may leave to be preferred. */
export const WEEK_MARGIN = 0.5;
/** Fewest grid steps per period: a daily period of daily points is no season. */
export const MIN_STEPS_PER_PERIOD = 4;

export interface SeasonCandidate {
  season: SeasonName;
  /** Grid steps per period. */
  steps: number;
  /** Correlation at lag `steps` after centring each period, or null when not computable. */
  correlation: number | null;
  /** Pairs of finite values the correlation was computed from. */
  pairs: number;
  seasonal: boolean;
}

export interface Seasonality {
  /** The period to use, or null: no season found (or not enough history to look). */
  season: SeasonName | null;
  candidates: SeasonCandidate[];
}

/** Median of the positive gaps between sorted timestamps, the series' step; null for < 2 distinct times. */
export function medianStep(sortedTimes: readonly number[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < sortedTimes.length; i++) {
    const gap = sortedTimes[i]! - sortedTimes[i - 1]!;
    if (gap > 0) gaps.push(gap);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  return gaps[gaps.length >> 1]!;
}

/** `values` with each whole block of `period` values (from the start) centred on its own mean. */
export function centrePerPeriod(values: readonly number[], period: number): number[] {
  const out = values.slice();
  for (let start = 0; start < values.length; start += period) {
    const end = Math.min(start + period, values.length);
    let sum = 0;
    let n = 0;
    for (let i = start; i < end; i++) {
      if (Number.isFinite(values[i])) {
        sum += values[i]!;
        n++;
      }
    }
    const mean = n > 0 ? sum / n : 0;
    for (let i = start; i < end; i++) out[i] = values[i]! - mean;
  }
  return out;
}

/** Pearson correlation of y[i] and y[i + lag] over the pairs where both are finite. */
export function lagCorrelation(
  y: readonly number[],
  lag: number,
): { correlation: number | null; pairs: number } {
  let n = 0;
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  for (let i = 0; i + lag < y.length; i++) {
    const a = y[i]!;
    const b = y[i + lag]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    n++;
    sa += a;
    sb += b;
    saa += a * a;
    sbb += b * b;
    sab += a * b;
  }
  if (n < 3) return { correlation: null, pairs: n };
  const va = saa - (sa * sa) / n;
  const vb = sbb - (sb * sb) / n;
  // A flat series (or a flat half) has no shape to repeat.
  const tiny = 1e-12 * Math.max(saa, sbb, 1);
  if (va <= tiny || vb <= tiny) return { correlation: null, pairs: n };
  const r = (sab - (sa * sb) / n) / Math.sqrt(va * vb);
  return { correlation: Math.max(-1, Math.min(1, r)), pairs: n };
}

/**
 * Tests the daily and weekly periods on `grid` (one value per `stepMs`, oldest first, NaN for a
 * step with no point): see the module comment.
 */
export function detectSeasonality(
  grid: readonly number[],
  stepMs: number,
  current: SeasonName | null = null,
): Seasonality {
  const candidates: SeasonCandidate[] = (['day', 'week'] as const).map((season) => {
    const steps = Math.round(PERIOD_MS[season] / stepMs);
    if (steps < MIN_STEPS_PER_PERIOD || grid.length < 2 * steps) {
      return { season, steps, correlation: null, pairs: 0, seasonal: false };
    }
    // Whole periods only, the latest ones: a partial period would be centred on a biased mean.
    const whole = grid.slice(grid.length - Math.floor(grid.length / steps) * steps);
    const { correlation, pairs } = lagCorrelation(centrePerPeriod(whole, steps), steps);
    const seasonal =
      correlation !== null &&
      correlation >= MIN_CORRELATION &&
      correlation >= 3 / Math.sqrt(Math.max(pairs, 1));
    return { season, steps, correlation, pairs, seasonal };
  });
  const [day, week] = candidates as [SeasonCandidate, SeasonCandidate];
  if (current === 'week' && week.seasonal) return { season: 'week', candidates };
  let season: SeasonName | null = null;
  if (
    week.seasonal &&
    (!day.seasonal || 1 - week.correlation! <= WEEK_MARGIN * (1 - day.correlation!))
  ) {
    season = 'week';
  } else if (day.seasonal) {
    season = 'day';
  }
  return { season, candidates };
}
