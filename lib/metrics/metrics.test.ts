import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  InvalidLeafError,
  cellsFromLeaves,
  definitionEventTypes,
  filteredTotals,
  matchesFilters,
  needsLeaves,
  parseLeaf,
} from './cells';
import { InvalidMetricError, TOTAL_SLICE, metricValue, observe, observeSlices } from './observe';
import {
  baseWindowsOf,
  isMetricWindowEnd,
  mergeWindows,
  metricWindowStart,
} from './metric-windows';
import {
  changesValues,
  metricDefinitionSchema,
  validateDefinition,
  type DefinitionInput,
} from './definition';
import { defaultMetrics } from './defaults';
import { describeFilters, summarizeDefinition } from './describe';
import { formatMetricValue, formatValue } from './units';
import { previewSeries } from './definition-preview';
import { naiveFold } from '@/lib/stream/rollup-merge';
import {
  TOTAL,
  type LeafDelta,
  type MetricDefinition,
  type PulseEvent,
  type RollupDelta,
} from '@/lib/types';

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

// ---------------------------------------------------------------------------------------------
// Definitions: event types, filters, the leaf cube, metric windows, validation
// ---------------------------------------------------------------------------------------------

/** Canonical JSON of dimension values, keys sorted (dimension names never look like integers). */
function leafText(dims: Record<string, string>): string {
  const sorted = Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(sorted));
}

/** An independent leaf fold: the oracle's way of building the cube from raw events. */
function foldLeaves(events: readonly PulseEvent[], windowMs: number): LeafDelta[] {
  const cells = new Map<string, LeafDelta>();
  const add = (e: PulseEvent, measure: string, x: number) => {
    const start = Math.floor(e.ts / windowMs) * windowMs;
    const leaf = leafText(e.dims);
    const key = `${start}|${e.type}|${measure}|${leaf}`;
    const cell = cells.get(key);
    if (cell) {
      cell.count += 1;
      cell.sum += x;
      cell.sumsq += x * x;
    } else {
      cells.set(key, {
        windowStart: start,
        eventType: e.type,
        leaf,
        measure,
        count: 1,
        sum: x,
        sumsq: x * x,
      });
    }
  };
  for (const e of events) {
    add(e, '', 0);
    for (const [m, x] of Object.entries(e.measures)) add(e, m, x);
  }
  return [...cells.values()];
}

/** Cells as comparable rows (additive parts only), sorted. */
function additive(cells: readonly RollupDelta[]) {
  return cells
    .map((c) => ({
      key: [c.windowStart, c.eventType, c.dim, c.value, c.measure].join('|'),
      count: c.count,
      sum: c.sum,
      sumsq: c.sumsq,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function define(overrides: Partial<MetricDefinition>): MetricDefinition {
  return {
    id: 7,
    key: 'm',
    name: 'M',
    kind: 'count',
    eventType: 'purchase',
    extraEventTypes: [],
    measure: null,
    denominatorEventType: null,
    filters: {},
    windowMultiple: 1,
    unit: '',
    enabled: true,
    ...overrides,
  };
}

const TYPES = ['purchase', 'refund', 'session_start', 'api_request'] as const;
const eventsArb = (maxTs = 3 * W) =>
  fc.array(
    fc.record({
      ts: fc.integer({ min: T0, max: T0 + maxTs - 1 }),
      type: fc.constantFrom(...TYPES),
      dims: fc.record(
        {
          region: fc.constantFrom('eu-west', 'us-east', 'ap'),
          device: fc.constantFrom('ios', 'android', 'web'),
          plan: fc.constantFrom('free', 'pro'),
        },
        { requiredKeys: [] },
      ),
      measures: fc.record(
        {
          revenue: fc.integer({ min: -50, max: 1000 }),
          latency_ms: fc.integer({ min: 0, max: 5000 }),
        },
        { requiredKeys: [] },
      ),
    }),
    { maxLength: 120 },
  );
const filtersArb = fc.dictionary(
  fc.constantFrom('region', 'device', 'plan'),
  fc.uniqueArray(fc.constantFrom('eu-west', 'us-east', 'ap', 'ios', 'android', 'web', 'pro'), {
    minLength: 1,
    maxLength: 3,
  }),
  { maxKeys: 3 },
);
const metricArb = fc.oneof(
  fc.record({
    kind: fc.constant('count' as const),
    eventType: fc.constantFrom(...TYPES),
    extraEventTypes: fc.subarray([...TYPES]),
  }),
  fc.record({
    kind: fc.constantFrom('sum' as const, 'avg' as const),
    eventType: fc.constantFrom(...TYPES),
    measure: fc.constantFrom('revenue', 'latency_ms'),
  }),
  fc.record({
    kind: fc.constant('ratio' as const),
    eventType: fc.constantFrom(...TYPES),
    denominatorEventType: fc.constantFrom(...TYPES),
  }),
);

describe('event types of a definition', () => {
  it('lists the event type, extra types of a count and the denominator, each once', () => {
    expect(definitionEventTypes(metric('purchases'))).toEqual(['purchase']);
    expect(definitionEventTypes(metric('error_rate'))).toEqual(['error', 'api_request']);
    expect(
      definitionEventTypes(define({ extraEventTypes: ['refund', 'purchase', 'chargeback'] })),
    ).toEqual(['purchase', 'refund', 'chargeback']);
    // Extra types belong to counts only.
    expect(
      definitionEventTypes(define({ kind: 'avg', measure: 'x', extraEventTypes: ['refund'] })),
    ).toEqual(['purchase']);
  });

  it('a count with extra types counts every type from the marginal rollups', () => {
    const window = naiveFold(
      [
        ev('purchase', { region: 'eu' }),
        ev('refund', { region: 'eu' }),
        ev('refund', { region: 'us' }),
        ev('session_start', { region: 'eu' }),
      ],
      W,
    );
    const both = define({ extraEventTypes: ['refund'] });
    expect(observe(both, window, TOTAL_SLICE)).toEqual({ num: 3, den: 1, volume: 3 });
    expect(observe(both, window, EU)).toEqual({ num: 2, den: 1, volume: 2 });
    expect(needsLeaves(both)).toBe(false);
    expect(needsLeaves(define({ filters: { region: ['eu'] } }))).toBe(true);
  });
});

describe('parseLeaf / matchesFilters', () => {
  it('reads canonical JSON and refuses anything else', () => {
    expect(parseLeaf('{"device":"ios","region":"eu-west"}')).toEqual({
      device: 'ios',
      region: 'eu-west',
    });
    expect(parseLeaf('{}')).toEqual({});
    for (const bad of ['', 'null', '[]', '{"a":1}', '{"a":', '"x"']) {
      expect(() => parseLeaf(bad)).toThrow(InvalidLeafError);
    }
  });

  it('is AND across dimensions, OR within one, and a missing dimension never matches', () => {
    const filters = { region: ['eu-west', 'us-east'], device: ['ios'] };
    expect(matchesFilters(filters, { region: 'eu-west', device: 'ios', plan: 'pro' })).toBe(true);
    expect(matchesFilters(filters, { region: 'us-east', device: 'ios' })).toBe(true);
    expect(matchesFilters(filters, { region: 'ap', device: 'ios' })).toBe(false);
    expect(matchesFilters(filters, { region: 'eu-west', device: 'web' })).toBe(false);
    expect(matchesFilters(filters, { region: 'eu-west' })).toBe(false);
    expect(matchesFilters({}, {})).toBe(true);
    // Inherited properties are not dimensions.
    expect(matchesFilters({ constructor: ['x'] }, {})).toBe(false);
  });
});

describe('cellsFromLeaves', () => {
  it('projects a filtered leaf onto the total and one row per dimension value', () => {
    const events = [
      ev('purchase', { region: 'eu-west', device: 'ios' }, { revenue: 10 }),
      ev('purchase', { region: 'eu-west', device: 'android' }, { revenue: 5 }),
      ev('purchase', { region: 'us-east', device: 'ios' }, { revenue: 7 }),
      ev('session_start', { region: 'eu-west', device: 'ios' }),
    ];
    const m = define({ key: 'eu_purchases', filters: { region: ['eu-west'] } });
    const cells = cellsFromLeaves(m, foldLeaves(events, W));
    expect(observe(m, cells, TOTAL_SLICE)).toEqual({ num: 2, den: 1, volume: 2 });
    expect(observe(m, cells, { dim: 'device', value: 'ios' })).toEqual({
      num: 1,
      den: 1,
      volume: 1,
    });
    expect(observe(m, cells, { dim: 'region', value: 'us-east' }).num).toBe(0);
    // Only the metric's types; min/max are unknown.
    expect(cells.every((c) => c.eventType === 'purchase')).toBe(true);
    expect(cells.every((c) => Number.isNaN(c.min) && Number.isNaN(c.max))).toBe(true);
    const revenue = define({ kind: 'sum', measure: 'revenue', filters: { region: ['eu-west'] } });
    expect(observe(revenue, cellsFromLeaves(revenue, foldLeaves(events, W)), TOTAL_SLICE)).toEqual({
      num: 15,
      den: 1,
      volume: 2,
    });
  });

  it('without filters equals the marginal rollups of the metric’s event types (additivity)', () => {
    fc.assert(
      fc.property(eventsArb(), metricArb, (events, shape) => {
        const m = define(shape);
        const types = new Set(definitionEventTypes(m));
        const marginal = naiveFold(events, W).filter((c) => types.has(c.eventType));
        expect(additive(cellsFromLeaves(m, foldLeaves(events, W)))).toEqual(additive(marginal));
      }),
    );
  });

  it('with filters equals the marginal rollups of the events that pass them', () => {
    fc.assert(
      fc.property(eventsArb(), metricArb, filtersArb, (events, shape, filters) => {
        const m = define({ ...shape, filters });
        const types = new Set(definitionEventTypes(m));
        const passing = events.filter((e) => matchesFilters(filters, e.dims));
        const expected = naiveFold(passing, W).filter((c) => types.has(c.eventType));
        const cells = cellsFromLeaves(m, foldLeaves(events, W));
        expect(additive(cells)).toEqual(additive(expected));
        // And the metric reads the same from them in every slice.
        for (const s of observeSlices(m, expected)) expect(observe(m, cells, s)).toEqual(s.obs);
      }),
    );
  });

  it('filters are conjunctive: two dimensions give the events that pass each one', () => {
    fc.assert(
      fc.property(eventsArb(), filtersArb, filtersArb, (events, a, b) => {
        const onlyA = Object.fromEntries(Object.entries(a).filter(([d]) => !(d in b)));
        const both = { ...onlyA, ...b };
        const count = (filters: Record<string, string[]>, evs: PulseEvent[]) =>
          observe(
            define({ filters }),
            cellsFromLeaves(define({ filters }), foldLeaves(evs, W)),
            TOTAL_SLICE,
          ).num;
        const passA = events.filter((e) => matchesFilters(onlyA, e.dims));
        // Filtering by A∧B = filtering by B what passed A.
        expect(count(both, events)).toBe(count(b, passA));
        expect(count(both, events)).toBeLessThanOrEqual(count(onlyA, events));
        expect(count(both, events)).toBeLessThanOrEqual(count(b, events));
      }),
    );
  });

  it('refuses a malformed leaf of the metric’s types and ignores other types', () => {
    const leaf: LeafDelta = {
      windowStart: T0,
      eventType: 'purchase',
      leaf: 'not json',
      measure: '',
      count: 1,
      sum: 0,
      sumsq: 0,
    };
    expect(() => cellsFromLeaves(define({}), [leaf])).toThrow(InvalidLeafError);
    expect(cellsFromLeaves(define({}), [{ ...leaf, eventType: 'other' }])).toEqual([]);
  });
});

describe('filteredTotals', () => {
  it('equals the total rows from the leaves for a filter on one dimension', () => {
    const oneDim = fc.dictionary(
      fc.constantFrom('region', 'device'),
      fc.uniqueArray(fc.constantFrom('eu-west', 'us-east', 'ios', 'web'), {
        minLength: 1,
        maxLength: 2,
      }),
      { maxKeys: 1 },
    );
    fc.assert(
      fc.property(eventsArb(), metricArb, oneDim, (events, shape, filters) => {
        const m = define({ ...shape, filters });
        const fromLeaves = cellsFromLeaves(m, foldLeaves(events, W)).filter((c) => c.dim === TOTAL);
        expect(additive(filteredTotals(m, naiveFold(events, W)))).toEqual(additive(fromLeaves));
      }),
    );
  });

  it('refuses filters on two dimensions', () => {
    expect(() => filteredTotals(define({ filters: { a: ['x'], b: ['y'] } }), [])).toThrow(
      RangeError,
    );
  });
});

describe('metric windows', () => {
  it('aligns to the epoch and is scored when its last base window closes', () => {
    const w = 10_000;
    expect(metricWindowStart(T0 + 25_000, w, 3)).toBe(T0); // T0 is a multiple of 30 s
    expect(metricWindowStart(59_999, w, 6)).toBe(0);
    expect(metricWindowStart(60_000, w, 6)).toBe(60_000);
    expect(metricWindowStart(-1, w, 6)).toBe(-60_000);
    expect(isMetricWindowEnd(50_000, w, 6)).toBe(true);
    expect(isMetricWindowEnd(40_000, w, 6)).toBe(false);
    expect(isMetricWindowEnd(60_000, w, 6)).toBe(false);
    expect(isMetricWindowEnd(40_000, w, 1)).toBe(true);
    expect(baseWindowsOf(60_000, w, 3)).toEqual([60_000, 70_000, 80_000]);
    expect(() => isMetricWindowEnd(0, w, 0)).toThrow(RangeError);
    expect(() => mergeWindows([], 0, w, 1.5)).toThrow(RangeError);
  });

  it('exactly the last base window of each metric window ends it', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e6, max: 1e6 }),
        fc.integer({ min: 1, max: 60 }),
        fc.constantFrom(1000, 10_000, 60_000),
        (n, k, w) => {
          const start = metricWindowStart(n * w, w, k);
          const bases = baseWindowsOf(start, w, k);
          expect(bases.map((b) => isMetricWindowEnd(b, w, k))).toEqual(
            bases.map((_, i) => i === k - 1),
          );
          for (const b of bases) expect(metricWindowStart(b, w, k)).toBe(start);
        },
      ),
    );
  });

  it('merging k base windows equals folding with a k-times longer window', () => {
    fc.assert(
      fc.property(eventsArb(12 * W), fc.constantFrom(1, 2, 3, 4, 6, 12), (events, k) => {
        const base = naiveFold(events, W);
        const long = naiveFold(events, k * W);
        for (let start = T0; start < T0 + 12 * W; start += k * W) {
          const merged = mergeWindows(base, start, W, k);
          const expected = long.filter((c) => c.windowStart === start);
          expect(additive(merged)).toEqual(additive(expected));
          const extremes = (cells: RollupDelta[]) =>
            cells
              .map((c) => `${c.eventType}|${c.dim}|${c.value}|${c.measure}|${c.min}|${c.max}`)
              .sort();
          expect(extremes(merged)).toEqual(extremes(expected));
        }
      }),
    );
  });

  it('is additive and associative', () => {
    fc.assert(
      fc.property(eventsArb(4 * W), eventsArb(4 * W), (a, b) => {
        const fa = naiveFold(a, W);
        const fb = naiveFold(b, W);
        // Additive: merging the union = adding the merges.
        const union = mergeWindows([...fa, ...fb], T0, W, 4);
        const sum = mergeWindows(
          [...mergeWindows(fa, T0, W, 4), ...mergeWindows(fb, T0, W, 4)],
          T0,
          W,
          4,
        );
        expect(additive(union)).toEqual(additive(sum));
        // Associative: (w0+w1) + (w2+w3) = w0+w1+w2+w3.
        const halves = [...mergeWindows(fa, T0, W, 2), ...mergeWindows(fa, T0 + 2 * W, W, 2)];
        expect(additive(mergeWindows(halves, T0, W, 4))).toEqual(
          additive(mergeWindows(fa, T0, W, 4)),
        );
      }),
    );
  });

  it('keeps NaN extremes of leaf-made cells from hiding real ones', () => {
    const real: RollupDelta = {
      windowStart: T0,
      eventType: 'x',
      dim: TOTAL,
      value: TOTAL,
      measure: 'v',
      count: 1,
      sum: 3,
      sumsq: 9,
      min: 3,
      max: 3,
    };
    const leafMade = { ...real, windowStart: T0 + W, min: Number.NaN, max: Number.NaN };
    expect(mergeWindows([leafMade, real], T0, W, 2)).toMatchObject([
      { count: 2, sum: 6, min: 3, max: 3 },
    ]);
  });
});

describe('previewSeries', () => {
  it('gives one point per complete metric window in range, empty ones included', () => {
    const events = [
      ...Array.from({ length: 3 }, (_, i) => ({ ...ev('purchase', {}), ts: T0 + i * 1000 })),
      { ...ev('purchase', {}), ts: T0 + W + 5 },
      { ...ev('purchase', {}), ts: T0 + 4 * W }, // beyond the range
    ];
    const cells = naiveFold(events, W);
    const m = define({ windowMultiple: 2 });
    expect(previewSeries(m, cells, { from: T0, to: T0 + 4 * W, baseWindowMs: W })).toEqual([
      { windowStart: T0, value: 4, volume: 4 },
      { windowStart: T0 + 2 * W, value: 0, volume: 0 },
    ]);
    // A range that starts mid-window skips that window; one that ends mid-window too.
    expect(
      previewSeries(m, cells, { from: T0 + W, to: T0 + 5 * W, baseWindowMs: W }).map(
        (p) => p.windowStart,
      ),
    ).toEqual([T0 + 2 * W]);
    const conversion = { ...metric('conversion'), windowMultiple: 1 };
    expect(previewSeries(conversion, cells, { from: T0, to: T0 + W, baseWindowMs: W })).toEqual([
      { windowStart: T0, value: null, volume: 0 },
    ]);
  });
});

describe('validateDefinition', () => {
  const valid = {
    key: 'eu_purchases',
    name: 'EU purchases',
    kind: 'count',
    eventType: 'purchase',
    filters: { region: ['eu-west'] },
  };

  it('accepts a filtered count and fills the defaults', () => {
    expect(validateDefinition(valid)).toEqual({
      ok: true,
      definition: {
        key: 'eu_purchases',
        name: 'EU purchases',
        kind: 'count',
        eventType: 'purchase',
        extraEventTypes: [],
        measure: null,
        denominatorEventType: null,
        filters: { region: ['eu-west'] },
        windowMultiple: 1,
        unit: '',
        split: null,
      },
    });
  });

  it('accepts every default metric as it is', () => {
    for (const m of defaultMetrics()) {
      const { enabled: _enabled, ...input } = m;
      expect(validateDefinition(input)).toEqual({
        ok: true,
        definition: { ...input, split: null },
      });
    }
  });

  it('normalises: trims, clears what the kind does not read, drops repeated values', () => {
    const checked = validateDefinition({
      ...valid,
      key: '  eu_purchases ',
      name: ' EU ',
      measure: 'revenue',
      denominatorEventType: 'session_start',
      extraEventTypes: ['refund', 'purchase'],
      filters: { region: [' eu-west', 'eu-west', 'us-east'] },
      windowMultiple: 5,
      unit: ' orders ',
    });
    expect(checked).toMatchObject({
      ok: true,
      definition: {
        key: 'eu_purchases',
        name: 'EU',
        measure: null,
        denominatorEventType: null,
        extraEventTypes: ['refund'],
        filters: { region: ['eu-west', 'us-east'] },
        windowMultiple: 5,
        unit: 'orders',
      },
    });
  });

  it.each<[string, Record<string, unknown>, string, string | RegExp]>([
    ['a missing key', { key: '' }, 'key', 'Give the metric a key.'],
    ['a key with spaces', { key: 'EU purchases' }, 'key', /lowercase letters/],
    ['a key starting with a digit', { key: '1abc' }, 'key', /starting with a letter/],
    ['a too long key', { key: 'a'.repeat(49) }, 'key', /at most 48/],
    ['a reserved key', { key: 'new' }, 'key', '"new" is reserved; choose another key.'],
    ['a blank name', { name: '  ' }, 'name', 'Give the metric a name.'],
    ['a long name', { name: 'x'.repeat(81) }, 'name', /at most 80/],
    ['an unknown kind', { kind: 'median' }, 'kind', 'Choose count, sum, average or ratio.'],
    ['no event type', { eventType: undefined }, 'eventType', 'Choose the event type to measure.'],
    ['a bad event type', { eventType: 'Purchase!' }, 'eventType', /lowercase/],
    ['a bad extra type', { extraEventTypes: ['ok', 'Not ok'] }, 'extraEventTypes', /lowercase/],
    ['an extra type twice', { extraEventTypes: ['a', 'a'] }, 'extraEventTypes', /listed twice/],
    [
      'extra types on a ratio',
      { kind: 'ratio', denominatorEventType: 'x', extraEventTypes: ['a'] },
      'extraEventTypes',
      'Only count metrics can count several event types.',
    ],
    [
      'a sum without measure',
      { kind: 'sum' },
      'measure',
      'Sum and average metrics need a measure.',
    ],
    ['an avg with a bad measure', { kind: 'avg', measure: 'Latency' }, 'measure', /Measure names/],
    [
      'a ratio without denominator',
      { kind: 'ratio' },
      'denominatorEventType',
      'Ratio metrics need a denominator event type.',
    ],
    ['a filter without values', { filters: { region: [] } }, 'filters.region', /at least one/],
    ['a filter on a bad name', { filters: { Region: ['x'] } }, 'filters.Region', /Dimension/],
    ['an empty filter value', { filters: { region: [''] } }, 'filters.region', /1 to 128/],
    ['filters that are a list', { filters: ['region'] }, 'filters', /allowed values/],
    ['window multiple 0', { windowMultiple: 0 }, 'windowMultiple', /1 to 60/],
    ['window multiple 61', { windowMultiple: 61 }, 'windowMultiple', /1 to 60/],
    ['window multiple 1.5', { windowMultiple: 1.5 }, 'windowMultiple', /whole number/],
    ['a long unit', { unit: 'x'.repeat(17) }, 'unit', /at most 16/],
    [
      'NUL in a name',
      { name: 'EU\u0000' },
      'name',
      'Must not contain control characters (U+0000).',
    ],
    ['a line feed in a name', { name: 'EU\nforged' }, 'name', /line breaks \(U\+000A\)/],
    [
      'a right-to-left override in a name',
      { name: 'EU \u202esesahcrup' },
      'name',
      'Must not contain bidirectional formatting characters (U+202E).',
    ],
    ['ESC in a unit', { unit: '\u001b[31m' }, 'unit', /control characters \(U\+001B\)/],
    ['an isolate in a unit', { unit: 'ms\u2069' }, 'unit', /U\+2069/],
    [
      'NUL in a filter value',
      { filters: { region: ['eu', 'us\u0000'] } },
      'filters.region',
      'Values of region must not contain control characters (U+0000).',
    ],
    [
      'an override in a filter value',
      { filters: { region: ['\u202eue'] } },
      'filters.region',
      /^Values of region must not contain bidirectional/,
    ],
  ])('refuses %s next to its field', (_label, change, field, message) => {
    const checked = validateDefinition({ ...valid, ...change });
    expect(checked.ok).toBe(false);
    if (checked.ok) return;
    expect(Object.keys(checked.errors)).toEqual([field]);
    const text = checked.errors[field as keyof typeof checked.errors];
    if (typeof message === 'string') expect(text).toBe(message);
    else expect(text).toMatch(message);
  });

  it('reports every bad field at once, and treats a non-object as an empty form', () => {
    const checked = validateDefinition(null);
    expect(checked.ok).toBe(false);
    if (!checked.ok)
      expect(Object.keys(checked.errors).sort()).toEqual(['eventType', 'key', 'kind', 'name']);
  });

  it('is the zod schema’s parse, with issues by field path', () => {
    expect(metricDefinitionSchema.parse(valid)).toMatchObject({ key: 'eu_purchases' });
    const parsed = metricDefinitionSchema.safeParse({ ...valid, key: 'x y', filters: { d: [] } });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['filters.d', 'key']);
  });
});

describe('changesValues / describeFilters', () => {
  const base: DefinitionInput = {
    key: 'k',
    name: 'K',
    kind: 'count',
    eventType: 'purchase',
    extraEventTypes: ['refund', 'chargeback'],
    measure: null,
    denominatorEventType: null,
    filters: { region: ['eu-west', 'us-east'], device: ['ios'] },
    windowMultiple: 1,
    unit: '',
  };

  it('sees what changes values, not names, units or order', () => {
    expect(changesValues(base, { ...base, name: 'Other', unit: '$' } as DefinitionInput)).toBe(
      false,
    );
    expect(
      changesValues(base, {
        ...base,
        extraEventTypes: ['chargeback', 'refund'],
        filters: { device: ['ios'], region: ['us-east', 'eu-west'] },
      }),
    ).toBe(false);
    expect(changesValues(base, { ...base, kind: 'ratio', denominatorEventType: 'x' })).toBe(true);
    expect(changesValues(base, { ...base, eventType: 'refund' })).toBe(true);
    expect(changesValues(base, { ...base, extraEventTypes: [] })).toBe(true);
    expect(changesValues(base, { ...base, filters: { region: ['eu-west'] } })).toBe(true);
    expect(changesValues(base, { ...base, windowMultiple: 5 })).toBe(true);
  });

  it('says filters in words', () => {
    expect(describeFilters(base.filters)).toBe('region is eu-west or us-east, and device is ios');
    expect(describeFilters({ plan: ['free', 'pro', 'team'] })).toBe('plan is free, pro or team');
    expect(describeFilters({})).toBe('');
  });
});

describe('summarizeDefinition', () => {
  it('says each kind in words, with filters and window multiple', () => {
    expect(summarizeDefinition(metric('purchases'))).toBe('Count of purchase events');
    expect(summarizeDefinition(metric('conversion'))).toBe(
      'purchase events ÷ session_start events',
    );
    expect(summarizeDefinition(metric('api_latency'))).toBe(
      'Average latency_ms of api_request events',
    );
    expect(summarizeDefinition(metric('revenue'))).toBe('Sum of revenue over purchase events');
    expect(
      summarizeDefinition(
        define({
          extraEventTypes: ['refund', 'chargeback'],
          filters: { region: ['eu-west'] },
          windowMultiple: 5,
        }),
      ),
    ).toBe(
      'Count of purchase, refund and chargeback events where region is eu-west, per 5 base windows',
    );
  });
});
