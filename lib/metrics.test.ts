import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InvalidMetricError,
  TOTAL_SLICE,
  defaultMetrics,
  formatMetricValue,
  formatValue,
  metricValue,
  observe,
  observeSlices,
} from './metrics';
import { naiveFold } from './rollup';
import { TOTAL, type MetricDefinition, type PulseEvent, type RollupDelta } from './types';

const W = 60_000;
const T0 = Date.UTC(2025, 0, 1);

function metric(key: string): MetricDefinition {
  const found = defaultMetrics().find((m) => m.key === key);
  if (!found) throw new Error(`no default metric ${key}`);
  return { id: 1, ...found };
}

function ev(
  type: string,
  dims: Record<string, string>,
  measures: Record<string, number> = {},
): PulseEvent {
  return { ts: T0, type, dims, measures };
}

/** One window: EU has 4 sessions and 1 purchase ($30), US 6 sessions, 3 purchases ($10, $20, no revenue). */
const cells: RollupDelta[] = naiveFold(
  [
    ...Array.from({ length: 4 }, () => ev('session_start', { region: 'eu' })),
    ...Array.from({ length: 6 }, () => ev('session_start', { region: 'us' })),
    ev('purchase', { region: 'eu' }, { revenue: 30 }),
    ev('purchase', { region: 'us' }, { revenue: 10 }),
    ev('purchase', { region: 'us' }, { revenue: 20 }),
    ev('purchase', { region: 'us' }),
    ev('api_request', { region: 'eu' }, { latency_ms: 100 }),
    ev('api_request', { region: 'eu' }, { latency_ms: 300 }),
    ev('error', { region: 'eu' }),
  ],
  W,
);
const EU = { dim: 'region', value: 'eu' };
const US = { dim: 'region', value: 'us' };

describe('observe', () => {
  it('count: events of the type, den 1, volume = count', () => {
    expect(observe(metric('purchases'), cells, TOTAL_SLICE)).toEqual({ num: 4, den: 1, volume: 4 });
    expect(observe(metric('purchases'), cells, US)).toEqual({ num: 3, den: 1, volume: 3 });
  });

  it('sum: sum of the measure, den 1, volume = events carrying it', () => {
    expect(observe(metric('revenue'), cells, TOTAL_SLICE)).toEqual({ num: 60, den: 1, volume: 3 });
    expect(observe(metric('revenue'), cells, US)).toEqual({ num: 30, den: 1, volume: 2 });
  });

  it('avg: sum over events carrying the measure', () => {
    expect(observe(metric('api_latency'), cells, EU)).toEqual({ num: 400, den: 2, volume: 2 });
    expect(observe(metric('api_latency'), cells, US)).toEqual({ num: 0, den: 0, volume: 0 });
  });

  it('ratio: count over count of the denominator type, volume = den', () => {
    expect(observe(metric('conversion'), cells, TOTAL_SLICE)).toEqual({
      num: 4,
      den: 10,
      volume: 10,
    });
    expect(observe(metric('conversion'), cells, EU)).toEqual({ num: 1, den: 4, volume: 4 });
    expect(observe(metric('error_rate'), cells, EU)).toEqual({ num: 1, den: 2, volume: 2 });
  });

  it('adds up repeated rows of the same cell (unmerged deltas)', () => {
    expect(observe(metric('purchases'), [...cells, ...cells], TOTAL_SLICE).num).toBe(8);
  });

  it('is zero for a slice absent from the window', () => {
    expect(observe(metric('purchases'), cells, { dim: 'device', value: 'ios' })).toEqual({
      num: 0,
      den: 1,
      volume: 0,
    });
  });

  it('handles a ratio whose numerator and denominator are the same type', () => {
    const self = { ...metric('conversion'), eventType: 'session_start' };
    expect(observe(self, cells, TOTAL_SLICE)).toEqual({ num: 10, den: 10, volume: 10 });
  });

  it('rejects definitions missing a field their kind needs', () => {
    expect(() => observe({ ...metric('revenue'), measure: null }, cells, TOTAL_SLICE)).toThrow(
      InvalidMetricError,
    );
    expect(() =>
      observe({ ...metric('conversion'), denominatorEventType: null }, cells, TOTAL_SLICE),
    ).toThrow('Metric "conversion" of kind ratio needs a denominator event type.');
  });
});

describe('observeSlices', () => {
  it('returns the same observation as observe for every slice, total first', () => {
    for (const m of defaultMetrics()) {
      const def = { id: 1, ...m };
      const slices = observeSlices(def, cells);
      expect(slices.map((s) => `${s.dim}=${s.value}`)).toEqual([
        `${TOTAL}=${TOTAL}`,
        'region=eu',
        'region=us',
      ]);
      for (const s of slices) expect(s.obs).toEqual(observe(def, cells, s));
    }
  });

  it('slices of a dimension add up to the total when every event has the dimension', () => {
    const eventArb = fc.record({
      ts: fc.constant(T0),
      type: fc.constantFrom('session_start', 'purchase', 'api_request', 'error'),
      dims: fc.record({ region: fc.constantFrom('a', 'b', 'c') }),
      measures: fc.record({ revenue: fc.integer({ min: 0, max: 1000 }) }, { requiredKeys: [] }),
    });
    fc.assert(
      fc.property(fc.array(eventArb), (events) => {
        const window = naiveFold(events, W);
        for (const m of defaultMetrics()) {
          const slices = observeSlices({ id: 1, ...m }, window);
          const total = observe({ id: 1, ...m }, window, TOTAL_SLICE);
          const parts = slices.filter((s) => s.dim === 'region');
          expect(parts.reduce((n, s) => n + s.obs.num, 0)).toBe(total.num);
          expect(parts.reduce((n, s) => n + s.obs.volume, 0)).toBe(total.volume);
        }
      }),
    );
  });
});

describe('metricValue', () => {
  it('is num for count and sum, num / den for avg and ratio, null on an empty denominator', () => {
    expect(metricValue(metric('purchases'), { num: 4, den: 1, volume: 4 })).toBe(4);
    expect(metricValue(metric('revenue'), { num: 60, den: 1, volume: 3 })).toBe(60);
    expect(metricValue(metric('api_latency'), { num: 400, den: 2, volume: 2 })).toBe(200);
    expect(metricValue(metric('conversion'), { num: 1, den: 4, volume: 4 })).toBe(0.25);
    expect(metricValue(metric('conversion'), { num: 0, den: 0, volume: 0 })).toBeNull();
    expect(metricValue(metric('api_latency'), { num: 0, den: 0, volume: 0 })).toBeNull();
  });
});

describe('defaultMetrics', () => {
  it('defines the five starter metrics over the simulator events', () => {
    const metrics = defaultMetrics();
    expect(metrics.map((m) => m.key)).toEqual([
      'purchases',
      'conversion',
      'error_rate',
      'api_latency',
      'revenue',
    ]);
    expect(
      metrics.map((m) => [m.kind, m.eventType, m.measure, m.denominatorEventType, m.unit]),
    ).toEqual([
      ['count', 'purchase', null, null, ''],
      ['ratio', 'purchase', null, 'session_start', '%'],
      ['ratio', 'error', null, 'api_request', '%'],
      ['avg', 'api_request', 'latency_ms', null, 'ms'],
      ['sum', 'purchase', 'revenue', null, '$'],
    ]);
    expect(metrics.every((m) => m.enabled && m.name.length > 0)).toBe(true);
    expect(defaultMetrics()).not.toBe(metrics);
  });
});

describe('formatMetricValue / formatValue', () => {
  it.each<[string, number | null, string]>([
    ['purchases', 1234.4, '1,234'],
    ['purchases', 0, '0'],
    ['conversion', 0.031234, '3.12%'],
    ['conversion', 0, '0.00%'],
    ['error_rate', 1, '100.00%'],
    ['api_latency', 123.6, '124 ms'],
    ['revenue', 1234.5, '$1,235'],
    ['revenue', -20, '-$20'],
    ['revenue', -0.2, '$0'],
    ['api_latency', null, '—'],
    ['conversion', Number.NaN, '—'],
  ])('%s %s → %s', (key, value, text) => {
    expect(formatMetricValue(metric(key), value)).toBe(text);
  });

  it('shows plain values with up to 2 decimals and appends other units', () => {
    expect(formatValue(2.5, '')).toBe('2.5');
    expect(formatValue(2.456, '')).toBe('2.46');
    expect(formatValue(2.456, '', { integer: true })).toBe('2');
    expect(formatValue(1500.25, 'KB')).toBe('1,500.25 KB');
    expect(formatMetricValue({ kind: 'avg', unit: '' }, 3.14159)).toBe('3.14');
  });
});
