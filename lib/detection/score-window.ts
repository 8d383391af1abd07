/**
 * Scoring one metric in one window, pure: rollup cells of the window and of its baseline
 * windows in, score and (for anomalies) the dimension breakdown out.
 */
import {
  baseline,
  chooseBaseline,
  poissonFloor,
  score,
  type HistoryPoint,
  type ScoreOptions,
} from './zscore';
import { metricValue, observe } from '@/lib/metrics/observe';
import { explain } from './breakdown';
import {
  TOTAL,
  type AlertRule,
  type Explanation,
  type MetricDefinition,
  type RollupDelta,
  type Score,
} from '@/lib/types';

/** Event types whose rollups a metric reads. */
export function metricEventTypes(metric: MetricDefinition): string[] {
  return metric.denominatorEventType
    ? [metric.eventType, metric.denominatorEventType]
    : [metric.eventType];
}

/** Windows of history needed before a metric may alert ("learning" until then). */
export const MIN_HISTORY = 8;

/**
 * The sampling noise of a metric in one window, as a floor for the baseline's σ: a short or
 * flat history must not promise less noise than the data can have. Count: Poisson √μ. Sum:
 * compound Poisson √Σx². Average: standard error √(var/n) from the window's own moments.
 * Ratio: Poisson numerator √(μ/den).
 */
export function noiseFloor(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
  slice: { dim: string; value: string },
  expected: number,
): number {
  const measureCell = () =>
    cells.find(
      (c) =>
        c.eventType === metric.eventType &&
        c.dim === slice.dim &&
        c.value === slice.value &&
        c.measure === metric.measure,
    );
  switch (metric.kind) {
    case 'count':
      return poissonFloor(expected);
    case 'sum':
      return Math.sqrt(measureCell()?.sumsq ?? 0);
    case 'avg': {
      const cell = measureCell();
      if (!cell || cell.count < 2) return 0;
      const mean = cell.sum / cell.count;
      const variance = Math.max(0, cell.sumsq / cell.count - mean * mean);
      return Math.sqrt(variance / cell.count);
    }
    case 'ratio': {
      const den = observe(metric, cells, slice).den;
      return den > 0 ? Math.sqrt(Math.max(expected, 0) / den) : 0;
    }
  }
}

export interface WindowScore {
  score: Score;
  volume: number;
  /**
   * Window starts the baseline was computed from (earlier windows, or the same slot on earlier
   * days/weeks for a seasonal baseline), oldest first: read their cells for {@link explainWindow}.
   */
  baselineWindows: number[];
}

/**
 * Scores the metric's total in a window against its history, with the baseline the rule asks
 * for and the window's sampling noise as a floor on σ (see {@link noiseFloor}).
 * - `history`: earlier windows, oldest first, anomalous ones left out (baselineHistory);
 * - `seasonalHistory`: the same slot on earlier days or weeks (seasonalHistory), or [] when the
 *   rule's baseline is not seasonal.
 */
export function scoreWindow(
  metric: MetricDefinition,
  rule: AlertRule,
  cells: RollupDelta[],
  history: readonly HistoryPoint[],
  seasonalHistory: readonly HistoryPoint[],
): WindowScore {
  const total = { dim: TOTAL, value: TOTAL };
  const obs = observe(metric, cells, total);
  const value = metricValue(metric, obs);
  const opts: ScoreOptions = {
    minHistory: MIN_HISTORY,
    sigmaFloor: (expected: number) => noiseFloor(metric, cells, total, expected),
    // A count's value is its volume: when its events stop, the expected count says it is not
    // a low-volume metric. Other kinds' history holds values, not volumes.
    ...(metric.kind === 'count' ? { expectedVolume: (expected: number) => expected } : {}),
  };
  const base = chooseBaseline(history, seasonalHistory, rule, opts);
  return {
    score: score(value, obs.volume, history, seasonalHistory, rule, opts),
    volume: obs.volume,
    baselineWindows: base.windows,
  };
}

const sliceKey = (dim: string, value: string) => `${dim}\u0000${value}`;

/** Groups a window's cells by (dim, value) slice, ignoring the total slice. */
function bySlice(cells: RollupDelta[]): Map<string, RollupDelta[]> {
  const groups = new Map<string, RollupDelta[]>();
  for (const cell of cells) {
    if (cell.dim === TOTAL) continue;
    const key = sliceKey(cell.dim, cell.value);
    const list = groups.get(key);
    if (list) list.push(cell);
    else groups.set(key, [cell]);
  }
  return groups;
}

/**
 * Breaks a window's deviation down by dimension: each slice's actual value against its own
 * baseline over the history windows, then ranked by share of the total deviation.
 */
export function explainWindow(
  metric: MetricDefinition,
  current: RollupDelta[],
  historyWindows: RollupDelta[][],
  total: { actual: number; expected: number },
): Explanation {
  const now = bySlice(current);
  const past = historyWindows.map(bySlice);
  const keys = new Set(now.keys());
  for (const window of past) for (const key of window.keys()) keys.add(key);

  const slices = [];
  for (const key of keys) {
    const [dim = '', value = ''] = key.split('\u0000');
    const slice = { dim, value };
    const sliceCells = now.get(key) ?? [];
    const obs = observe(metric, sliceCells, slice);
    const history = past
      .map((window) => metricValue(metric, observe(metric, window.get(key) ?? [], slice)))
      .filter((v): v is number => v !== null);
    if (obs.den === 0 && history.length === 0) continue;
    const mean = baseline(history).mean;
    const base = baseline(history, { sigmaFloor: noiseFloor(metric, sliceCells, slice, mean) });
    slices.push({
      dim,
      value,
      num: obs.num,
      den: obs.den,
      expectedValue: history.length > 0 ? base.mean : 0,
      sigma: base.sigma,
      volume: obs.volume,
    });
  }
  return explain({ total, slices, metricName: metric.name, unit: metric.unit });
}
