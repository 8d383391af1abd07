/**
 * Loads the explore page's data for a view state: the server component's read, in one place.
 * Server-only (it reads the database).
 */
import { annotationsBetween } from '@/db/queries/annotations';
import { metricCatalog } from '@/db/queries/definition-preview';
import {
  anomaliesInRange,
  metricSeries,
  sliceConflict,
  sliceSeriesOf,
  splitOf,
  withSlice,
} from '@/db/queries/explore';
import type { Executor } from '@/db/queries/executor';
import { toDefinition, toRule, type MetricRow } from '@/db/queries/metrics';
import { bucketsFor, downsampleMinMax } from '@/lib/explore/downsample';
import type { Split } from '@/lib/explore/series';
import { DEFAULT_RANGE, resolveRange } from '@/lib/explore/time-range';
import type { ExploreState } from '@/lib/explore/view-state';
import type { ExploreData, ExploreSplit } from '@/lib/explore/view';
import type { WindowPoint } from '@/lib/types';

const COMPARE_MS = { '1d': 86_400_000, '1w': 7 * 86_400_000 } as const;
/** How far back the split and filter pickers look for dimension values. */
const CATALOG_SPAN_MS = 86_400_000;

export async function loadExplore(
  db: Executor,
  row: MetricRow,
  state: ExploreState,
  options: { baseWindowMs: number; now?: number; problems: string[] },
): Promise<ExploreData> {
  const { baseWindowMs } = options;
  const now = options.now ?? Date.now();
  const problems = [...options.problems];
  const metric = toDefinition(row);
  const rule = toRule(row);
  const windowMs = baseWindowMs * metric.windowMultiple;
  let resolved = resolveRange(state.range, now);
  if (!resolved.ok) {
    problems.push(`${resolved.error} Showing ${DEFAULT_RANGE.from} to ${DEFAULT_RANGE.to}.`);
    resolved = resolveRange(DEFAULT_RANGE, now);
  }
  const { from, to } = resolved.ok ? resolved : { from: now - 6 * 3_600_000, to: now };
  const buckets = bucketsFor(undefined);
  const slice = Object.keys(state.filter).length > 0 ? state.filter : null;
  const conflict = slice ? sliceConflict(metric, slice) : null;
  if (conflict) problems.push(conflict);

  const series = async (range: { from: number; to: number }) => {
    if (!slice) return metricSeries(db, row.id, range, buckets, windowMs);
    const points = await sliceSeriesOf(db, metric, rule, slice, range, baseWindowMs);
    const picked = downsampleMinMax(points, {
      ...range,
      buckets,
      time: (p) => p.windowStart,
      value: (p) => p.value,
    });
    return { points: picked, downsampled: picked.length < points.length };
  };
  const shift = state.compare === 'off' ? 0 : COMPARE_MS[state.compare];
  const [main, earlier, split, anomalies, annotations, catalog] = await Promise.all([
    series({ from, to }),
    shift > 0 ? series({ from: from - shift, to: to - shift }) : null,
    state.split
      ? splitOf(
          db,
          slice ? withSlice(metric, slice) : metric,
          state.split,
          { from, to },
          baseWindowMs,
          state.top,
        )
      : null,
    slice ? [] : anomaliesInRange(db, row.id, { from, to }, windowMs),
    annotationsBetween(db, { from: new Date(from), to: new Date(to), metricKey: row.key }).then(
      (r) => r.annotations,
    ),
    metricCatalog(db, Math.max(from, to - CATALOG_SPAN_MS)),
  ]);
  return {
    metric: {
      id: row.id,
      key: row.key,
      name: row.name,
      kind: metric.kind,
      unit: metric.unit,
      enabled: row.enabled,
      filters: metric.filters,
    },
    windowMs,
    from,
    to,
    now,
    points: main.points,
    downsampled: main.downsampled,
    compare: earlier
      ? {
          offsetMs: shift,
          points: earlier.points.map((p) => ({ ...p, windowStart: p.windowStart + shift })),
        }
      : null,
    split: split ? alignSplit(split, { from, to }, buckets) : null,
    anomalies,
    annotations,
    dimensions: catalog.dimensions,
    problems,
  };
}

/**
 * One time axis for every line of a split: the windows any line's downsampling kept (its
 * lowest and highest per bucket), with every line's value at each of them, so lines stay
 * comparable at every point drawn.
 */
function alignSplit(
  split: Split,
  range: { from: number; to: number },
  buckets: number,
): ExploreSplit {
  const all = [...split.lines, ...(split.other ? [split.other] : [])];
  const kept = new Set<number>();
  for (const line of all) {
    for (const p of downsampleMinMax(line.points, {
      ...range,
      buckets,
      time: (q) => q.windowStart,
      value: (q) => q.value,
    })) {
      kept.add(p.windowStart);
    }
  }
  const times = [...kept].sort((a, b) => a - b);
  const valuesOf = (points: WindowPoint[] | { windowStart: number; value: number | null }[]) => {
    const at = new Map(points.map((p) => [p.windowStart, p.value]));
    return times.map((t) => at.get(t) ?? null);
  };
  return {
    dim: split.dim,
    times,
    lines: split.lines.map((l) => ({
      value: l.value,
      volume: l.volume,
      values: valuesOf(l.points),
    })),
    other: split.other
      ? {
          value: split.other.value,
          volume: split.other.volume,
          values: valuesOf(split.other.points),
          valueCount: split.other.values,
        }
      : null,
  };
}
