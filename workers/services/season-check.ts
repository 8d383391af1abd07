/**
 * The season check: decides, for metrics with the automatic baseline, whether their own stored
 * history shows a daily or weekly season (lib/detection/auto-season.ts), and stores the decision
 * on the metric, where the detector's rule resolution reads it (db/queries/metrics.ts `toRule`).
 *
 * Reading weeks of points is too costly for every window of thousands of metrics, so the
 * detector's tick calls this for a bounded number of metrics whose decision is missing or hours
 * old (SEASON_CHECKS_PER_TICK, SEASON_CHECK_MAX_AGE_MS). Each metric is one short transaction of
 * its own (one aggregate read, one update), outside any window's scoring transaction: a window
 * scored meanwhile uses the previous decision, and the new one applies from the next window
 * (stored history is not re-scored for it).
 */
import {
  detectMetricSeason,
  SEASON_CHECK_MAX_AGE_MS,
  SEASON_CHECK_SPAN_MS,
  SEASON_CHECKS_PER_TICK,
  seasonStep,
} from '@/lib/detection/auto-season';
import type { Logger } from '@/lib/observability/log';
import type { Season } from '@/lib/types';
import type { Db } from '@/db/client';
import { recordSeasonCheck, seasonChecksDue } from '@/db/queries/metrics';
import { latestPointStart, seasonSamples } from '@/db/queries/points';

export interface SeasonCheckOptions {
  /** The detector's base window (PULSE_WINDOW); a metric's window is a multiple of it. */
  windowMs: number;
  log?: Logger;
  /** Wall-clock time of the check (staleness and season_checked_at). Default: now. */
  now?: number;
  /** Most metrics checked in this call. Default SEASON_CHECKS_PER_TICK. */
  limit?: number;
  /** Only the metrics of these detector shards (the ones this worker holds). Default: all of one. */
  shards?: { held: readonly number[]; count: number };
}

export interface SeasonCheckResult {
  metricId: number;
  key: string;
  season: Season | null;
  previous: Season | null;
}

/**
 * Checks up to `limit` due metrics: the 4 weeks of stored values up to each one's latest window
 * (its own history, so a replay of old data is judged by its own time), averaged per hour.
 */
export async function checkSeasons(
  db: Db,
  options: SeasonCheckOptions,
): Promise<SeasonCheckResult[]> {
  const now = new Date(options.now ?? Date.now());
  const due = await seasonChecksDue(
    db,
    now,
    SEASON_CHECK_MAX_AGE_MS,
    options.limit ?? SEASON_CHECKS_PER_TICK,
    options.shards,
  );
  const results: SeasonCheckResult[] = [];
  for (const metric of due) {
    const metricWindowMs = options.windowMs * Math.max(1, metric.windowMultiple);
    const stepMs = seasonStep(metricWindowMs);
    const season = await db.transaction(async (tx) => {
      const latest = await latestPointStart(tx, metric.id);
      const to = latest === null ? now.getTime() : latest + metricWindowMs;
      const samples =
        latest === null
          ? []
          : await seasonSamples(tx, metric.id, { from: to - SEASON_CHECK_SPAN_MS, to }, stepMs);
      const found = detectMetricSeason(samples, stepMs, metric.detectedSeason).season;
      await recordSeasonCheck(tx, metric.id, found, now);
      return found;
    });
    results.push({ metricId: metric.id, key: metric.key, season, previous: metric.detectedSeason });
    if (season !== metric.detectedSeason) {
      options.log?.info(
        { metric: metric.key, season, previous: metric.detectedSeason },
        season
          ? `automatic baseline: a ${season === 'day' ? 'daily' : 'weekly'} season detected, scoring against it`
          : 'automatic baseline: no daily or weekly season, scoring robust',
      );
    }
  }
  return results;
}
