/**
 * Scoring one metric in one window, pure: rollup cells of the window and of its baseline
 * windows in, score and (for anomalies) the dimension breakdown out.
 */
import { baseline, poissonFloor, score } from './detect';
import { metricValue, observe } from './metrics';
import { explain } from './rootcause';
import {
  TOTAL,
  type AlertRule,
  type Explanation,
  type MetricDefinition,
  type RollupDelta,
  type Score,
} from './types';

/** Event types whose rollups a metric reads. */
export function metricEventTypes(metric: MetricDefinition): string[] {
  return metric.denominatorEventType
    ? [metric.eventType, metric.denominatorEventType]
    : [metric.eventType];
}

/** Count-like metrics get a Poisson floor on σ: a flat history is not a promise of zero noise. */
function sigmaFloorFor(metric: MetricDefinition, history: number[]): number | undefined {
  if (metric.kind !== 'count' || history.length === 0) return undefined;
  return poissonFloor(baseline(history).mean);
}

export interface WindowScore {
  score: Score;
  volume: number;
}

/** Scores the metric's total in a window against the history of its earlier values. */
export function scoreWindow(
  metric: MetricDefinition,
  rule: AlertRule,
  cells: RollupDelta[],
  history: number[],
): WindowScore {
  const obs = observe(metric, cells, { dim: TOTAL, value: TOTAL });
  const value = metricValue(metric, obs);
  return {
    score: score(value, obs.volume, history, rule, { sigmaFloor: sigmaFloorFor(metric, history) }),
    volume: obs.volume,
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
    const obs = observe(metric, now.get(key) ?? [], slice);
    const history = past
      .map((window) => metricValue(metric, observe(metric, window.get(key) ?? [], slice)))
      .filter((v): v is number => v !== null);
    if (obs.den === 0 && history.length === 0) continue;
    const base = baseline(history, { sigmaFloor: sigmaFloorFor(metric, history) });
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
