/**
 * Read model of the thresholds page's preview: a candidate rule and the current one over stored
 * history, scored by the detector's engine in memory (lib/detection/rule-preview
 * `previewMetric`). Three reads, shared by both rules: the range's points, the points before it
 * the baselines read, and the total cells of the range's base windows (rollups or the leaf
 * cube); for an automatic baseline, a fourth: the hourly values the season is detected from. It joins table groups for one screen; nothing is written.
 */
import { and, gte, inArray, lt, sql } from 'drizzle-orm';
import {
  definitionEventTypes,
  matchesDefinition,
  needsLeaves,
  parseLeaf,
} from '@/lib/metrics/cells';
import { detectMetricSeason, type SeasonDecision } from '@/lib/detection/auto-season';
import {
  previewMetric,
  previewReads,
  previewSeasonRange,
  type RulePreview,
  type WindowRange,
} from '@/lib/detection/rule-preview';
import { type AlertRule, type MetricDefinition, type RollupDelta } from '@/lib/types';
import { leafRollups, rollups } from '../schema';
import { leafTotals } from './definition-preview';
import type { Executor } from './executor';
import { savedRule, toDefinition, type MetricRow } from './metrics';
import { previewPoints, seasonSamples } from './points';

export type { RulePreview };

/** Most windows a preview re-scores (24 h of one-minute windows). */
export const MAX_PREVIEW_WINDOWS = 1440;
export const DEFAULT_PREVIEW_HOURS = 24;

/** The range a preview covers: the last `hours` of metric windows up to `now`, capped. */
export function previewRange(now: number, windowMs: number, hours = DEFAULT_PREVIEW_HOURS) {
  const to = Math.floor(now / windowMs) * windowMs - windowMs;
  const count = Math.max(
    1,
    Math.min(MAX_PREVIEW_WINDOWS, Math.floor((hours * 3_600_000) / windowMs)),
  );
  return { from: to - (count - 1) * windowMs, to };
}

/**
 * The cells of the metric's event types in the base windows [from, to): all that scoring a
 * window reads (lib/detection/rule-preview). An unfiltered metric's are its marginal rollups, every
 * dimension value's (the slice drift test reads them) and the total. A filtered one's are only
 * its total cells (dim = value = TOTAL; the slice drift test does not run on it), from the leaf
 * cube, as the detector reads it, without
 * shipping the cube: the range's distinct leaves are read first and kept when they pass the
 * metric's filters by the detector's own test (lib/metrics/metrics `parseLeaf`, `matchesFilters`), then
 * PostgreSQL adds up the cells of the kept leaves per window, event type and measure — the total
 * rows lib/metrics/metrics `cellsFromLeaves` would make (no min or max: NaN, as there).
 */
export async function previewCells(
  db: Executor,
  metric: MetricDefinition,
  from: number,
  to: number,
): Promise<RollupDelta[]> {
  const types = definitionEventTypes(metric);
  if (!needsLeaves(metric)) {
    const rows = await db
      .select()
      .from(rollups)
      .where(
        and(
          gte(rollups.windowStart, new Date(from)),
          lt(rollups.windowStart, new Date(to)),
          inArray(rollups.eventType, types),
        ),
      );
    return rows.map((r) => ({ ...r, windowStart: r.windowStart.getTime() }));
  }
  const inRange = and(
    gte(leafRollups.windowStart, new Date(from)),
    lt(leafRollups.windowStart, new Date(to)),
    inArray(leafRollups.eventType, types),
  );
  const distinct = await db
    .selectDistinct({ leaf: leafRollups.leaf })
    .from(leafRollups)
    .where(inRange);
  const kept = distinct
    .map((r) => r.leaf)
    .filter((leaf) => matchesDefinition(metric, parseLeaf(leaf)));
  if (kept.length === 0) return [];
  return leafTotals(db, and(inRange, sql`${leafRollups.leaf} = any(${sql.param(kept)}::text[])`));
}

/**
 * Re-scores the metric's stored windows of the last `hours` (up to {@link MAX_PREVIEW_WINDOWS}
 * windows) with `candidate` and with the saved rule, through the detector's engine: which
 * windows would have alerted and which anomalies would have opened. `baseWindowMs` is
 * PULSE_WINDOW; the metric's own window is a multiple of it. Nothing is written.
 */
export async function previewRule(
  db: Executor,
  row: MetricRow,
  candidate: AlertRule,
  options: { baseWindowMs: number; now: number; hours?: number },
): Promise<RulePreview> {
  const metric = toDefinition(row);
  const saved = savedRule(row);
  const windowMs = options.baseWindowMs * Math.max(1, metric.windowMultiple);
  const range: WindowRange = previewRange(options.now, windowMs, options.hours);
  // An automatic baseline: the season as the detector would decide it now, from the stored
  // points (both rules are compared with the same decision).
  let season: SeasonDecision | null = null;
  if (candidate.baseline === 'auto' || saved.baseline === 'auto') {
    const { stepMs, ...span } = previewSeasonRange(range, windowMs);
    const samples = await seasonSamples(db, metric.id, span, stepMs);
    const found = detectMetricSeason(samples, stepMs, row.detectedSeason).season;
    season = { season: found, checkedAt: options.now };
  }
  const reads = previewReads([candidate, saved], range, windowMs, season);
  const [points, cells] = await Promise.all([
    previewPoints(db, metric.id, range, reads, windowMs),
    previewCells(db, metric, reads.cellsFrom, reads.cellsTo),
  ]);
  const input = { metric, baseWindowMs: options.baseWindowMs, range, cells, points, season };
  const next = await previewMetric({ ...input, rule: candidate });
  const current = await previewMetric({ ...input, rule: saved });
  return {
    ...range,
    windowMs,
    windows: next.windows,
    candidate: next.outcome,
    current: current.outcome,
  };
}
