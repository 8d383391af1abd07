/**
 * The explore page's series computed from rollups rather than read from metric_points: a slice
 * of a metric (the metric filtered to one value per dimension) scored against its own history,
 * and a metric split by a dimension into its top values and the rest. Pure: the cells come from
 * db/queries/explore.ts.
 *
 * A slice is scored the way the detector scores a metric's total (lib/detection/score-window
 * `scoreWindow`: the same floors on σ for the slice's own sampling noise, the same minimum
 * history) with a rolling baseline: the latest `rule.baselineWindows` earlier windows of the
 * slice that did not alert. A seasonal rule would need days or weeks of the slice's history
 * before the range; the page says the slice's band is rolling instead.
 */
import { scoreWindow } from '@/lib/detection/score-window';
import type { HistoryPoint } from '@/lib/detection/zscore';
import { previewSeries } from '@/lib/metrics/definition-preview';
import { observe, TOTAL_SLICE } from '@/lib/metrics/observe';
import { mergeWindows, metricWindowStart } from '@/lib/metrics/metric-windows';
import {
  TOTAL,
  type AlertRule,
  type MetricDefinition,
  type RollupDelta,
  type WindowPoint,
} from '@/lib/types';

export interface SeriesRange {
  from: number;
  to: number;
  baseWindowMs: number;
}

/** How many windows before the range a slice's band needs: its baseline, twice over (alerts are left out). */
export function historyWindows(rule: Pick<AlertRule, 'baselineWindows'>): number {
  return 2 * rule.baselineWindows;
}

/**
 * The scored windows of a slice over [range.from, range.to): `cells` are its total cells
 * (dim = value = TOTAL, the slice's filter already applied) from `historyFrom` on, so that the
 * first windows of the range have a baseline. Windows without data are points too (a count of
 * 0, or no value where the denominator is 0), as they are for the detector.
 */
export function sliceSeries(
  metric: MetricDefinition,
  rule: AlertRule,
  cells: readonly RollupDelta[],
  range: SeriesRange,
  historyFrom: number,
): WindowPoint[] {
  const k = metric.windowMultiple;
  const span = range.baseWindowMs * k;
  const byWindow = new Map<number, RollupDelta[]>();
  for (const cell of cells) {
    if (cell.dim !== TOTAL) continue;
    const start = metricWindowStart(cell.windowStart, range.baseWindowMs, k);
    const list = byWindow.get(start);
    if (list) list.push(cell);
    else byWindow.set(start, [cell]);
  }
  const rolling: AlertRule = { ...rule, baseline: 'rolling' };
  const done: { windowStart: number; value: number | null; learned: boolean }[] = [];
  const points: WindowPoint[] = [];
  const first = metricWindowStart(Math.min(historyFrom, range.from), range.baseWindowMs, k);
  for (let start = first; start + span <= range.to; start += span) {
    const window = mergeWindows(byWindow.get(start) ?? [], start, range.baseWindowMs, k);
    const history: HistoryPoint[] = [];
    // The latest 2 × baselineWindows windows, those that did not alert, as baselineHistory reads.
    for (let i = Math.max(0, done.length - historyWindows(rule)); i < done.length; i++) {
      const p = done[i]!;
      if (p.learned && p.value !== null)
        history.push({ windowStart: p.windowStart, value: p.value });
    }
    const { score, volume } = scoreWindow(
      metric,
      rolling,
      window,
      history.slice(-rule.baselineWindows),
      [],
    );
    const value = Number.isFinite(score.value) ? score.value : null;
    done.push({
      windowStart: start,
      value,
      learned: score.status === 'ok' || score.status === 'learning',
    });
    if (start < range.from) continue;
    const scored = score.status !== 'learning';
    points.push({
      windowStart: start,
      value,
      expected: scored && Number.isFinite(score.expected) ? score.expected : null,
      sigma: scored && Number.isFinite(score.sigma) ? score.sigma : null,
      z: scored && value !== null && Number.isFinite(score.z) ? score.z : null,
      volume,
      status: score.status,
      anomalyId: null,
    });
  }
  return points;
}

/** One line of a split: a dimension value (or the rest) and its values over the range. */
export interface SplitLine {
  value: string;
  /** The metric's volume over the range in this slice (events, or the denominator's). */
  volume: number;
  points: { windowStart: number; value: number | null }[];
}

export interface Split {
  dim: string;
  lines: SplitLine[];
  /** The values beyond the top N added up, or null when there are none. */
  other: (SplitLine & { values: number }) | null;
}

/**
 * The metric split by `dim`: its `top` values by volume over the range as lines of their own,
 * and the rest added up into one line. `cells` are the rows of `dim` (any value) of the
 * metric's event types over the range, with the metric's own filters already applied.
 */
export function splitSeries(
  metric: MetricDefinition,
  dim: string,
  cells: readonly RollupDelta[],
  range: SeriesRange,
  top: number,
): Split {
  const unfiltered: MetricDefinition = { ...metric, filters: {} };
  const byValue = new Map<string, RollupDelta[]>();
  for (const cell of cells) {
    if (cell.dim !== dim) continue;
    const total = { ...cell, dim: TOTAL, value: TOTAL };
    const list = byValue.get(cell.value);
    if (list) list.push(total);
    else byValue.set(cell.value, [total]);
  }
  const line = (value: string, rows: RollupDelta[]): SplitLine => {
    const points = previewSeries(unfiltered, rows, range);
    return {
      value,
      volume: points.reduce((sum, p) => sum + p.volume, 0),
      points: points.map((p) => ({ windowStart: p.windowStart, value: p.value })),
    };
  };
  const ranked = [...byValue]
    .map(([value, rows]) => ({ value, rows, volume: volumeOf(unfiltered, rows) }))
    .sort((a, b) => b.volume - a.volume || (a.value < b.value ? -1 : 1));
  const head = ranked.slice(0, top);
  const rest = ranked.slice(top);
  return {
    dim,
    lines: head.map((r) => line(r.value, r.rows)),
    other:
      rest.length === 0
        ? null
        : {
            ...line(
              'other',
              rest.flatMap((r) => r.rows),
            ),
            values: rest.length,
          },
  };
}

/** A slice's volume over the range, for ranking: the events its values rest on. */
function volumeOf(metric: MetricDefinition, rows: readonly RollupDelta[]): number {
  return observe(metric, rows, TOTAL_SLICE).volume;
}
