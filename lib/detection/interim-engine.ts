/**
 * Interim scoring of the open window through the engine's store: what the live detector
 * (workers/services/interim-detector.ts) and the evaluation (lib/eval/suite.ts) run every few
 * seconds on the windows not yet final. The verdict itself is ./interim.ts; this module reads
 * the partial cells, the baseline and the metric's incident state, and opens an anomaly early
 * (marked interim) when the partial window proves one that the lifecycle would open.
 *
 * The window's final score settles it (./engine.ts asks the store for `interimAnomaly` and
 * passes its id on the outcome): a final verdict that opens the anomaly confirms the interim one
 * in place (same id, interim cleared), any other verdict withdraws it, with the reason in its
 * sentence. So a window is still scored exactly once, and an interim opening never makes a
 * second anomaly. Interim anomalies are not part of the incident state the final scoring reads.
 */
import { metricCells, type EngineMetric, type EngineStore, type Peak } from './engine';
import { explainAnomaly } from './explain-anomaly';
import { stepIncident, type OpenIncident } from './hysteresis';
import {
  judgeInterim,
  MIN_FRACTION,
  type InterimRef,
  type InterimVerdict,
  type PartialTotal,
} from './interim';
import { scoreWindow } from './score-window';
import { SEASONAL_PERIODS } from './zscore';
import { baseWindowsOf, mergeWindows, metricWindowStart } from '@/lib/metrics/metric-windows';
import { cellsFromLeaves, definitionEventTypes, needsLeaves } from '@/lib/metrics/cells';
import { metricValue, observe } from '@/lib/metrics/observe';
import {
  TOTAL,
  type AlertRule,
  type Explanation,
  type LeafDelta,
  type MetricDefinition,
  type RollupDelta,
} from '@/lib/types';

/** An interim opening, as a store writes it. */
export interface InterimOpening {
  metric: MetricDefinition;
  rule: AlertRule;
  /** The metric's window (start, length) the partial data belongs to. */
  windowStart: number;
  windowMs: number;
  /** The anomaly the lifecycle opens (it may start at an earlier window of a pending run). */
  anomaly: OpenIncident;
  /** This window's interim score and explanation (the final score replaces them). */
  peak: Peak;
  verdict: InterimVerdict;
  /** Event time of the look (the watermark it used). */
  at: number;
}

/** The engine's store, able to open interim anomalies. */
export interface InterimStore extends EngineStore {
  interimAnomaly(metricId: number, windowStart: number): Promise<InterimRef | null>;
  openInterim(opening: InterimOpening): Promise<number>;
}

export interface InterimOutcome {
  metric: MetricDefinition;
  windowStart: number;
  verdict: InterimVerdict;
  /** The interim anomaly opened by this look (null: the verdict opened nothing). */
  anomalyId: number | null;
}

/** The event-time reach of the data: surely present through `low`, possibly through `high`. */
export interface Reach {
  low: number;
  high: number;
}

/** The window's cells scaled by 1 / f: what the full window would hold at the partial's pace. */
function projected<T extends RollupDelta | LeafDelta>(cells: readonly T[], f: number): T[] {
  return cells.map((c) => ({ ...c, count: c.count / f, sum: c.sum / f, sumsq: c.sumsq / f }));
}

/**
 * The metric's marginal cells of its window so far: like the engine's `metricCells`, without
 * reading the leaf cube unless the metric's filters need it (a look happens every few seconds;
 * only an opening is explained).
 */
async function partialCells(
  store: InterimStore,
  metric: MetricDefinition,
  windowStart: number,
  baseWindowMs: number,
): Promise<RollupDelta[]> {
  const windows = baseWindowsOf(windowStart, baseWindowMs, metric.windowMultiple);
  const types = definitionEventTypes(metric);
  const raw = needsLeaves(metric)
    ? cellsFromLeaves(metric, await store.leaves(windows, types))
    : await store.cells(windows, types);
  return mergeWindows(raw, windowStart, baseWindowMs, metric.windowMultiple);
}

/** The partial total of `metric` in `cells` for ./interim.ts. */
export function partialTotal(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
): PartialTotal {
  const total = { dim: TOTAL, value: TOTAL };
  const obs = observe(metric, cells, total);
  const value = metricValue(metric, obs);
  const measure = cells.filter(
    (c) =>
      c.dim === TOTAL &&
      c.value === TOTAL &&
      c.eventType === metric.eventType &&
      c.measure === metric.measure,
  );
  const sumsq = measure.reduce((s, c) => s + c.sumsq, 0);
  const base = { kind: metric.kind, value, volume: obs.volume };
  if (metric.kind === 'sum') return { ...base, sumsq };
  if (metric.kind === 'avg' && obs.den > 0) {
    const mean = obs.num / obs.den;
    return { ...base, perEventVariance: Math.max(0, sumsq / obs.den - mean * mean) };
  }
  return base;
}

/** "Interim, 25% of the window in: …": the sentence of an anomaly opened early. */
export function withInterim(explanation: Explanation, fraction: number): Explanation {
  const lead = `Interim, ${Math.round(fraction * 100)}% of the window in.`;
  return {
    ...explanation,
    sentence: explanation.sentence ? `${lead} ${explanation.sentence}` : lead,
  };
}

/** The sentence of an interim anomaly the final score withdrew, with the reason. */
export function withdrawnSentence(final: { z: number; status: string }): string {
  const z = Number.isFinite(final.z) ? final.z.toFixed(1) : 'none';
  return `Withdrawn: the interim alert was not confirmed when the window closed (final z = ${z}, ${final.status}).`;
}

/**
 * Looks at the metrics' windows that contain base window `openBaseWindow` (not final yet) with
 * the data in the store so far, and opens interim anomalies where the partial data proves one.
 * `reach`: how far in event time the data goes (the watermark, see {@link Reach}).
 */
export async function scoreInterimWindow(
  store: InterimStore,
  metrics: readonly EngineMetric[],
  openBaseWindow: number,
  baseWindowMs: number,
  reach: Reach,
  options: { looks?: number; explain?: boolean } = {},
): Promise<InterimOutcome[]> {
  const outcomes: InterimOutcome[] = [];
  // A split's series share one interim budget: how many there are, per parent.
  const seriesPerParent = new Map<number, number>();
  for (const { definition } of metrics) {
    const parent = definition.enabled ? definition.series?.parentId : undefined;
    if (parent !== undefined) seriesPerParent.set(parent, (seriesPerParent.get(parent) ?? 0) + 1);
  }
  for (const { definition: metric, rule } of metrics) {
    if (!metric.enabled) continue;
    const windowMs = baseWindowMs * metric.windowMultiple;
    const windowStart = metricWindowStart(openBaseWindow, baseWindowMs, metric.windowMultiple);
    const low = (reach.low - windowStart) / windowMs;
    const high = (reach.high - windowStart) / windowMs;
    if (!(low >= MIN_FRACTION)) continue;
    if ((await store.interimAnomaly(metric.id, windowStart)) !== null) continue;
    const state = await store.incident(metric.id, windowStart, windowMs, rule.consecutiveWindows);
    // An open anomaly already covers it: the final score extends it.
    if (state.open) continue;
    const cells = await partialCells(store, metric, windowStart, baseWindowMs);
    const f = Math.min(1, low);
    const full = projected(cells, f);
    const history = await store.history(metric.id, windowStart, rule.baselineWindows, windowMs);
    const seasonal =
      rule.baseline === 'seasonal'
        ? await store.seasonal(metric.id, windowStart, rule.season, SEASONAL_PERIODS[rule.season])
        : [];
    const { score, baselineWindows } = scoreWindow(metric, rule, full, history, seasonal);
    if (score.status === 'learning' || score.status === 'low_volume') continue;
    const verdict = judgeInterim({
      partial: partialTotal(metric, cells),
      fraction: low,
      fractionHigh: high,
      baseline: { expected: score.expected, sigma: score.sigma },
      rule,
      windowMs,
      series: metric.series ? (seriesPerParent.get(metric.series.parentId) ?? 1) : 1,
      ...(options.looks !== undefined ? { looks: options.looks } : {}),
    });
    const outcome: InterimOutcome = { metric, windowStart, verdict, anomalyId: null };
    outcomes.push(outcome);
    if (!verdict.severity) continue;
    const { step } = stepIncident(
      state,
      { windowStart, severity: verdict.severity, z: verdict.z },
      rule,
    );
    if (step.kind !== 'open') continue;
    let explanation: Explanation = { dimensions: {}, top: [], sentence: '' };
    if (options.explain !== false) {
      const now = await metricCells(store, metric, windowStart, baseWindowMs);
      const past = await Promise.all(
        baselineWindows.map((w) => metricCells(store, metric, w, baseWindowMs)),
      );
      explanation = explainAnomaly(
        metric,
        { cells: full, leaves: projected(now.leaves, f) },
        past,
        { actual: verdict.value, expected: score.expected },
      );
    }
    const direction = verdict.z < 0 ? 'down' : 'up';
    outcome.anomalyId = await store.openInterim({
      metric,
      rule,
      windowStart,
      windowMs,
      anomaly: { ...step.anomaly, peakWindow: windowStart, peakZ: verdict.z },
      peak: {
        windowStart,
        score: {
          ...score,
          value: verdict.value,
          sigma: verdict.sigma,
          z: verdict.z,
          severity: verdict.severity,
          status: verdict.severity,
          direction,
        },
        explanation: withInterim(explanation, verdict.fraction),
      },
      verdict,
      at: reach.low,
    });
  }
  return outcomes;
}
