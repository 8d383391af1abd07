/**
 * The `metrics` table: metric definitions and their alert rules. Create, change the definition
 * (optionally asking the detector to re-score stored history), enable/disable, save a rule, and
 * the metrics list, whose rows carry each metric's last scored point (one lateral read of
 * `metric_points` through its primary key).
 */
import { and, asc, desc, eq, isNull, lte, or, sql as dsql } from 'drizzle-orm';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { type DefinitionInput } from '@/lib/metrics/definition';
import { effectiveRule, type SeasonDecision } from '@/lib/detection/auto-season';
import {
  NEW_METRIC_RULE,
  type AlertRule,
  type MetricDefinition,
  type Season,
  type ScoringRule,
} from '@/lib/types';
import type { LastPoint, MetricListItem } from '@/lib/views';
import { metricPoints, metrics } from '../schema';
import type { Executor } from './executor';

export type MetricRow = typeof metrics.$inferSelect;

export function toDefinition(row: MetricRow): MetricDefinition {
  const { id, key, name, kind, eventType, measure, denominatorEventType, unit, enabled } = row;
  const { extraEventTypes, filters, windowMultiple, exclude } = row;
  return {
    id,
    key,
    name,
    kind,
    eventType,
    extraEventTypes,
    measure,
    denominatorEventType,
    filters,
    windowMultiple,
    unit,
    enabled,
    split: row.splitBy ? { dim: row.splitBy, topN: row.splitTopN ?? 1 } : null,
    series:
      row.parentId !== null && row.seriesDim !== null
        ? { parentId: row.parentId, dim: row.seriesDim, value: row.seriesValue }
        : null,
    exclude,
  };
}

/** The season decision stored on a metric row (lib/detection/auto-season.ts). */
export function seasonDecisionOf(row: Pick<MetricRow, 'detectedSeason' | 'seasonCheckedAt'>) {
  return {
    season: row.detectedSeason ?? null,
    checkedAt: row.seasonCheckedAt ? row.seasonCheckedAt.getTime() : null,
  } satisfies SeasonDecision;
}

/**
 * The rule the engine scores a row with: its own fields (extra keys dropped), an 'auto' baseline
 * resolved with the season decision the row carries (`effectiveRule`: seasonal with the detected
 * season, robust without one; an object without the decision's columns counts as never
 * checked). What a person edits and saves is {@link savedRule}.
 */
export function toRule(
  row: AlertRule & Partial<Pick<MetricRow, 'detectedSeason' | 'seasonCheckedAt'>>,
): ScoringRule {
  return effectiveRule(
    ruleColumns(row),
    row.detectedSeason !== undefined && row.seasonCheckedAt !== undefined
      ? seasonDecisionOf({
          detectedSeason: row.detectedSeason,
          seasonCheckedAt: row.seasonCheckedAt,
        })
      : null,
  );
}

/** The rule as saved (an 'auto' baseline stays 'auto'): for forms, saving, a split's series. */
export function savedRule(row: AlertRule): AlertRule {
  return ruleColumns(row);
}

function ruleColumns(row: AlertRule): AlertRule {
  const { warnZ, criticalZ, direction, minVolume, baselineWindows } = row;
  const { baseline, season, sigmaFloor, consecutiveWindows, resolveAfter } = row;
  return {
    warnZ,
    criticalZ,
    direction,
    minVolume,
    baselineWindows,
    baseline,
    season,
    sigmaFloor,
    consecutiveWindows,
    resolveAfter,
  };
}

/**
 * The rule of a new metric as row columns: NEW_METRIC_RULE, the automatic baseline. The columns'
 * defaults say the same (db/schema/detection.ts); inserts still name every rule column so that
 * what a new metric gets is read here, not inferred from the last migration.
 */
export function defaultRuleColumns(): AlertRule {
  return ruleColumns(NEW_METRIC_RULE);
}

/**
 * Creates the default metrics that do not exist yet (by key), with NEW_METRIC_RULE; leaves
 * existing ones, and their rules, alone.
 */
export async function ensureDefaultMetrics(db: Executor): Promise<void> {
  await db
    .insert(metrics)
    .values(defaultMetrics().map((m) => ({ ...m, ...defaultRuleColumns() })))
    .onConflictDoNothing({ target: metrics.key });
}

export async function listMetrics(db: Executor): Promise<MetricRow[]> {
  return db.select().from(metrics).orderBy(asc(metrics.id));
}

export async function getMetricByKey(db: Executor, key: string): Promise<MetricRow | undefined> {
  const [row] = await db.select().from(metrics).where(eq(metrics.key, key));
  return row;
}

export async function getMetric(db: Executor, id: number): Promise<MetricRow | undefined> {
  const [row] = await db.select().from(metrics).where(eq(metrics.id, id));
  return row;
}

/** The metric with `key`, its row locked until the transaction `tx` ends (or undefined). */
export async function lockMetricByKey(tx: Executor, key: string): Promise<MetricRow | undefined> {
  const [row] = await tx.select().from(metrics).where(eq(metrics.key, key)).for('update');
  return row;
}

/**
 * Saves a validated rule; the detector reads rules fresh for every window. With `rescoreFrom`
 * (epoch ms) it also asks the detector to re-score stored history from that window on; an
 * earlier pending request is kept when it reaches further back.
 */
export async function updateRule(
  db: Executor,
  metricId: number,
  rule: AlertRule,
  userId: number,
  options: { rescoreFrom?: number; now?: Date } = {},
): Promise<MetricRow | undefined> {
  const { rescoreFrom } = options;
  const [row] = await db
    .update(metrics)
    .set({
      ...ruleColumns(rule),
      ruleUpdatedAt: options.now ?? new Date(),
      ruleUpdatedBy: userId,
      ...(rescoreFrom !== undefined
        ? {
            // least() ignores NULL: a pending earlier request is kept.
            rescoreFrom: dsql`least(${metrics.rescoreFrom}, ${new Date(rescoreFrom).toISOString()}::timestamptz)`,
          }
        : {}),
    })
    .where(eq(metrics.id, metricId))
    .returning();
  return row;
}

/** How far back "re-score the last 24 h" reaches. */
export const RESCORE_WINDOW_MS = 24 * 3_600_000;

/** A metric key that another metric already has. */
export class MetricKeyTakenError extends Error {
  constructor(key: string) {
    super(`A metric with the key "${key}" exists already.`);
    this.name = 'MetricKeyTakenError';
  }
}

/** The columns a definition sets (everything but key, which never changes after creation). */
function definitionColumns(def: DefinitionInput) {
  return {
    name: def.name,
    kind: def.kind,
    eventType: def.eventType,
    extraEventTypes: def.extraEventTypes,
    measure: def.measure,
    denominatorEventType: def.denominatorEventType,
    filters: def.filters,
    windowMultiple: def.windowMultiple,
    unit: def.unit,
    splitBy: def.split?.dim ?? null,
    splitTopN: def.split?.topN ?? null,
  };
}

/**
 * Creates an enabled metric with the rule of new metrics (NEW_METRIC_RULE). The detector picks
 * it up from the next window; it shows as learning until it has a baseline.
 * @throws MetricKeyTakenError when the key is in use.
 */
export async function createMetric(
  db: Executor,
  def: DefinitionInput,
  userId: number | null,
  now = new Date(),
): Promise<MetricRow> {
  const [row] = await db
    .insert(metrics)
    .values({
      key: def.key,
      ...definitionColumns(def),
      ...defaultRuleColumns(),
      enabled: true,
      definitionUpdatedAt: now,
      definitionUpdatedBy: userId,
    })
    .onConflictDoNothing({ target: metrics.key })
    .returning();
  if (!row) throw new MetricKeyTakenError(def.key);
  return row;
}

export interface DefinitionUpdate {
  userId: number | null;
  /** Ask the detector to re-score stored windows from now − 24 h with the new definition. */
  rescore?: boolean;
  now?: Date;
}

/**
 * Replaces the definition of the metric with `key` (the key itself never changes: `def.key`
 * is ignored) and records who changed it and when. With `rescore`, sets `rescoreFrom` to
 * now − 24 h so that the detector re-scores stored history; without, points already scored
 * keep the values of the old definition. Returns undefined when there is no such metric.
 */
export async function updateDefinition(
  db: Executor,
  key: string,
  def: DefinitionInput,
  update: DefinitionUpdate,
): Promise<MetricRow | undefined> {
  const now = update.now ?? new Date();
  const [row] = await db
    .update(metrics)
    .set({
      ...definitionColumns(def),
      definitionUpdatedAt: now,
      definitionUpdatedBy: update.userId,
      ...(update.rescore ? { rescoreFrom: new Date(now.getTime() - RESCORE_WINDOW_MS) } : {}),
    })
    .where(eq(metrics.key, key))
    .returning();
  return row;
}

/** Enables or disables scoring of a metric; undefined when there is no such metric. */
export async function setMetricEnabled(
  db: Executor,
  key: string,
  enabled: boolean,
): Promise<MetricRow | undefined> {
  const [row] = await db.update(metrics).set({ enabled }).where(eq(metrics.key, key)).returning();
  return row;
}

/** A metric's last scored window, as the metrics list shows it. */
export function toListItem(row: MetricRow, last: LastPoint | null): MetricListItem {
  return {
    id: row.id,
    key: row.key,
    name: row.name,
    kind: row.kind,
    eventType: row.eventType,
    extraEventTypes: row.extraEventTypes,
    measure: row.measure,
    denominatorEventType: row.denominatorEventType,
    filters: row.filters,
    windowMultiple: row.windowMultiple,
    unit: row.unit,
    enabled: row.enabled,
    split: toDefinition(row).split ?? null,
    series: toDefinition(row).series ?? null,
    exclude: row.exclude,
    definitionUpdatedAt: row.definitionUpdatedAt?.getTime() ?? null,
    rescoreFrom: row.rescoreFrom?.getTime() ?? null,
    last,
  };
}

/** The last point of each metric, read through the (metric, window) primary key. */
function lastPointQuery(db: Executor) {
  const last = db
    .select({
      windowStart: metricPoints.windowStart,
      value: metricPoints.value,
      status: metricPoints.status,
    })
    .from(metricPoints)
    .where(eq(metricPoints.metricId, metrics.id))
    .orderBy(desc(metricPoints.windowStart))
    .limit(1)
    .as('last');
  return db
    .select({
      metric: metrics,
      lastWindow: last.windowStart,
      lastValue: last.value,
      lastStatus: last.status,
    })
    .from(metrics)
    .leftJoinLateral(last, dsql`true`);
}

type LastRow = Awaited<ReturnType<typeof lastPointQuery>>[number];

const itemOf = (r: LastRow) =>
  toListItem(
    r.metric,
    r.lastWindow && r.lastStatus
      ? { windowStart: r.lastWindow.getTime(), value: r.lastValue, status: r.lastStatus }
      : null,
  );

/** Every metric (enabled or not) with its last point, in creation order. */
export async function listMetricItems(db: Executor): Promise<MetricListItem[]> {
  const rows = await lastPointQuery(db).orderBy(asc(metrics.id));
  return rows.map(itemOf);
}

/** One metric with its last point, or undefined. */
export async function getMetricItem(
  db: Executor,
  key: string,
): Promise<MetricListItem | undefined> {
  const [row] = await lastPointQuery(db).where(eq(metrics.key, key));
  return row ? itemOf(row) : undefined;
}

/** Clears a metric's re-score request, unless a newer one replaced it meanwhile. */
export async function finishRescore(
  db: Executor,
  metricId: number,
  requested: Date,
): Promise<void> {
  await db
    .update(metrics)
    .set({ rescoreFrom: null })
    .where(and(eq(metrics.id, metricId), eq(metrics.rescoreFrom, requested)));
}

/** An enabled 'auto' metric whose season decision is due (see {@link seasonChecksDue}). */
export interface SeasonCheckDue {
  id: number;
  key: string;
  windowMultiple: number;
  detectedSeason: Season | null;
}

/**
 * Up to `limit` enabled metrics with an 'auto' baseline whose season decision was never made or
 * is at least `maxAgeMs` old at `now`, never checked first, then the oldest decision.
 */
export async function seasonChecksDue(
  db: Executor,
  now: Date,
  maxAgeMs: number,
  limit: number,
  shards: { held: readonly number[]; count: number } = { held: [0], count: 1 },
): Promise<SeasonCheckDue[]> {
  const staleBefore = new Date(now.getTime() - maxAgeMs);
  // The detector shards asking (lib/detection/shards.ts `shardOf`: a series goes with its parent).
  const held = dsql`array[${dsql.join(
    shards.held.map((s) => dsql`${s}::int`),
    dsql`, `,
  )}]::int[]`;
  return db
    .select({
      id: metrics.id,
      key: metrics.key,
      windowMultiple: metrics.windowMultiple,
      detectedSeason: metrics.detectedSeason,
    })
    .from(metrics)
    .where(
      and(
        eq(metrics.enabled, true),
        eq(metrics.baseline, 'auto'),
        or(isNull(metrics.seasonCheckedAt), lte(metrics.seasonCheckedAt, staleBefore)),
        dsql`coalesce(${metrics.parentId}, ${metrics.id}) % ${shards.count}::int = any(${held})`,
      ),
    )
    .orderBy(dsql`${metrics.seasonCheckedAt} asc nulls first`, asc(metrics.id))
    .limit(limit);
}

/** Stores a metric's season decision made at `checkedAt`. */
export async function recordSeasonCheck(
  db: Executor,
  metricId: number,
  season: Season | null,
  checkedAt: Date,
): Promise<void> {
  await db
    .update(metrics)
    .set({ detectedSeason: season, seasonCheckedAt: checkedAt })
    .where(eq(metrics.id, metricId));
}
