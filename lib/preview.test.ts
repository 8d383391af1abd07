import { describe, expect, it } from 'vitest';
import { pointNoiseFloor, simulateRule, type StoredWindow } from './preview';
import { DEFAULT_RULE, type AlertRule } from './types';

const W = 60_000;
const DAY = 86_400_000;
const flat = (from: number, n: number, value = 100): StoredWindow[] =>
  Array.from({ length: n }, (_, i) => ({
    windowStart: (from + i) * W,
    value: value + (i % 2 ? 3 : -3),
    volume: 100,
    status: 'ok',
  }));

describe('pointNoiseFloor', () => {
  it('is Poisson for counts, √(μ/den) for ratios, none for sums and averages', () => {
    expect(pointNoiseFloor('count', 400, 400)).toBe(20);
    expect(pointNoiseFloor('ratio', 0.04, 100)).toBeCloseTo(0.02, 12);
    expect(pointNoiseFloor('ratio', 0.04, 0)).toBe(0);
    expect(pointNoiseFloor('avg', 250, 100)).toBe(0);
    expect(pointNoiseFloor('sum', 250, 100)).toBe(0);
  });
});

describe('simulateRule', () => {
  const rule: AlertRule = { ...DEFAULT_RULE, minVolume: 0 };

  it('re-scores only the range, from the history before it, skipping missing windows', () => {
    const points = [...flat(0, 20), ...flat(20, 10).filter((p) => p.windowStart !== 25 * W)];
    const { windows, outcome } = simulateRule({
      kind: 'avg',
      rule,
      from: 20 * W,
      to: 29 * W,
      points,
    });
    expect(windows.map((w) => w.windowStart / W)).toEqual([20, 21, 22, 23, 24, 26, 27, 28, 29]);
    expect(outcome.counts).toEqual({
      scored: 9,
      warn: 0,
      critical: 0,
      learning: 0,
      unconfirmed: 0,
      anomalies: 0,
    });
    expect(outcome.baselineUsed).toBe('rolling');
  });

  it('leaves stored anomalous windows before the range out of the baseline', () => {
    const before = flat(0, 20).map((p, i) =>
      i >= 10 ? { ...p, value: 1000, status: 'critical' as const } : p,
    );
    const { windows } = simulateRule({
      kind: 'avg',
      rule,
      from: 20 * W,
      to: 20 * W,
      points: [...before, { windowStart: 20 * W, value: 100, volume: 100, status: 'critical' }],
    });
    expect(windows[0]).toMatchObject({ status: 'ok', expected: 100 });
  });

  it('counts flagged windows no anomaly covers as unconfirmed, and numbers anomalies', () => {
    const points = flat(0, 40);
    points[25] = { ...points[25]!, value: 200 };
    points[30] = { ...points[30]!, value: 200 };
    points[31] = { ...points[31]!, value: 200 };
    // All warn: a critical window would open an anomaly at once.
    const two = { ...rule, consecutiveWindows: 2, criticalZ: 1000 };
    const { windows, outcome } = simulateRule({
      kind: 'avg',
      rule: two,
      from: 20 * W,
      to: 39 * W,
      points,
    });
    expect(outcome.counts).toMatchObject({ warn: 3, unconfirmed: 1, anomalies: 1 });
    expect(windows.find((w) => w.windowStart === 25 * W)?.anomalyId).toBeNull();
    expect(windows.find((w) => w.windowStart === 31 * W)?.anomalyId).toBe(0);
    expect(outcome.anomalies[0]).toMatchObject({ firstWindow: 30 * W, lastWindow: 31 * W });
  });

  it('reads the same slot on earlier days for a seasonal rule', () => {
    const sameSlot: StoredWindow[] = [1, 2, 3].map((k) => ({
      windowStart: 30 * W - k * DAY,
      value: 300,
      volume: 100,
      status: 'ok',
    }));
    const { windows, outcome } = simulateRule({
      kind: 'count',
      rule: { ...rule, baseline: 'seasonal' },
      from: 30 * W,
      to: 30 * W,
      points: [...sameSlot, ...flat(10, 21, 300)],
    });
    expect(outcome.baselineUsed).toBe('seasonal');
    expect(windows[0]).toMatchObject({ expected: 300, status: 'ok' });
  });
});
