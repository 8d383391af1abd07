import { describe, expect, it } from 'vitest';
import {
  MIN_HISTORY,
  explainWindow,
  metricEventTypes,
  noiseFloor,
  scoreWindow,
} from './score-window';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { naiveFold } from '@/lib/stream/rollup-merge';
import { DEFAULT_RULE, TOTAL, type MetricDefinition, type PulseEvent } from '@/lib/types';

const metric = (key: string): MetricDefinition => {
  const def = defaultMetrics().find((m) => m.key === key);
  if (!def) throw new Error(key);
  return { ...def, id: 1 };
};
const W = 60_000;
const total = { dim: TOTAL, value: TOTAL };

function events(
  type: string,
  n: number,
  dims: Record<string, string>,
  measures = {},
): PulseEvent[] {
  return Array.from({ length: n }, (_, i) => ({ ts: i, type, dims, measures }));
}

describe('metricEventTypes', () => {
  it('reads the numerator and, for ratios, the denominator type', () => {
    expect(metricEventTypes(metric('purchases'))).toEqual(['purchase']);
    expect(metricEventTypes(metric('error_rate'))).toEqual(['error', 'api_request']);
  });
});

describe('noiseFloor', () => {
  it('is Poisson for counts', () => {
    expect(noiseFloor(metric('purchases'), [], total, 400)).toBeCloseTo(20);
  });

  it('is √(μ/den) for ratios, from the window’s denominator', () => {
    const cells = naiveFold(events('api_request', 10_000, { region: 'eu' }), W);
    expect(noiseFloor(metric('error_rate'), cells, total, 0.01)).toBeCloseTo(
      Math.sqrt(0.01 / 10_000),
    );
  });

  it('is the standard error of the mean for averages', () => {
    const evs = [
      ...events('api_request', 50, { region: 'eu' }, { latency_ms: 100 }),
      ...events('api_request', 50, { region: 'eu' }, { latency_ms: 300 }),
    ];
    // variance 100² → standard error 100/√100 = 10
    expect(noiseFloor(metric('api_latency'), naiveFold(evs, W), total, 200)).toBeCloseTo(10);
  });
});

describe('scoreWindow', () => {
  const history = Array.from({ length: 20 }, (_, i) => ({
    windowStart: (i - 20) * W,
    value: 1000 + (i % 2 ? 10 : -10),
  }));

  it('stays learning until enough history', () => {
    const cells = naiveFold(events('purchase', 1000, { region: 'eu' }), W);
    const { score } = scoreWindow(
      metric('purchases'),
      DEFAULT_RULE,
      cells,
      history.slice(0, MIN_HISTORY - 1),
      [],
    );
    expect(score.status).toBe('learning');
  });

  it('does not alert on a change within sampling noise even when the history is unusually flat', () => {
    // history σ ≈ 10, but Poisson noise at 1000 is ≈ 32: 1060 is under 2σ of that.
    const cells = naiveFold(events('purchase', 1060, { region: 'eu' }), W);
    const { score } = scoreWindow(metric('purchases'), DEFAULT_RULE, cells, history, []);
    expect(score.status).toBe('ok');
    expect(score.sigma).toBeGreaterThanOrEqual(31);
  });

  it('flags a large drop as critical, downwards', () => {
    const cells = naiveFold(events('purchase', 500, { region: 'eu' }), W);
    const { score, volume } = scoreWindow(metric('purchases'), DEFAULT_RULE, cells, history, []);
    expect(volume).toBe(500);
    expect(score).toMatchObject({ status: 'critical', severity: 'critical', direction: 'down' });
  });

  it('names the windows its baseline used, and the baseline', () => {
    const cells = naiveFold(events('purchase', 1000, { region: 'eu' }), W);
    const robust = scoreWindow(metric('purchases'), DEFAULT_RULE, cells, history, []);
    expect(robust.baselineWindows).toEqual(history.map((h) => h.windowStart));
    expect(robust.score.baselineUsed).toBe('robust; 20 of 30 windows, σ ×1.17 while learning');

    const DAY = 86_400_000;
    const sameSlot = [3, 2, 1].map((k) => ({ windowStart: -k * DAY, value: 2000 }));
    const seasonal = scoreWindow(
      metric('purchases'),
      { ...DEFAULT_RULE, baseline: 'seasonal' },
      cells,
      history,
      sameSlot,
    );
    expect(seasonal.baselineWindows).toEqual([-3 * DAY, -2 * DAY, -DAY]);
    expect(seasonal.score).toMatchObject({ expected: 2000, baselineUsed: 'seasonal' });
    // Poisson noise at the seasonal expectation (√2000 ≈ 44.7), not at the recent level.
    expect(seasonal.score.sigma).toBeCloseTo(Math.sqrt(2000), 6);
    expect(seasonal.score.status).toBe('critical');
  });
});

describe('explainWindow', () => {
  it('blames the slice that moved, against each slice’s own history', () => {
    const normal = [
      ...events('purchase', 300, { region: 'eu-west', device: 'ios' }),
      ...events('purchase', 300, { region: 'us-east', device: 'ios' }),
      ...events('purchase', 300, { region: 'us-east', device: 'android' }),
    ];
    const history = Array.from({ length: 10 }, () => naiveFold(normal, W));
    const now = naiveFold(
      [
        ...events('purchase', 60, { region: 'eu-west', device: 'ios' }),
        ...events('purchase', 300, { region: 'us-east', device: 'ios' }),
        ...events('purchase', 300, { region: 'us-east', device: 'android' }),
      ],
      W,
    );
    const explanation = explainWindow(metric('purchases'), now, history, {
      actual: 660,
      expected: 900,
    });
    expect(explanation.top[0]).toMatchObject({
      dim: 'region',
      value: 'eu-west',
      actual: 60,
      expected: 300,
    });
    expect(explanation.top[0]!.share).toBeCloseTo(1);
    expect(explanation.sentence).toContain('region=eu-west');
    // The device split is explained too: ios carries the whole drop.
    expect(explanation.dimensions.device?.[0]).toMatchObject({ value: 'ios' });
  });
});
