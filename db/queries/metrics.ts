/** Metric definitions and their alert rules. */
import { asc, eq, sql } from 'drizzle-orm';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { DEFAULT_RULE, type AlertRule, type MetricDefinition } from '@/lib/types';
import type { Db } from '../client';
import { metrics } from '../schema';

export type MetricRow = typeof metrics.$inferSelect;

export function toDefinition(row: MetricRow): MetricDefinition {
  const { id, key, name, kind, eventType, measure, denominatorEventType, unit, enabled } = row;
  const { extraEventTypes, filters, windowMultiple } = row;
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
  };
}

/** The rule's own fields of a row, or of any object that carries more (extra keys dropped). */
export function toRule(row: AlertRule): AlertRule {
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

/** The default alert rule as row columns (the columns' own defaults lag behind DEFAULT_RULE). */
export function defaultRuleColumns(): AlertRule {
  return ruleColumns(DEFAULT_RULE);
}

/**
 * Creates the default metrics that do not exist yet (by key), with DEFAULT_RULE; leaves
 * existing ones, and their rules, alone.
 */
export async function ensureDefaultMetrics(db: Db): Promise<void> {
  await db
    .insert(metrics)
    .values(defaultMetrics().map((m) => ({ ...m, ...defaultRuleColumns() })))
    .onConflictDoNothing({ target: metrics.key });
}

export async function listMetrics(db: Db): Promise<MetricRow[]> {
  return db.select().from(metrics).orderBy(asc(metrics.id));
}

export async function getMetricByKey(db: Db, key: string): Promise<MetricRow | undefined> {
  const [row] = await db.select().from(metrics).where(eq(metrics.key, key));
  return row;
}

export async function getMetric(db: Db, id: number): Promise<MetricRow | undefined> {
  const [row] = await db.select().from(metrics).where(eq(metrics.id, id));
  return row;
}

/**
 * Saves a validated rule; the detector reads rules fresh for every window. With `rescoreFrom`
 * (epoch ms) it also asks the detector to re-score stored history from that window on; an
 * earlier pending request is kept when it reaches further back.
 */
export async function updateRule(
  db: Db,
  metricId: number,
  rule: AlertRule,
  userId: number,
  options: { rescoreFrom?: number } = {},
): Promise<MetricRow | undefined> {
  const { rescoreFrom } = options;
  const [row] = await db
    .update(metrics)
    .set({
      ...ruleColumns(rule),
      ruleUpdatedAt: new Date(),
      ruleUpdatedBy: userId,
      ...(rescoreFrom !== undefined
        ? {
            // least() ignores NULL: a pending earlier request is kept.
            rescoreFrom: sql`least(${metrics.rescoreFrom}, ${new Date(rescoreFrom).toISOString()}::timestamptz)`,
          }
        : {}),
    })
    .where(eq(metrics.id, metricId))
    .returning();
  return row;
}
