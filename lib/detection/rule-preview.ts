/**
 * Threshold preview, pure: what an alert rule would have done over a metric's stored history,
 * decided by the detector's own engine — lib/detection/engine `scoreBaseWindow` over an in-memory store
 * (lib/detection/memory-store) — so that cells, baselines, σ floors and hysteresis are the live
 * detector's, and a preview of the saved rule is what the detector stored:
 * - the windows re-scored are those of the range the detector scored (it stored a point), in
 *   time order;
 * - each is scored from the total slice of its cells, which is all scoring reads (lib/detection/score-window
 *   `scoreWindow`); a filtered metric's totals come already filtered from the leaf cube, and
 *   are scored as an unfiltered metric's (filters only decide which events the cells hold);
 * - before the range, the baselines and the pending run read the points the detector stored,
 *   as the detector reads them; in the range, the preview's own verdicts, so the windows the
 *   rule flags stay out of later baselines;
 * - no anomaly is open when the range starts (an incident the detector had open then is seen
 *   afresh from its first flagged window in the range), and none is explained;
 * - an 'auto' baseline is resolved with the season detected from the stored points of the 4
 *   weeks up to the range's end (./auto-season.ts, {@link previewSeasonRange}), as the detector
 *   decides it, but made afresh: a rule just switched to 'auto' previews what it will do.
 * The candidate rule and the saved one are compared on the same data before saving.
 */
import { SLICE_DRIFT_WINDOWS } from './slice-drift';
import { scoreBaseWindow, type MetricOutcome } from './engine';
import { MemoryEngineStore } from './memory-store';
import { SEASON_MS, SEASONAL_PERIODS } from './zscore';
import {
  effectiveRule,
  SEASON_CHECK_SPAN_MS,
  seasonStep,
  type SeasonDecision,
} from './auto-season';
import type { ReplayedAnomaly } from './hysteresis';
import type { AlertRule, MetricDefinition, RollupDelta, WindowPoint } from '@/lib/types';

/**
 * One window as the rule would have scored it, shaped like a board point for the charts; its
 * `anomalyId` is the index into the outcome's anomalies of the anomaly the window belongs to.
 */
export type PreviewWindow = WindowPoint;

export interface PreviewCounts {
  /** Windows with a z (not learning, with a value). */
  scored: number;
  warn: number;
  critical: number;
  learning: number;
  /** Flagged windows that no anomaly covers (fewer than consecutiveWindows in a row). */
  unconfirmed: number;
  /** Anomalies that would have opened in the range. */
  anomalies: number;
}

export interface PreviewOutcome {
  counts: PreviewCounts;
  anomalies: ReplayedAnomaly[];
  /** The baseline the last window used, e.g. 'rolling (not enough seasonal history: 2 of 3 days)'. */
  baselineUsed: string | null;
}

/** A range of window starts, both ends included. */
export interface WindowRange {
  from: number;
  to: number;
}

/** What a preview of `rules` over `range` reads from storage (see {@link previewReads}). */
export interface PreviewReads {
  /** The metric's latest stored points before `range.from` to read: baselines and pending run. */
  before: number;
  /** Earlier ranges whose stored points seasonal baselines read (the range k days/weeks back). */
  seasonal: WindowRange[];
  /** Base windows [cellsFrom, cellsTo) whose cells the range's metric windows are made of. */
  cellsFrom: number;
  cellsTo: number;
}

/**
 * What previewing `rules` over the metric windows `range` (of `windowMs` each) needs from
 * storage. Before the range, the detector's store reads the latest 2·baselineWindows points
 * (baselineHistory) and the points of the last consecutiveWindows windows (the pending run);
 * a seasonal rule reads the same slot on the earlier days or weeks, and so does an 'auto' rule
 * with the season detected (`season`, see {@link previewSeasonRange}); the slice drift test
 * (./slice-drift.ts) reads the cells of {@link SLICE_DRIFT_WINDOWS} metric windows before each.
 */
export function previewReads(
  rules: readonly AlertRule[],
  range: WindowRange,
  windowMs: number,
  season: SeasonDecision | null = null,
): PreviewReads {
  let before = 0;
  const seasonal = new Map<number, WindowRange>();
  for (const rule of rules.map((r) => effectiveRule(r, season))) {
    before = Math.max(before, 2 * rule.baselineWindows, rule.consecutiveWindows);
    if (rule.baseline !== 'seasonal') continue;
    for (let k = 1; k <= SEASONAL_PERIODS[rule.season]; k++) {
      const shift = k * SEASON_MS[rule.season];
      seasonal.set(shift, { from: range.from - shift, to: range.to - shift });
    }
  }
  return {
    before,
    seasonal: [...seasonal.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r),
    // The slice drift test reads the cells of the metric windows before each one it scores.
    cellsFrom: range.from - SLICE_DRIFT_WINDOWS * windowMs,
    cellsTo: range.to + windowMs,
  };
}

/**
 * The stored points an 'auto' rule's preview detects the season from: the metric's values over
 * the 4 weeks up to the end of `range` (of `windowMs` windows), averaged per `stepMs`.
 */
export function previewSeasonRange(
  range: WindowRange,
  windowMs: number,
): WindowRange & { stepMs: number } {
  const to = range.to + windowMs;
  return { from: to - SEASON_CHECK_SPAN_MS, to, stepMs: seasonStep(windowMs) };
}

export interface PreviewInput {
  metric: MetricDefinition;
  /** The rule to preview; an 'auto' baseline is resolved with `season`. */
  rule: AlertRule;
  /**
   * The season detected from the stored points of {@link previewSeasonRange}, made at
   * `checkedAt`; null or absent: none looked for (an 'auto' rule is then robust).
   */
  season?: SeasonDecision | null;
  /** The detector's base window (PULSE_WINDOW); the metric's window is a multiple of it. */
  baseWindowMs: number;
  /** Metric windows [from, to] (window starts) to re-score. */
  range: WindowRange;
  /**
   * Cells of the base windows of the range: at least their total slice (dim = value = TOTAL)
   * of the metric's event types; for a filtered metric, the filtered totals.
   */
  cells: readonly RollupDelta[];
  /**
   * Stored points: those in the range (the windows to re-score; their values are not read)
   * and before it what {@link previewReads} asks for. Any order.
   */
  points: readonly WindowPoint[];
}

function finiteOrNull(x: number | null): number | null {
  return x !== null && Number.isFinite(x) ? x : null;
}

/** A recorded point as the preview shows it: no expected value or z while learning. */
export function previewWindow(point: WindowPoint, anomalyId: number | null): PreviewWindow {
  const learning = point.status === 'learning';
  const scored = !learning && point.value !== null;
  return {
    windowStart: point.windowStart,
    value: point.value,
    expected: learning ? null : finiteOrNull(point.expected),
    sigma: learning ? null : finiteOrNull(point.sigma),
    z: scored ? finiteOrNull(point.z) : null,
    volume: point.volume,
    status: point.status,
    anomalyId,
  };
}

/**
 * The anomalies a run of outcomes (one metric, time order) opened, as the lifecycle left each
 * one, and the store's anomaly id → index into them.
 */
export function anomaliesOf(
  outcomes: readonly (Pick<MetricOutcome, 'step' | 'openId' | 'windowStart'> & {
    anomalyId: number | null;
  })[],
): {
  anomalies: ReplayedAnomaly[];
  index: Map<number, number>;
} {
  const anomalies: ReplayedAnomaly[] = [];
  const index = new Map<number, number>();
  for (const { step, anomalyId, openId, windowStart } of outcomes) {
    if (step.kind === 'open') {
      const i = anomalies.push({ ...step.anomaly, resolved: false, resolvedAt: null }) - 1;
      if (anomalyId !== null) index.set(anomalyId, i);
    } else if (step.kind === 'extend' || step.kind === 'count_normal' || step.kind === 'resolve') {
      const i = openId === null ? undefined : index.get(openId);
      if (i === undefined) continue;
      const resolved = step.kind === 'resolve';
      anomalies[i] = { ...step.anomaly, resolved, resolvedAt: resolved ? windowStart : null };
    }
  }
  return { anomalies, index };
}

/** Counts of a preview's windows. */
export function previewCounts(
  windows: readonly PreviewWindow[],
  anomalies: readonly ReplayedAnomaly[],
): PreviewCounts {
  const counts: PreviewCounts = {
    scored: 0,
    warn: 0,
    critical: 0,
    learning: 0,
    unconfirmed: 0,
    anomalies: anomalies.length,
  };
  for (const w of windows) {
    if (w.status === 'learning') counts.learning++;
    if (w.z !== null) counts.scored++;
    if (w.status === 'warn' || w.status === 'critical') {
      counts[w.status]++;
      if (w.anomalyId === null) counts.unconfirmed++;
    }
  }
  return counts;
}

/**
 * Re-scores the range with `rule` through the detector's engine: per window the point it would
 * have stored, and the anomalies its lifecycle would have opened.
 */
export async function previewMetric(input: PreviewInput): Promise<{
  windows: PreviewWindow[];
  outcome: PreviewOutcome;
}> {
  const { baseWindowMs, range } = input;
  const rule = effectiveRule(input.rule, input.season ?? null);
  // Scored whether enabled or not (the detector skips disabled metrics); the cells are already
  // filtered, so the engine reads them as they are.
  const metric: MetricDefinition = { ...input.metric, enabled: true, filters: {} };
  const windowMs = baseWindowMs * metric.windowMultiple;
  const store = new MemoryEngineStore();
  store.addRollups(input.cells);
  store.addPoints(
    input.points
      .filter((p) => p.windowStart < range.from)
      .map((p) => ({ ...p, metricId: metric.id })),
  );
  const targets = [
    ...new Set(
      input.points.map((p) => p.windowStart).filter((w) => w >= range.from && w <= range.to),
    ),
  ].sort((a, b) => a - b);

  const outcomes = [];
  for (const windowStart of targets) {
    const last = windowStart + windowMs - baseWindowMs;
    outcomes.push(
      ...(await scoreBaseWindow(store, [{ definition: metric, rule }], last, baseWindowMs, {
        explain: false,
      })),
    );
  }

  const { anomalies, index } = anomaliesOf(outcomes);
  const windows = store
    .points(metric.id)
    .filter((p) => p.windowStart >= range.from && p.windowStart <= range.to)
    .map((p) => previewWindow(p, p.anomalyId === null ? null : (index.get(p.anomalyId) ?? null)));
  return {
    windows,
    outcome: {
      counts: previewCounts(windows, anomalies),
      anomalies,
      baselineUsed: outcomes.at(-1)?.score.baselineUsed ?? null,
    },
  };
}

/** The rule route's answer to a save: the rule as stored, and a pending re-score request. */
export interface SavedRule {
  rule: AlertRule;
  /** Window from which stored history will be re-scored, or null when none is pending. */
  rescoreFrom: number | null;
}

/** The preview endpoint's answer: a candidate rule and the saved one over the same windows. */
export interface RulePreview {
  /** First and last window start of the range, and the metric's window length. */
  from: number;
  to: number;
  windowMs: number;
  /** The candidate rule's verdict per stored window of the range, oldest first. */
  windows: PreviewWindow[];
  candidate: PreviewOutcome;
  /** The saved rule over the same windows, re-scored the same way. */
  current: PreviewOutcome;
}
