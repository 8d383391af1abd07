/**
 * A draft definition's values over stored history, as the detector would compute them: the
 * preview beside the metric definition form.
 */
import { TOTAL, type MetricDefinition, type RollupDelta } from '@/lib/types';
import { assertComplete, metricValue, observe, TOTAL_SLICE } from './observe';
import { mergeWindows, metricWindowStart } from './metric-windows';

/** One point of a definition's preview: its value in one metric window. */
export interface PreviewPoint {
  windowStart: number;
  value: number | null;
  volume: number;
}

/**
 * A definition's values over [from, to): one point per metric window (k base windows of
 * `baseWindowMs`, epoch-aligned) that starts at or after `from` and ends by `to`, oldest first.
 * `cells` are the rows the metric reads — stored rollups for an unfiltered metric, the output
 * of {@link cellsFromLeaves} or {@link filteredTotals} for a filtered one (total rows suffice).
 * Windows without data are points too: a count of 0, or no value where the denominator is 0.
 * @throws InvalidMetricError when the definition lacks a field its kind needs.
 */
export function previewSeries(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
  range: { from: number; to: number; baseWindowMs: number },
): PreviewPoint[] {
  assertComplete(metric);
  const { baseWindowMs } = range;
  const k = metric.windowMultiple;
  const span = baseWindowMs * k;
  const byWindow = new Map<number, RollupDelta[]>();
  for (const cell of cells) {
    if (cell.dim !== TOTAL) continue;
    const start = metricWindowStart(cell.windowStart, baseWindowMs, k);
    const list = byWindow.get(start);
    if (list) list.push(cell);
    else byWindow.set(start, [cell]);
  }
  const points: PreviewPoint[] = [];
  const first = metricWindowStart(range.from, baseWindowMs, k);
  for (
    let start = first < range.from ? first + span : first;
    start + span <= range.to;
    start += span
  ) {
    const window = mergeWindows(byWindow.get(start) ?? [], start, baseWindowMs, k);
    const obs = observe(metric, window, TOTAL_SLICE);
    points.push({ windowStart: start, value: metricValue(metric, obs), volume: obs.volume });
  }
  return points;
}
