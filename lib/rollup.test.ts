import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  COUNT_MEASURE,
  Interner,
  OTHER_VALUE,
  RollupAccumulator,
  mergeDeltas,
  naiveFold,
} from './rollup';
import { TOTAL, type PulseEvent, type RollupDelta } from './types';

const WINDOW = 60_000;
const T0 = Date.UTC(2025, 0, 1);

function event(partial: Partial<PulseEvent> & { ts?: number }): PulseEvent {
  return { ts: T0, type: 'page_view', dims: {}, measures: {}, ...partial };
}

function key(d: RollupDelta): string {
  return JSON.stringify([d.windowStart, d.eventType, d.dim, d.value, d.measure]);
}

function byKey(deltas: RollupDelta[]): Map<string, RollupDelta> {
  const map = new Map<string, RollupDelta>();
  for (const d of deltas) {
    if (map.has(key(d))) throw new Error(`duplicate cell ${key(d)}`);
    map.set(key(d), d);
  }
  return map;
}

/** Asserts same cells; counts, min and max exact; sums within the given absolute tolerances. */
function expectSameCells(
  actual: RollupDelta[],
  expected: RollupDelta[],
  tolerance = { sum: 0, sumsq: 0 },
): void {
  const a = byKey(actual);
  const e = byKey(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  const mismatches: string[] = [];
  for (const [k, want] of e) {
    const got = a.get(k)!;
    const same =
      got.count === want.count &&
      got.min === want.min &&
      got.max === want.max &&
      Math.abs(got.sum - want.sum) <= tolerance.sum &&
      Math.abs(got.sumsq - want.sumsq) <= tolerance.sumsq;
    if (!same) mismatches.push(`${k}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  expect(mismatches).toEqual([]);
}

describe('Interner', () => {
  it('assigns dense ids in order of first sight and maps them back', () => {
    const interner = new Interner();
    expect(interner.id('a')).toBe(0);
    expect(interner.id('b')).toBe(1);
    expect(interner.id('a')).toBe(0);
    expect(interner.size).toBe(2);
    expect(interner.name(1)).toBe('b');
    expect(interner.lookup('b')).toBe(1);
    expect(interner.lookup('c')).toBeUndefined();
    expect(interner.size).toBe(2);
    expect(() => interner.name(2)).toThrow(RangeError);
  });
});

describe('RollupAccumulator', () => {
  it('folds one event into count and measure rows of the total and each slice', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    acc.add(
      event({
        ts: T0 + 1234,
        type: 'api_request',
        dims: { region: 'eu-west' },
        measures: { latency_ms: 120 },
      }),
    );
    const base = { windowStart: T0, eventType: 'api_request' };
    const countRow = { count: 1, sum: 0, sumsq: 0, min: 0, max: 0 };
    const latencyRow = { count: 1, sum: 120, sumsq: 14_400, min: 120, max: 120 };
    expect(acc.size()).toBe(4);
    expect(acc.eventsSinceDrain()).toBe(1);
    expect(acc.drain()).toEqual([
      { ...base, dim: TOTAL, value: TOTAL, measure: COUNT_MEASURE, ...countRow },
      { ...base, dim: 'region', value: 'eu-west', measure: COUNT_MEASURE, ...countRow },
      { ...base, dim: TOTAL, value: TOTAL, measure: 'latency_ms', ...latencyRow },
      { ...base, dim: 'region', value: 'eu-west', measure: 'latency_ms', ...latencyRow },
    ]);
    expect(acc.size()).toBe(0);
    expect(acc.eventsSinceDrain()).toBe(0);
    expect(acc.drain()).toEqual([]);
  });

  it('aggregates count, sum, sum of squares, min and max per cell and separates windows and types', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    acc.add(event({ type: 'purchase', measures: { revenue: 10 } }));
    acc.add(event({ type: 'purchase', ts: T0 + 59_999, measures: { revenue: -4 } }));
    acc.add(event({ type: 'purchase', ts: T0 + 60_000, measures: { revenue: 7 } }));
    acc.add(event({ type: 'purchase', ts: T0 + 10 }));
    acc.add(event({ type: 'error', ts: T0 + 10 }));
    const cells = byKey(acc.drain());
    expect(cells.size).toBe(5);
    expect(cells.get(JSON.stringify([T0, 'purchase', TOTAL, TOTAL, 'revenue']))).toMatchObject({
      count: 2,
      sum: 6,
      sumsq: 116,
      min: -4,
      max: 10,
    });
    expect(cells.get(JSON.stringify([T0, 'purchase', TOTAL, TOTAL, '']))?.count).toBe(3);
    expect(cells.get(JSON.stringify([T0 + WINDOW, 'purchase', TOTAL, TOTAL, 'revenue']))?.sum).toBe(
      7,
    );
    expect(cells.get(JSON.stringify([T0, 'error', TOTAL, TOTAL, '']))?.count).toBe(1);
  });

  it('keeps working across many drains and grows past its initial capacity', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    const events = Array.from({ length: 3000 }, (_, i) =>
      event({ ts: T0 + i * 1000, dims: { feature: `f${i % 150}` }, measures: { x: i } }),
    );
    const drained: RollupDelta[][] = [];
    events.forEach((e, i) => {
      acc.add(e);
      if (i % 700 === 0) drained.push(acc.drain());
    });
    drained.push(acc.drain());
    expectSameCells(drained.reduce(mergeDeltas, []), naiveFold(events, WINDOW));
  });

  it('folds values beyond the per-dimension limit into (other) and reports the dimension', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW, maxValuesPerDim: 3 });
    const users = ['u1', 'u2', 'u1', 'u3', 'u4', 'u5', 'u2', 'u6'];
    const events = users.map((user) => event({ dims: { user, region: 'eu' }, measures: { m: 1 } }));
    events.forEach((e) => acc.add(e));
    const capped = events.map((e) => {
      const user = ['u1', 'u2', 'u3'].includes(e.dims.user!) ? e.dims.user! : OTHER_VALUE;
      return { ...e, dims: { ...e.dims, user } };
    });
    expectSameCells(acc.drain(), naiveFold(capped, WINDOW));
    expect(acc.overflowedDims()).toEqual(['user']);
    // The limit holds across drains: known values keep their slice, new ones still overflow.
    acc.add(event({ dims: { user: 'u3' } }));
    acc.add(event({ dims: { user: 'u7' } }));
    expect(
      acc
        .drain()
        .filter((d) => d.dim === 'user')
        .map((d) => d.value),
    ).toEqual(['u3', OTHER_VALUE]);
  });

  it('never emits (other) twice when the literal value "(other)" was admitted first', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW, maxValuesPerDim: 2 });
    for (const plan of [OTHER_VALUE, 'pro', 'team', 'free']) acc.add(event({ dims: { plan } }));
    const plans = acc.drain().filter((d) => d.dim === 'plan');
    expect(plans.map((d) => [d.value, d.count])).toEqual([
      [OTHER_VALUE, 3],
      ['pro', 1],
    ]);
  });

  it('reports no overflow while every dimension is within its limit', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    for (let i = 0; i < 200; i++) acc.add(event({ dims: { feature: `f${i}` } }));
    expect(acc.overflowedDims()).toEqual([]);
    acc.add(event({ dims: { feature: 'f200' } }));
    expect(acc.overflowedDims()).toEqual(['feature']);
  });

  it('rejects a non-positive window', () => {
    expect(() => new RollupAccumulator({ windowMs: 0 })).toThrow(RangeError);
  });
});

describe('mergeDeltas', () => {
  const cell = (over: Partial<RollupDelta>): RollupDelta => ({
    windowStart: T0,
    eventType: 'purchase',
    dim: TOTAL,
    value: TOTAL,
    measure: 'revenue',
    count: 1,
    sum: 5,
    sumsq: 25,
    min: 5,
    max: 5,
    ...over,
  });

  it('adds matching cells, takes min of mins and max of maxes, keeps the rest', () => {
    const a = [cell({}), cell({ value: 'x', dim: 'region' })];
    const b = [cell({ count: 2, sum: -1, sumsq: 13, min: -3, max: 2 }), cell({ measure: '' })];
    const merged = byKey(mergeDeltas(a, b));
    expect(merged.size).toBe(3);
    expect(merged.get(key(cell({})))).toEqual(
      cell({ count: 3, sum: 4, sumsq: 38, min: -3, max: 5 }),
    );
    expect(a[0]).toEqual(cell({}));
    expect(b[0]?.count).toBe(2);
  });

  it('does not confuse values that contain the key separator', () => {
    const merged = mergeDeltas(
      [cell({ dim: 'a', value: 'b\u0000c' })],
      [cell({ dim: 'a', value: 'b' })],
    );
    expect(merged).toHaveLength(2);
  });
});

describe('RollupAccumulator vs naiveFold (properties)', () => {
  const measureValue = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  const eventArb: fc.Arbitrary<PulseEvent> = fc.record({
    // Mostly a few windows, sometimes many.
    ts: fc.oneof(
      { arbitrary: fc.integer({ min: T0, max: T0 + 3 * WINDOW }), weight: 3 },
      { arbitrary: fc.integer({ min: T0, max: T0 + 100 * WINDOW }), weight: 1 },
    ),
    type: fc.constantFrom('session_start', 'purchase', 'api_request', 'error'),
    dims: fc.dictionary(
      fc.constantFrom('region', 'device', 'plan'),
      fc.constantFrom('a', 'b', 'c', 'd'),
      {
        maxKeys: 3,
      },
    ),
    measures: fc.dictionary(fc.constantFrom('revenue', 'latency_ms'), measureValue, { maxKeys: 2 }),
  });
  const scenario = fc.array(eventArb, { maxLength: 300, size: 'max' }).chain((events) =>
    fc.tuple(
      fc.constant(events),
      // Small initial capacities make the cell arrays grow mid-event.
      fc.integer({ min: 1, max: 64 }),
      fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
      // Drains after no event, a few, or about half of them.
      fc.constantFrom(0, 0.03, 0.5).chain((rate) =>
        fc.array(
          fc.double({ min: 0, max: 1, noNaN: true }).map((x) => x < rate),
          { minLength: events.length, maxLength: events.length },
        ),
      ),
    ),
  );

  it('any order and any drain points, merged, equal the naive fold; nothing is lost', () => {
    fc.assert(
      fc.property(scenario, ([events, initialCapacity, shuffled, drainAfter]) => {
        const acc = new RollupAccumulator({ windowMs: WINDOW, initialCapacity });
        const drained: RollupDelta[][] = [];
        let counted = 0;
        shuffled.forEach((e, i) => {
          acc.add(e);
          if (drainAfter[i]) {
            counted += acc.eventsSinceDrain();
            drained.push(acc.drain());
          }
        });
        counted += acc.eventsSinceDrain();
        drained.push(acc.drain());

        drained.forEach(byKey); // throws on a duplicate cell within one drain
        const [first = [], ...rest] = drained;
        const merged = mergeDeltas(first, rest.flat());
        // Float sums depend on order: allow n·ε of the sum of magnitudes.
        const values = events.flatMap((e) => Object.values(e.measures));
        const bound = (f: (x: number) => number) =>
          values.reduce((s, x) => s + f(x), 1) * Number.EPSILON * (values.length + 1);
        expectSameCells(merged, naiveFold(events, WINDOW), {
          sum: bound(Math.abs),
          sumsq: bound((x) => x * x),
        });

        const totalCount = merged
          .filter((d) => d.dim === TOTAL && d.measure === COUNT_MEASURE)
          .reduce((s, d) => s + d.count, 0);
        expect(totalCount).toBe(events.length);
        expect(counted).toBe(events.length);
      }),
      { numRuns: 100 },
    );
  });

  it('holds as many cells as the next drain returns', () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 60 }), (events) => {
        const acc = new RollupAccumulator({ windowMs: WINDOW });
        events.forEach((e) => acc.add(e));
        const size = acc.size();
        expect(acc.drain()).toHaveLength(size);
      }),
    );
  });
});
