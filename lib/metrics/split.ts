/**
 * Split metrics: a metric alerted per value of a dimension ("purchases per region"). The
 * parent keeps its total; each of its top N values by volume gets a series of its own — a
 * metric like any other (its own baseline, points and anomalies), named "Purchases ·
 * region=eu-west" — and one more series, "other", counts every value the named ones do not.
 * The set of named values only grows, up to N, so that a series' baseline keeps its meaning;
 * the cardinality guard's bucket ('(other)' in rollups) is never named.
 *
 * Pure: the detector (db/queries/split.ts) reads volumes and writes the series' rows.
 */
import { OTHER_VALUE } from '@/lib/stream/rollup';
import type { MetricDefinition, SeriesOf, SplitSpec } from '@/lib/types';

export const SPLIT_LIMITS = {
  /** Named values at most: a split holds at most this many series plus "other". */
  maxTopN: 50,
  defaultTopN: 10,
  /** Base windows of volume read to rank a dimension's values. */
  volumeWindows: 60,
} as const;

/** Series a split creates at most: its named values and "other". */
export const seriesCountOf = (split: SplitSpec): number => split.topN + 1;

/**
 * The key of a parent's series number `ordinal` (1, 2, …; 0 is "other"). User keys cannot
 * hold a dot (lib/metrics/definition), so a series key never collides with a metric's.
 */
export const seriesKey = (parentKey: string, ordinal: number): string => `${parentKey}.${ordinal}`;

/** The parent's key of a series key ({@link seriesKey}). */
export const parentKeyOf = (key: string): string => key.slice(0, key.lastIndexOf('.'));

/** The words naming one series: "region=eu-west" or "region: other". */
export function seriesLabel(series: Pick<SeriesOf, 'dim' | 'value'>): string {
  return series.value === null ? `${series.dim}: other` : `${series.dim}=${series.value}`;
}

/** The name of a series: "Purchases · region=eu-west". */
export const seriesName = (parentName: string, series: Pick<SeriesOf, 'dim' | 'value'>): string =>
  `${parentName} · ${seriesLabel(series)}`;

/**
 * The definition of a series of `parent`: the parent's, narrowed to its value (or, for
 * "other", excluding every named value), named after it, never split itself.
 */
export function seriesDefinition(
  parent: MetricDefinition,
  series: SeriesOf,
  named: readonly string[],
  id: number,
  key: string,
): MetricDefinition {
  const filters = { ...parent.filters };
  const exclude: Record<string, string[]> = {};
  if (series.value !== null) filters[series.dim] = [series.value];
  else if (named.length > 0) exclude[series.dim] = [...named].sort();
  return {
    id,
    key,
    name: seriesName(parent.name, series),
    kind: parent.kind,
    eventType: parent.eventType,
    extraEventTypes: [...parent.extraEventTypes],
    measure: parent.measure,
    denominatorEventType: parent.denominatorEventType,
    filters,
    exclude,
    windowMultiple: parent.windowMultiple,
    unit: parent.unit,
    enabled: parent.enabled,
    split: null,
    series,
  };
}

/**
 * The values to name next: the highest-volume values not yet named, until `split.topN` are;
 * ties by name. Values the parent's own filters rule out, the cardinality guard's bucket and
 * values with no volume are never named.
 */
export function valuesToName(
  parent: Pick<MetricDefinition, 'filters'>,
  split: SplitSpec,
  volumes: ReadonlyMap<string, number>,
  named: readonly string[],
): string[] {
  const room = split.topN - named.length;
  if (room <= 0) return [];
  const allowed = parent.filters[split.dim];
  const taken = new Set(named);
  return [...volumes]
    .filter(
      ([value, n]) =>
        n > 0 &&
        value !== OTHER_VALUE &&
        !taken.has(value) &&
        (allowed === undefined || allowed.includes(value)),
    )
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, room)
    .map(([value]) => value);
}
