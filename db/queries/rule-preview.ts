/** The thresholds page's preview: a candidate rule and the current one over stored history. */
import { SEASONAL_PERIODS } from '@/lib/detect';
import { simulateRule, type RulePreview } from '@/lib/preview';
import type { AlertRule } from '@/lib/types';
import type { Db } from '../client';
import { previewWindows } from './detection';
import { toRule, type MetricRow } from './metrics';

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

async function simulate(db: Db, row: MetricRow, rule: AlertRule, from: number, to: number) {
  const points = await previewWindows(db, row.id, {
    from,
    to,
    before: 2 * rule.baselineWindows,
    ...(rule.baseline === 'seasonal'
      ? { season: rule.season, seasons: SEASONAL_PERIODS[rule.season] }
      : {}),
  });
  return simulateRule({ kind: row.kind, rule, from, to, points });
}

/**
 * Re-scores the metric's stored windows of the last `hours` (up to {@link MAX_PREVIEW_WINDOWS}
 * windows) with `candidate` and with the saved rule: which windows would have alerted and which
 * anomalies would have opened. `baseWindowMs` is PULSE_WINDOW; the metric's own window is a
 * multiple of it.
 */
export async function previewRule(
  db: Db,
  row: MetricRow,
  candidate: AlertRule,
  options: { baseWindowMs: number; now: number; hours?: number },
): Promise<RulePreview> {
  const windowMs = options.baseWindowMs * Math.max(1, row.windowMultiple);
  const { from, to } = previewRange(options.now, windowMs, options.hours);
  const [next, saved] = await Promise.all([
    simulate(db, row, candidate, from, to),
    simulate(db, row, toRule(row), from, to),
  ]);
  return {
    from,
    to,
    windowMs,
    windows: next.windows,
    candidate: next.outcome,
    current: saved.outcome,
  };
}
