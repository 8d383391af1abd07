/**
 * The automatic baseline ('auto', issue 16): seasonal when the metric's own history shows a
 * strong daily or weekly season, robust otherwise. Pure.
 *
 * The decision is the backtest's (./seasonality.ts `detectSeasonality`: autocorrelation at the
 * period's lag after centring each period, at least two whole periods, r ≥ 0.3 and ≥ 3/√pairs,
 * the week preferred only when it explains clearly more), made on the metric's stored values
 * averaged per hour over its last 4 weeks: an hour is fine enough for a daily shape (24 steps
 * a day) and averages a minute's sampling noise away, and 4 weeks is what the weekly seasonal
 * baseline reads anyway (so retention keeps it). Every stored value counts, alerted ones too: a
 * morning ramp a robust baseline flagged is the very shape being looked for.
 *
 * Deciding reads weeks of points, too much for every window of thousands of metrics: the
 * detector stores the decision on the metric (detected_season, season_checked_at) and refreshes
 * it when it is older than {@link SEASON_CHECK_MAX_AGE_MS}, a few metrics per tick
 * (workers/services/season-check.ts). Where metric rows become the engine's metrics, the rule is
 * resolved with {@link effectiveRule}, so scoring, interim looks and explanations only ever see
 * 'seasonal' or 'robust' — and the baseline's words say it was detected.
 */
import type { AlertRule, Season, ScoringRule } from '@/lib/types';
import { detectSeasonality, type Seasonality } from './seasonality';

const HOUR_MS = 3_600_000;
/** History the decision reads: 4 weeks (two whole weeks are the least a weekly season needs). */
export const SEASON_CHECK_SPAN_MS = 28 * 24 * HOUR_MS;
/** A stored decision older than this is made again (a metric's shape changes slowly). */
export const SEASON_CHECK_MAX_AGE_MS = 6 * HOUR_MS;
/** Most metrics the detector checks per tick, so that a tick stays short with thousands. */
export const SEASON_CHECKS_PER_TICK = 25;

/** The metric's mean value over one step of the grid (`windowStart` a multiple of the step). */
export interface SeasonSample {
  windowStart: number;
  value: number;
}

/** The decision stored on a metric: the season found (null: none), and when it was made. */
export interface SeasonDecision {
  season: Season | null;
  /** Epoch ms; null while the metric was never checked. */
  checkedAt: number | null;
}

/**
 * The grid step of the decision for a metric whose window is `metricWindowMs` long: an hour, or
 * the metric's window when it is longer (a window of more than 6 hours leaves fewer than 4 steps
 * a day, and so no daily season, by the test's own rule).
 */
export function seasonStep(metricWindowMs: number): number {
  return Math.max(HOUR_MS, metricWindowMs);
}

/**
 * `samples` on a regular grid of `stepMs`, from the first to the last one, NaN where a step has
 * no value: what `detectSeasonality` reads. History before the first sample is not there at
 * all, so a young metric has too few whole periods to show a season.
 */
export function seasonGrid(samples: readonly SeasonSample[], stepMs: number): number[] {
  const finite = samples.filter((s) => Number.isFinite(s.value));
  if (finite.length === 0) return [];
  const slot = (t: number) => Math.floor(t / stepMs);
  let first = Infinity;
  let last = -Infinity;
  for (const s of finite) {
    first = Math.min(first, slot(s.windowStart));
    last = Math.max(last, slot(s.windowStart));
  }
  const grid = new Array<number>(last - first + 1).fill(Number.NaN);
  const sums = new Array<number>(grid.length).fill(0);
  const counts = new Array<number>(grid.length).fill(0);
  for (const s of finite) {
    const i = slot(s.windowStart) - first;
    sums[i]! += s.value;
    counts[i]!++;
  }
  for (let i = 0; i < grid.length; i++) if (counts[i]! > 0) grid[i] = sums[i]! / counts[i]!;
  return grid;
}

/**
 * Decides the season of a metric from its samples (see the module comment); `current`, the
 * stored decision, keeps a weekly season while it still passes (./seasonality.ts).
 */
export function detectMetricSeason(
  samples: readonly SeasonSample[],
  stepMs: number,
  current: Season | null = null,
): Seasonality {
  return detectSeasonality(seasonGrid(samples, stepMs), stepMs, current);
}

/** Whether a decision made at `checkedAt` (null: never) should be made again at `now`. */
export function seasonCheckDue(checkedAt: number | null, now: number): boolean {
  return checkedAt === null || now - checkedAt >= SEASON_CHECK_MAX_AGE_MS;
}

/**
 * The rule the engine scores with: an 'auto' rule becomes 'seasonal' with the detected season,
 * or 'robust' when none was found (or none looked for yet), and carries what was decided for
 * the baseline's words ({@link ScoringRule}); any other rule is returned as it is.
 */
export function effectiveRule(rule: AlertRule, decision: SeasonDecision | null): ScoringRule {
  if (rule.baseline !== 'auto') return rule;
  if (decision?.season) {
    return { ...rule, baseline: 'seasonal', season: decision.season, autoSeason: decision.season };
  }
  const checked = decision !== null && decision.checkedAt !== null;
  return { ...rule, baseline: 'robust', autoSeason: checked ? 'none' : 'unchecked' };
}
