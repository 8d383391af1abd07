/**
 * The detection engine: what happens to every metric when a base window closes. One
 * implementation for the live detector (workers/services/detector.ts, over PostgreSQL), the backtest and
 * the quality evaluation (over memory): they differ only in the {@link EngineStore} they pass.
 *
 * For each enabled metric whose own window (k base windows) ends with this base window:
 * 1. its cells — marginal rollups, or the leaf cube projected through its filters — merged over
 *    its k base windows;
 * 2. the score against the baseline its rule asks for (lib/detection/score-window `scoreWindow`);
 * 3. the drift test (lib/detection/drift: a CUSUM over the z of the metric's recent stored
 *    points, replayed, and this window's) and the lifecycle step with hysteresis
 *    (lib/detection/hysteresis `stepIncident`), which an alarm of the drift test opens at once;
 * 4. when an anomaly opens or reaches a new peak, the explanation: per-dimension breakdown
 *    and the multi-dimensional root cause over the leaf cube (lib/detection/explain-anomaly);
 * 5. the store records the point and the step.
 */
import { scoreWindow } from './score-window';
import {
  driftRootCause,
  explainAnomaly,
  withDrift,
  withDriftRootCause,
  type DriftWords,
  type WindowCells,
} from './explain-anomaly';
import { stepIncident, type IncidentState, type IncidentStep, type Side } from './hysteresis';
import { confirmingStep, type InterimRef } from './interim';
import {
  driftBefore,
  driftParams,
  stepDrift,
  DRIFT_MEMORY,
  type DriftParams,
  type DriftPoint,
} from './drift';
import {
  sliceDrift,
  SLICE_DRIFT_WINDOWS,
  type SliceDriftVerdict,
  type SliceMemo,
} from './slice-drift';
import { baseWindowsOf, isMetricWindowEnd, mergeWindows } from '@/lib/metrics/metric-windows';
import { cellsFromLeaves, definitionEventTypes, needsLeaves } from '@/lib/metrics/cells';
import { SEASONAL_PERIODS, type HistoryPoint } from './zscore';
import type {
  AlertRule,
  Explanation,
  LeafDelta,
  MetricDefinition,
  RollupDelta,
  RootCause,
  Score,
  Season,
} from '@/lib/types';

export interface EngineMetric {
  definition: MetricDefinition;
  rule: AlertRule;
}

/** Where the engine reads history and writes verdicts. All window starts are epoch ms. */
export interface EngineStore {
  /** Marginal rollup cells of the given base windows and event types. */
  cells(windowStarts: number[], eventTypes: string[]): Promise<RollupDelta[]>;
  /** Leaf-cube cells of the given base windows and event types. */
  leaves(windowStarts: number[], eventTypes: string[]): Promise<LeafDelta[]>;
  /** Up to `limit` earlier values of the metric, oldest first, windows that alerted left out. */
  /**
   * The baseline points before `before` (db/queries/points `baselineHistory`). `spanMs`, the
   * metric's window, lets a store read only the recent history the answer lies in.
   */
  history(
    metricId: number,
    before: number,
    limit: number,
    spanMs?: number,
  ): Promise<HistoryPoint[]>;
  /** The metric's values at the same slot `k` seasons back, oldest first (non-alerting). */
  seasonal(
    metricId: number,
    windowStart: number,
    season: Season,
    k: number,
  ): Promise<HistoryPoint[]>;
  /** The metric's hysteresis state just before `windowStart`. */
  incident(
    metricId: number,
    windowStart: number,
    windowMs: number,
    consecutiveWindows: number,
  ): Promise<IncidentState & { openId: number | null }>;
  /**
   * The metric's stored points (window start, z, status) of the windows in
   * [before − limit·windowMs, before), oldest first: the drift test replays them
   * (lib/detection/drift `driftBefore`). A store without it runs no drift test.
   */
  recentPoints?(
    metricId: number,
    before: number,
    limit: number,
    windowMs: number,
  ): Promise<DriftPoint[]>;
  /**
   * The id of the metric's interim anomaly opened early for its window starting at
   * `windowStart` (./interim-engine.ts), or null. A store without it has none.
   */
  interimAnomaly?(metricId: number, windowStart: number): Promise<InterimRef | null>;
  /**
   * What the slice drift test (./slice-drift.ts) keeps across windows: a store that lives
   * longer than one window (the evaluation's) or is given one (the detector's) makes each
   * window observe only its own cells. Without it the test reads and computes them all again;
   * the answers are the same.
   */
  readonly sliceMemo?: SliceMemo;
  /** Stores the outcome; returns the id of the anomaly it opened or changed, if any. */
  record(outcome: MetricOutcome): Promise<number | null>;
  /**
   * Called by {@link scoreBaseWindow} once, before its loop, with the metrics whose window ends
   * with base window `baseWindowStart`: a store may read what their `history`, `seasonal`,
   * `incident` and `recentPoints` calls of this window will ask for, for all of them at once,
   * and answer those calls from it (the same answers as reading one metric at a time). From
   * here to {@link flush} it may also hold back the writes of `record` that nothing in the loop
   * reads (db/queries/engine-store.ts).
   */
  prepare?(
    metrics: readonly EngineMetric[],
    baseWindowStart: number,
    baseWindowMs: number,
  ): Promise<void>;
  /** Called by {@link scoreBaseWindow} after its loop: writes what `record` held back. */
  flush?(): Promise<void>;
}

/** One metric's verdict on one of its windows. */
export interface MetricOutcome {
  metric: MetricDefinition;
  rule: AlertRule;
  /** Start and length of the metric's window (k base windows). */
  windowStart: number;
  windowMs: number;
  score: Score;
  volume: number;
  step: IncidentStep;
  /** The open anomaly before this step (null when none was open). */
  openId: number | null;
  /**
   * Set when the step opens an anomaly or moves its peak: the peak window's score and
   * explanation (an anomaly that opens after several windows in a row may peak before this one).
   */
  peak: Peak | null;
  /**
   * The interim anomaly opened early for this window (./interim-engine.ts): the store confirms
   * it in place when the step opens, and withdraws it otherwise.
   */
  interimId?: number | null;
}

export interface Peak {
  windowStart: number;
  score: Score;
  explanation: Explanation;
}

/** Leaf-cube cells of a metric's event types over its window [start, start + k·w). */
async function metricLeaves(
  store: Pick<EngineStore, 'leaves'>,
  metric: MetricDefinition,
  windowStart: number,
  baseWindowMs: number,
): Promise<LeafDelta[]> {
  const windows = baseWindowsOf(windowStart, baseWindowMs, metric.windowMultiple);
  const leaves = await store.leaves(windows, definitionEventTypes(metric));
  return leaves.map((l) => ({ ...l, windowStart }));
}

/** Cells of a metric over its window [start, start + k·w): marginal, or filtered leaves. */
export async function metricCells(
  store: Pick<EngineStore, 'cells' | 'leaves'>,
  metric: MetricDefinition,
  windowStart: number,
  baseWindowMs: number,
): Promise<{ cells: RollupDelta[]; leaves: LeafDelta[] }> {
  const windows = baseWindowsOf(windowStart, baseWindowMs, metric.windowMultiple);
  const types = definitionEventTypes(metric);
  const leaves = await store.leaves(windows, types);
  const raw = needsLeaves(metric)
    ? cellsFromLeaves(metric, leaves)
    : await store.cells(windows, types);
  return {
    cells: mergeWindows(raw, windowStart, baseWindowMs, metric.windowMultiple),
    leaves: leaves.map((l) => ({ ...l, windowStart })),
  };
}

/**
 * Scores every metric whose window ends with the base window `baseWindowStart`, in order, and
 * records each outcome. Returns the outcomes with the anomaly ids the store gave them.
 * `explain: false` (a rule preview, which only wants verdicts) gives peaks an empty
 * explanation instead of reading the leaf cube to explain them; scores, steps and records are
 * otherwise the same.
 */
export async function scoreBaseWindow(
  store: EngineStore,
  metrics: readonly EngineMetric[],
  baseWindowStart: number,
  baseWindowMs: number,
  options: { explain?: boolean } = {},
): Promise<(MetricOutcome & { anomalyId: number | null })[]> {
  const explained = async (explain: () => Promise<Explanation>): Promise<Explanation> =>
    options.explain === false ? { dimensions: {}, top: [], sentence: '' } : explain();
  const outcomes = [];
  const due = metrics.filter(
    ({ definition: m }) =>
      m.enabled && isMetricWindowEnd(baseWindowStart, baseWindowMs, m.windowMultiple),
  );
  await store.prepare?.(due, baseWindowStart, baseWindowMs);
  for (const { definition: metric, rule } of due) {
    const windowMs = baseWindowMs * metric.windowMultiple;
    const windowStart = baseWindowStart + baseWindowMs - windowMs;
    const outcome = await assessMetric(store, metric, rule, windowStart, baseWindowMs);
    const interim = (await store.interimAnomaly?.(metric.id, windowStart)) ?? null;
    const state = await store.incident(metric.id, windowStart, windowMs, rule.consecutiveWindows);
    const recent = store.recentPoints
      ? await store.recentPoints(metric.id, windowStart, DRIFT_MEMORY, windowMs)
      : null;
    const params = driftParams(rule);
    const drift = recent
      ? stepDrift(
          driftBefore(recent, windowStart, windowMs, rule.direction, params),
          outcome.score,
          rule.direction,
          params,
        )
      : null;
    // The slice drift test (./slice-drift.ts) on a window the total's tests leave normal.
    const slices = (points: readonly DriftPoint[]) =>
      sliceAlarm(store, metric, rule, points, windowStart, baseWindowMs, outcome.score, params);
    const slice =
      recent && drift && !drift.alarm && outcome.score.status === 'ok' && !outcome.score.severity
        ? await slices(recent)
        : null;
    const alarm = drift?.alarm ?? slice?.alarm ?? null;
    // An anomaly the drift test opened starts at a window that is normal by the threshold. While
    // its sum on the anomaly's side stays above 0 the drift goes on and the anomaly stays open
    // (anomalies the threshold opened resolve as before); its explanation says "drifting up for
    // N windows", N counting from where the drift began.
    const open = state.open;
    const openedByDrift =
      open !== null && recent?.find((p) => p.windowStart === open.firstWindow)?.status === 'ok';
    const building: Side[] = [];
    if (
      open &&
      openedByDrift &&
      drift &&
      (drift.state[open.direction].sum > 0 || slice?.building.includes(open.direction))
    ) {
      building.push(open.direction);
    }
    const { step: next } = stepIncident(
      state,
      {
        windowStart,
        severity: outcome.score.severity ?? (alarm ? 'warn' : null),
        z: outcome.score.z,
        ...(drift
          ? {
              drift: {
                alarmSince: alarm ? windowStart - (alarm.windows - 1) * windowMs : null,
                building,
              },
            }
          : {}),
      },
      rule,
    );
    // An interim anomaly of this window (./interim.ts): an anomalous window confirms it.
    const step = interim ? confirmingStep(next, interim.direction) : next;
    // A drift anomaly's later peaks name the slice that still drifts on its side, if one does:
    // on a window the threshold found anomalous the slice test did not run above, so it runs
    // here for the words alone (its verdict changes nothing else).
    const peaks = step.kind === 'open' || (step.kind === 'extend' && step.peak);
    const namedSlice =
      options.explain !== false &&
      open &&
      openedByDrift &&
      peaks &&
      recent &&
      outcome.score.status !== 'learning'
        ? (slice ?? (await slices(recent)))
        : null;
    const drifting: DriftWords | null =
      open && openedByDrift
        ? {
            direction: open.direction,
            windows: Math.round((windowStart - open.firstWindow) / windowMs) + 1,
            ...namedSlice?.buildingSlice[open.direction],
          }
        : alarm;
    // Where the drift began: the open anomaly's first window, or the alarm's.
    const driftFrom =
      open && openedByDrift
        ? open.firstWindow
        : alarm
          ? windowStart - (alarm.windows - 1) * windowMs
          : null;
    // A drift's peak whose own window names no root cause is explained over the drift's span.
    const told = async (assessed: Awaited<ReturnType<typeof assessMetric>>, at: number) => {
      const explanation = await explained(assessed.explain);
      if (!drifting) return explanation;
      const spanned =
        options.explain !== false &&
        driftFrom !== null &&
        driftFrom < at &&
        (explanation.rootCause?.set.length ?? 0) === 0
          ? withDriftRootCause(explanation, await assessed.explainDrift(driftFrom))
          : explanation;
      return withDrift(spanned, drifting);
    };
    let peak: Peak | null = null;
    if (step.kind === 'open' && step.anomaly.peakWindow !== windowStart) {
      // The run peaked before this window: explain the peak as it was scored then.
      const then = await assessMetric(store, metric, rule, step.anomaly.peakWindow, baseWindowMs);
      peak = {
        windowStart: step.anomaly.peakWindow,
        score: then.score,
        explanation: await told(then, step.anomaly.peakWindow),
      };
    } else if (step.kind === 'open' || (step.kind === 'extend' && step.peak)) {
      peak = {
        windowStart,
        score: outcome.score,
        explanation: await told(outcome, windowStart),
      };
    }
    const full: MetricOutcome = {
      metric,
      rule,
      windowStart,
      windowMs,
      score: outcome.score,
      volume: outcome.volume,
      step,
      openId: state.openId,
      peak,
      ...(interim ? { interimId: interim.id } : {}),
    };
    outcomes.push({ ...full, anomalyId: await store.record(full) });
  }
  await store.flush?.();
  return outcomes;
}

/**
 * The slice drift test's verdict on a metric's window (./slice-drift.ts), or null: it reads the
 * marginal cells of the metric's {@link SLICE_DRIFT_WINDOWS} windows before this one, which a
 * store reads once per base window for all metrics. Metrics computed from the leaf cube
 * (filters, split series) are not tested: their slices would need the leaf cube of every one of
 * those windows.
 */
async function sliceAlarm(
  store: Pick<EngineStore, 'cells' | 'sliceMemo'>,
  metric: MetricDefinition,
  rule: AlertRule,
  recent: readonly DriftPoint[],
  windowStart: number,
  baseWindowMs: number,
  score: Score,
  params: DriftParams,
): Promise<SliceDriftVerdict | null> {
  if (needsLeaves(metric)) return null;
  const windowMs = baseWindowMs * metric.windowMultiple;
  const starts: number[] = [];
  for (let i = SLICE_DRIFT_WINDOWS; i >= 0; i--) starts.push(windowStart - i * windowMs);
  const bases = starts.flatMap((w) => baseWindowsOf(w, baseWindowMs, metric.windowMultiple));
  const raw = await store.cells(bases, definitionEventTypes(metric));
  const byWindow = new Map<number, RollupDelta[]>(starts.map((w) => [w, []]));
  const first = starts[0]!;
  for (const cell of raw) {
    const w = first + Math.floor((cell.windowStart - first) / windowMs) * windowMs;
    byWindow.get(w)?.push(cell);
  }
  const windows = starts.map((w) => ({
    windowStart: w,
    cells:
      metric.windowMultiple === 1
        ? byWindow.get(w)!
        : mergeWindows(byWindow.get(w)!, w, baseWindowMs, metric.windowMultiple),
  }));
  const anomalous = new Set(
    recent.filter((p) => p.status === 'warn' || p.status === 'critical').map((p) => p.windowStart),
  );
  return sliceDrift(
    metric,
    windows,
    anomalous,
    score.sigma,
    rule.direction,
    params,
    store.sliceMemo,
  );
}

/**
 * The score of one metric in one of its windows, and a lazy explanation of it (which reads
 * the baseline windows' cells, so only anomalies pay for it).
 */
export async function assessMetric(
  store: Omit<EngineStore, 'incident' | 'record'>,
  metric: MetricDefinition,
  rule: AlertRule,
  windowStart: number,
  baseWindowMs: number,
): Promise<{
  score: Score;
  volume: number;
  explain: () => Promise<Explanation>;
  explainDrift: (from: number) => Promise<RootCause | null>;
}> {
  const now = await metricCells(store, metric, windowStart, baseWindowMs);
  const history = await store.history(
    metric.id,
    windowStart,
    rule.baselineWindows,
    baseWindowMs * Math.max(1, metric.windowMultiple),
  );
  const seasonal =
    rule.baseline === 'seasonal'
      ? await store.seasonal(metric.id, windowStart, rule.season, SEASONAL_PERIODS[rule.season])
      : [];
  const { score, volume, baselineWindows } = scoreWindow(
    metric,
    rule,
    now.cells,
    history,
    seasonal,
  );
  // The baseline windows' cells, read once for both explanations below (a drift's peak may
  // want both).
  let past: Promise<WindowCells[]> | null = null;
  const pastCells = () =>
    (past ??= Promise.all(baselineWindows.map((w) => metricCells(store, metric, w, baseWindowMs))));
  const explain = async () =>
    explainAnomaly(metric, now, await pastCells(), {
      actual: score.value,
      expected: score.expected,
    });
  // The root cause of a drift that began at window `from` and runs to this one, against the
  // baseline windows from before it (./explain-anomaly `driftRootCause`).
  const explainDrift = async (from: number) => {
    const windowMs = baseWindowMs * Math.max(1, metric.windowMultiple);
    const starts: number[] = [];
    for (let w = from; w < windowStart; w += windowMs) starts.push(w);
    const span = await Promise.all(starts.map((w) => metricLeaves(store, metric, w, baseWindowMs)));
    const before = (await pastCells()).filter((_, i) => baselineWindows[i]! < from);
    return driftRootCause(
      metric,
      [...span, now.leaves],
      before.map((w) => w.leaves),
    );
  };
  return { score, volume, explain, explainDrift };
}
