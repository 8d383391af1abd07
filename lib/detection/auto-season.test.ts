import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE, NEW_METRIC_RULE, type AlertRule } from '@/lib/types';
import {
  detectMetricSeason,
  effectiveRule,
  seasonCheckDue,
  SEASON_CHECK_MAX_AGE_MS,
  seasonGrid,
  seasonStep,
  type SeasonSample,
} from './auto-season';
import { chooseBaseline, score } from './zscore';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 2); // a Monday

/** Deterministic noise in [−1, 1). */
function noise(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

/** Hourly samples over `days` days: `shape(hour of the day, day)` plus noise of the given size. */
function hourly(
  days: number,
  shape: (hour: number, day: number) => number,
  size = 0,
  seed = 7,
): SeasonSample[] {
  const n = noise(seed);
  return Array.from({ length: days * 24 }, (_, i) => ({
    windowStart: T0 + i * HOUR,
    value: shape(i % 24, Math.floor(i / 24)) + size * n(),
  }));
}

/** Busy from 08:00 to 20:00, quiet at night: a strong daily shape. */
const daily = (hour: number) => (hour >= 8 && hour < 20 ? 100 : 30);
/** The same days, but weekends (day 5 and 6 of each week from a Monday) stay quiet. */
const weekly = (hour: number, day: number) => (day % 7 >= 5 ? 30 : daily(hour));

describe('detectMetricSeason', () => {
  it('finds a daily season in 3 weeks of a strong daily shape with noise', () => {
    expect(detectMetricSeason(hourly(21, daily, 15), HOUR).season).toBe('day');
  });

  it('finds a weekly season when the weekends are quiet', () => {
    const result = detectMetricSeason(hourly(28, weekly, 10), HOUR);
    expect(result.season).toBe('week');
    expect(result.candidates.find((c) => c.season === 'week')?.correlation).toBeGreaterThan(0.9);
  });

  it('keeps a weekly season it already uses while it passes (sticky)', () => {
    expect(detectMetricSeason(hourly(28, weekly, 10), HOUR, 'week').season).toBe('week');
  });

  it('finds none in noise', () => {
    expect(
      detectMetricSeason(
        hourly(28, () => 50, 20),
        HOUR,
      ).season,
    ).toBeNull();
  });

  it('finds none in a flat series', () => {
    expect(
      detectMetricSeason(
        hourly(28, () => 50),
        HOUR,
      ).season,
    ).toBeNull();
  });

  it('finds none in less than two days of even a perfect daily shape', () => {
    const samples = hourly(28, daily);
    expect(detectMetricSeason(samples.slice(-47), HOUR).season).toBeNull();
    // Two whole days are the least: the same shape is found with them.
    expect(detectMetricSeason(samples.slice(-48), HOUR).season).toBe('day');
  });

  it('finds none from a few scattered hours, however long the span they cover', () => {
    const sparse = hourly(28, daily).filter((_, i) => i % 97 === 0);
    expect(detectMetricSeason(sparse, HOUR).season).toBeNull();
  });

  it('reads minute windows averaged per hour as well as hourly ones', () => {
    const n = noise(3);
    const minutes = Array.from({ length: 14 * 24 * 60 }, (_, i) => ({
      windowStart: T0 + i * MIN,
      value: daily(Math.floor(i / 60) % 24) + 40 * n(),
    }));
    expect(detectMetricSeason(minutes, seasonStep(MIN)).season).toBe('day');
  });
});

describe('seasonGrid and seasonStep', () => {
  it('averages samples per step from the first to the last, NaN for an empty step', () => {
    const grid = seasonGrid(
      [
        { windowStart: T0 + 10 * MIN, value: 2 },
        { windowStart: T0 + 50 * MIN, value: 4 },
        { windowStart: T0 + 3 * HOUR, value: 9 },
        { windowStart: T0 + 4 * HOUR, value: Number.NaN },
      ],
      HOUR,
    );
    expect(grid.slice(0, 3)).toEqual([3, Number.NaN, Number.NaN]);
    expect(grid).toHaveLength(4);
    expect(grid[3]).toBe(9);
    expect(seasonGrid([], HOUR)).toEqual([]);
  });

  it('is an hour, or the metric window when longer', () => {
    expect(seasonStep(MIN)).toBe(HOUR);
    expect(seasonStep(2 * HOUR)).toBe(2 * HOUR);
  });
});

describe('seasonCheckDue', () => {
  it('is due when never checked or older than the maximum age', () => {
    const now = T0 + 30 * DAY;
    expect(seasonCheckDue(null, now)).toBe(true);
    expect(seasonCheckDue(now - SEASON_CHECK_MAX_AGE_MS, now)).toBe(true);
    expect(seasonCheckDue(now - SEASON_CHECK_MAX_AGE_MS + 1, now)).toBe(false);
  });
});

describe('effectiveRule', () => {
  const auto: AlertRule = { ...NEW_METRIC_RULE, season: 'week' };

  it('turns auto into seasonal with the detected season', () => {
    expect(effectiveRule(auto, { season: 'day', checkedAt: T0 })).toEqual({
      ...auto,
      baseline: 'seasonal',
      season: 'day',
      autoSeason: 'day',
    });
  });

  it('turns auto into robust when no season was found, or none looked for yet', () => {
    expect(effectiveRule(auto, { season: null, checkedAt: T0 })).toEqual({
      ...auto,
      baseline: 'robust',
      autoSeason: 'none',
    });
    expect(effectiveRule(auto, { season: null, checkedAt: null })).toMatchObject({
      baseline: 'robust',
      autoSeason: 'unchecked',
    });
    expect(effectiveRule(auto, null)).toMatchObject({
      baseline: 'robust',
      autoSeason: 'unchecked',
    });
  });

  it('leaves every other baseline alone, whatever was detected', () => {
    for (const baseline of ['rolling', 'robust', 'seasonal'] as const) {
      const rule = { ...DEFAULT_RULE, baseline };
      expect(effectiveRule(rule, { season: 'week', checkedAt: T0 })).toBe(rule);
    }
  });

  it('is the default of new metrics, and not of the engine', () => {
    expect(NEW_METRIC_RULE).toEqual({ ...DEFAULT_RULE, baseline: 'auto' });
    expect(DEFAULT_RULE.baseline).toBe('robust');
  });
});

describe('the baseline words of a resolved auto rule', () => {
  const history = Array.from({ length: 30 }, (_, i) => ({
    windowStart: T0 + i * MIN,
    value: 50 + (i % 3),
  }));
  const sameSlot = [1, 2, 3].map((k) => ({ windowStart: T0 - k * DAY, value: 50 }));

  it('says the season was detected', () => {
    const rule = effectiveRule(NEW_METRIC_RULE, { season: 'day', checkedAt: T0 });
    expect(chooseBaseline(history, sameSlot, rule).used).toBe('seasonal (daily, detected)');
    expect(chooseBaseline(history, sameSlot.slice(1), rule).used).toBe(
      'rolling (not enough seasonal history: 2 of 3 days; daily season detected)',
    );
  });

  it('says when none was, or none looked for, and scores as robust', () => {
    const none = effectiveRule(NEW_METRIC_RULE, { season: null, checkedAt: T0 });
    expect(chooseBaseline(history, [], none).used).toBe(
      'robust (no daily or weekly season detected)',
    );
    const unchecked = effectiveRule(NEW_METRIC_RULE, null);
    expect(chooseBaseline(history, [], unchecked).used).toBe('robust (season not checked yet)');
    const robust = { ...DEFAULT_RULE, baseline: 'robust' as const };
    const { baselineUsed, ...scored } = score(70, 100, history, [], none);
    const { baselineUsed: plain, ...same } = score(70, 100, history, [], robust);
    expect(scored).toEqual(same);
    expect([baselineUsed, plain]).toEqual([
      'robust (no daily or weekly season detected)',
      'robust',
    ]);
  });

  it('scores an unresolved auto rule as robust, never as the rolling mean', () => {
    const spiky = [...history.slice(0, 29), { windowStart: T0 + 29 * MIN, value: 500 }];
    const unresolved = chooseBaseline(spiky, [], NEW_METRIC_RULE);
    expect(unresolved.kind).toBe('robust');
    expect(unresolved.mean).toBe(chooseBaseline(spiky, [], DEFAULT_RULE).mean);
  });
});
