/**
 * The drift test through the engine and the in-memory store: a slow ramp opens one anomaly
 * before the threshold alone would, says "drifting up for N windows", and a store rebuilt from
 * the stored points (the detector restarted) carries on with the same sums.
 */
import { describe, expect, it } from 'vitest';
import { scoreBaseWindow, type EngineMetric } from './engine';
import { MemoryEngineStore } from './memory-store';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { DEFAULT_RULE, TOTAL, type RollupDelta } from '@/lib/types';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const metric: EngineMetric = {
  definition: { ...defaultMetrics()[0]!, id: 1 },
  rule: DEFAULT_RULE,
};

/** Purchases of window i: 10,000 a window with a small deterministic wobble, then the ramp. */
const count = (i: number, ramp: (i: number) => number) =>
  Math.round(10_000 + 40 * Math.sin(i * 1.7) + ramp(i));

function cell(i: number, events: number): RollupDelta {
  return {
    windowStart: T0 + i * W,
    eventType: 'purchase',
    dim: TOTAL,
    value: TOTAL,
    measure: COUNT_MEASURE,
    count: events,
    sum: 0,
    sumsq: 0,
    min: Number.NaN,
    max: Number.NaN,
  };
}

async function feed(
  store: MemoryEngineStore,
  from: number,
  to: number,
  ramp: (i: number) => number,
) {
  const outcomes = [];
  for (let i = from; i < to; i++) {
    store.addRollups([cell(i, count(i, ramp))]);
    outcomes.push(...(await scoreBaseWindow(store, [metric], T0 + i * W, W)));
  }
  return outcomes;
}

// σ is the Poisson floor, √10,000 = 100: a ramp to 2.5σ over 12 windows, then held, stays
// under the warn threshold (3σ) in every window.
const START = 40;
const ramp = (i: number) => (i < START ? 0 : (250 * Math.min(12, i - START + 1)) / 12);

describe('the drift test in the engine', () => {
  it('opens one anomaly on a slow ramp the threshold never sees, and says how long it drifted', async () => {
    const store = new MemoryEngineStore();
    const outcomes = await feed(store, 0, START + 20, ramp);
    const opened = outcomes.filter((o) => o.step.kind === 'open');
    expect(opened).toHaveLength(1);
    const [open] = opened;
    expect(outcomes.filter((o) => o.score.severity !== null)).toEqual([]);
    expect(open!.windowStart).toBeGreaterThan(T0 + START * W);
    const [anomaly] = store.anomalies();
    expect(anomaly!.sentence).toMatch(/^Drifting up for \d+ windows?\./);
    const windows = Number(/for (\d+) window/.exec(anomaly!.sentence)![1]);
    expect(anomaly!.firstWindow).toBe(anomaly!.peakWindow - (windows - 1) * W);
    expect(anomaly!.firstWindow).toBeGreaterThanOrEqual(T0 + (START - 2) * W);
  });

  it('stays quiet without a ramp', async () => {
    const store = new MemoryEngineStore();
    const outcomes = await feed(store, 0, START + 20, () => 0);
    expect(outcomes.filter((o) => o.step.kind !== 'none')).toEqual([]);
  });

  it('carries on after a restart as if it had not stopped: the sums come from the stored points', async () => {
    const whole = new MemoryEngineStore();
    const straight = await feed(whole, 0, START + 20, ramp);
    for (const stop of [START + 2, START + 4, START + 5]) {
      const before = new MemoryEngineStore();
      await feed(before, 0, stop, ramp);
      const after = new MemoryEngineStore();
      after.addPoints(before.points());
      for (let i = 0; i < stop; i++) after.addRollups([cell(i, count(i, ramp))]);
      const resumed = await feed(after, stop, START + 20, ramp);
      expect(resumed.map((o) => o.step.kind)).toEqual(straight.slice(stop).map((o) => o.step.kind));
    }
  });
});
