/**
 * The series of split metrics (lib/metrics/split.ts) as rows of `metrics`: the detector calls
 * {@link syncSplitSeries} in the transaction of every window it scores, before it lists the
 * metrics, so a series exists, and follows its parent's definition and rule, from the window
 * it is first scored in. A series row is a metric like any other to everything that reads
 * `metrics` (points, anomalies, incidents, the board); only the use cases refuse to edit it.
 */
import { and, eq, gte, inArray, isNotNull, isNull, lt, sql as dsql } from 'drizzle-orm';
import { splitSeriesRule } from '@/lib/detection/split-rule';
import {
  SPLIT_LIMITS,
  seriesCountOf,
  seriesDefinition,
  seriesKey,
  valuesToName,
} from '@/lib/metrics/split';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import type { AlertRule, SplitSpec } from '@/lib/types';
import { metrics, rollups } from '../schema';
import type { Executor } from './executor';
import { savedRule, toDefinition, type MetricRow } from './metrics';

/** Volume (event count) per value of `dim` for `eventType` over base windows in [from, to). */
async function volumesOf(
  x: Executor,
  eventType: string,
  dim: string,
  from: number,
  to: number,
): Promise<Map<string, number>> {
  const n = dsql<number>`sum(${rollups.count})::float8`.mapWith(Number);
  const rows = await x
    .select({ value: rollups.value, n })
    .from(rollups)
    .where(
      and(
        gte(rollups.windowStart, new Date(from)),
        lt(rollups.windowStart, new Date(to)),
        eq(rollups.eventType, eventType),
        eq(rollups.dim, dim),
        eq(rollups.measure, COUNT_MEASURE),
      ),
    )
    .groupBy(rollups.value);
  return new Map(rows.map((r) => [r.value, r.n]));
}

const ordinalOf = (parentKey: string, key: string): number => {
  const n = Number(key.slice(parentKey.length + 1));
  return Number.isInteger(n) ? n : 0;
};

/** The columns a series copies from its parent, as they should be now. */
function seriesColumns(
  parent: MetricRow,
  child: MetricRow,
  named: readonly string[],
  rule: AlertRule,
) {
  const def = seriesDefinition(
    toDefinition(parent),
    { parentId: parent.id, dim: child.seriesDim ?? '', value: child.seriesValue },
    named,
    child.id,
    child.key,
  );
  return {
    name: def.name,
    kind: def.kind,
    eventType: def.eventType,
    extraEventTypes: def.extraEventTypes,
    measure: def.measure,
    denominatorEventType: def.denominatorEventType,
    filters: def.filters,
    exclude: def.exclude ?? {},
    windowMultiple: def.windowMultiple,
    unit: def.unit,
    enabled: def.enabled,
    ...rule,
  };
}

/** True when a row already holds `columns` (compared as JSON, key order aside). */
function holds(row: MetricRow, columns: Record<string, unknown>): boolean {
  const canon = (v: unknown): string =>
    JSON.stringify(v, (_k, val: unknown) =>
      val && typeof val === 'object' && !Array.isArray(val)
        ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => (a < b ? -1 : 1)))
        : val,
    );
  return Object.entries(columns).every(
    ([k, v]) => canon((row as Record<string, unknown>)[k]) === canon(v),
  );
}

/**
 * Brings the series of every split metric up to date for base window `windowStart`: deletes
 * series of a dimension the parent no longer splits by (or beyond its top N, newest first),
 * names the highest-volume values seen over the last {@link SPLIT_LIMITS.volumeWindows} base
 * windows until the top N are named, keeps one "other" series, and copies the parent's
 * definition and its rule, with thresholds corrected for the number of series
 * (lib/detection/split-rule), to each series whose copy differs. Returns the ids of the
 * series it created, changed or deleted. `ownsParent` limits it to the split metrics of one
 * detector shard (the series go with their parent: lib/detection/shards.ts).
 */
export async function syncSplitSeries(
  x: Executor,
  windowStart: number,
  baseWindowMs: number,
  ownsParent: (parentId: number) => boolean = () => true,
): Promise<number[]> {
  const children = (await x.select().from(metrics).where(isNotNull(metrics.parentId))).filter((c) =>
    ownsParent(c.parentId!),
  );
  const parents = (
    await x
      .select()
      .from(metrics)
      .where(and(isNull(metrics.parentId), isNotNull(metrics.splitBy)))
  ).filter((p) => ownsParent(p.id));
  const splitOf = new Map(parents.map((p) => [p.id, p]));
  const changed: number[] = [];

  // Series whose parent no longer splits by their dimension.
  const orphans = children.filter((c) => splitOf.get(c.parentId!)?.splitBy !== c.seriesDim);
  if (orphans.length > 0) {
    const ids = orphans.map((c) => c.id);
    await x.delete(metrics).where(inArray(metrics.id, ids));
    changed.push(...ids);
  }

  for (const parent of parents) {
    const split: SplitSpec = { dim: parent.splitBy!, topN: parent.splitTopN ?? 1 };
    const mine = children
      .filter((c) => c.parentId === parent.id && c.seriesDim === split.dim)
      .sort((a, b) => a.id - b.id);
    let named = mine.filter((c) => c.seriesValue !== null);
    if (named.length > split.topN) {
      const extra = named.slice(split.topN).map((c) => c.id);
      await x.delete(metrics).where(inArray(metrics.id, extra));
      changed.push(...extra);
      named = named.slice(0, split.topN);
    }
    const rows = [...named];
    const other = mine.find((c) => c.seriesValue === null);
    if (other) rows.push(other);

    const fresh: { value: string | null }[] = other ? [] : [{ value: null }];
    if (named.length < split.topN) {
      const from = windowStart - (SPLIT_LIMITS.volumeWindows - 1) * baseWindowMs;
      const volumes = await volumesOf(
        x,
        parent.eventType,
        split.dim,
        from,
        windowStart + baseWindowMs,
      );
      const values = valuesToName(
        toDefinition(parent),
        split,
        volumes,
        named.map((c) => c.seriesValue!),
      );
      fresh.push(...values.map((value) => ({ value })));
    }
    let ordinal = Math.max(0, ...mine.map((c) => ordinalOf(parent.key, c.key)));
    for (const { value } of fresh) {
      const key = seriesKey(parent.key, value === null ? 0 : ++ordinal);
      const [row] = await x
        .insert(metrics)
        .values({
          key,
          name: key,
          kind: parent.kind,
          eventType: parent.eventType,
          parentId: parent.id,
          seriesDim: split.dim,
          seriesValue: value,
        })
        .returning();
      rows.push(row!);
      changed.push(row!.id);
    }

    const namedValues = rows.flatMap((c) => (c.seriesValue === null ? [] : [c.seriesValue]));
    const rule = splitSeriesRule(savedRule(parent), seriesCountOf(split));
    for (const child of rows) {
      const columns = seriesColumns(parent, child, namedValues, rule);
      if (holds(child, columns)) continue;
      await x.update(metrics).set(columns).where(eq(metrics.id, child.id));
      if (!changed.includes(child.id)) changed.push(child.id);
    }
  }
  return changed;
}
