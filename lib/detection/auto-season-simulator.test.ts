/**
 * The built-in simulator's traffic has a daily curve (lib/simulator/model.ts `dailyShape`: 0.6×
 * at 03:00 UTC to 1.4× at 15:00). Scored through the engine with the robust baseline, a count of
 * it alerts on the curve's slopes, mornings and evenings, several times a day; with the automatic
 * baseline, once the detector has checked (every 6 hours, as the live season check does) and
 * found the daily season, it no longer does.
 */
import { describe, expect, it } from 'vitest';
import { dailyShape, EVENT_MIX, rateNoise } from '@/lib/simulator/model';
import { Random } from '@/lib/simulator/random';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import {
  DEFAULT_RULE,
  NEW_METRIC_RULE,
  TOTAL,
  type MetricDefinition,
  type Season,
} from '@/lib/types';
import {
  detectMetricSeason,
  effectiveRule,
  SEASON_CHECK_MAX_AGE_MS,
  SEASON_CHECK_SPAN_MS,
  seasonStep,
  type SeasonDecision,
} from './auto-season';
import { scoreBaseWindow } from './engine';
import { MemoryEngineStore } from './memory-store';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** The live simulator's default rate (PULSE_SIM_RATE) and the default window (PULSE_WINDOW). */
const RATE = 1000;
const DAYS = 7;
const start = Date.UTC(2026, 10, 1);

describe("the simulator's daily curve", () => {
  it('alerts every day with the robust baseline, and not once the automatic one found the day', async () => {
    const purchases = defaultMetrics().find((m) => m.key === 'purchases')!;
    const robust: MetricDefinition = { ...purchases, id: 1, key: 'robust' };
    const auto: MetricDefinition = { ...purchases, id: 2, key: 'auto' };
    const store = new MemoryEngineStore();
    const rng = new Random(42);
    let decision: SeasonDecision | null = null;
    const opened: Record<string, number[]> = { robust: [], auto: [] };
    const used = new Map<string, number>();

    for (let w = start; w < start + DAYS * DAY; w += MIN) {
      const mean = RATE * EVENT_MIX.purchase * 60 * dailyShape(w + MIN / 2) * rateNoise(3, w);
      store.addRollups([
        {
          windowStart: w,
          eventType: 'purchase',
          dim: TOTAL,
          value: TOTAL,
          measure: COUNT_MEASURE,
          count: rng.poisson(mean),
          sum: 0,
          sumsq: 0,
          min: 0,
          max: 0,
        },
      ]);
      if (decision === null || w - decision.checkedAt! >= SEASON_CHECK_MAX_AGE_MS) {
        const samples = store
          .points(auto.id)
          .filter((p) => p.windowStart >= w - SEASON_CHECK_SPAN_MS && p.value !== null)
          .map((p) => ({ windowStart: p.windowStart, value: p.value! }));
        const current: Season | null = decision === null ? null : decision.season;
        const season: Season | null = detectMetricSeason(samples, seasonStep(MIN), current).season;
        decision = { season, checkedAt: w };
      }
      const outcomes = await scoreBaseWindow(
        store,
        [
          { definition: robust, rule: DEFAULT_RULE },
          { definition: auto, rule: effectiveRule(NEW_METRIC_RULE, decision) },
        ],
        w,
        MIN,
        { explain: false },
      );
      for (const o of outcomes) {
        if (o.step.kind === 'open') opened[o.metric.key]!.push(w);
        if (o.metric.key === 'auto' && w >= start + 3 * DAY) {
          used.set(o.score.baselineUsed, (used.get(o.score.baselineUsed) ?? 0) + 1);
        }
      }
      if (w % (6 * HOUR) === 0) store.dropCellsBefore(w - 2 * HOUR);
    }

    // Found in the first days' history, and used from the third day on (3 same-slot days), bar
    // the odd minute whose same minute alerted on one of the first days (left out of baselines).
    expect(decision?.season).toBe('day');
    const seasonal = used.get('seasonal (daily, detected)') ?? 0;
    expect(seasonal).toBeGreaterThan(0.95 * (DAYS - 3) * 1440);
    expect([...used.keys()].sort()).toEqual([
      'rolling (not enough seasonal history: 2 of 3 days; daily season detected)',
      'seasonal (daily, detected)',
    ]);
    const fromDay3 = (ws: number[]) => ws.filter((w) => w >= start + 3 * DAY);
    const hourOf = (w: number) => Math.floor((w % DAY) / HOUR);
    // Robust: several anomalies a day, most on the slopes (06:00–12:00 and 18:00–24:00).
    expect(fromDay3(opened.robust!).length).toBeGreaterThanOrEqual(12);
    const slopes = opened.robust!.filter((w) => hourOf(w) >= 6 && hourOf(w) < 12);
    expect(slopes.length).toBeGreaterThanOrEqual(DAYS);
    // Automatic: at most a chance one or two in four days, and no morning pattern.
    expect(fromDay3(opened.auto!).length).toBeLessThanOrEqual(2);
  });
});
