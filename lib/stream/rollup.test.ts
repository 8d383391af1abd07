import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COUNT_MEASURE, Interner, OTHER_VALUE, RollupAccumulator, leafOf } from './rollup';
import {
  mergeDeltas,
  mergeLeafDeltas,
  mergeLeafParts,
  naiveFold,
  naiveLeafFold,
} from './rollup-merge';
import { TOTAL, type LeafDelta, type PulseEvent, type RollupDelta } from '@/lib/types';

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
    expect(acc.leafSize()).toBe(2);
    const leaf = '{"region":"eu-west"}';
    expect(acc.drain()).toEqual({
      deltas: [
        { ...base, dim: TOTAL, value: TOTAL, measure: COUNT_MEASURE, ...countRow },
        { ...base, dim: 'region', value: 'eu-west', measure: COUNT_MEASURE, ...countRow },
        { ...base, dim: TOTAL, value: TOTAL, measure: 'latency_ms', ...latencyRow },
        { ...base, dim: 'region', value: 'eu-west', measure: 'latency_ms', ...latencyRow },
      ],
      leaves: [
        { ...base, leaf, measure: COUNT_MEASURE, count: 1, sum: 0, sumsq: 0 },
        { ...base, leaf, measure: 'latency_ms', count: 1, sum: 120, sumsq: 14_400 },
      ],
      leafEventsFolded: 0,
    });
    expect(acc.size()).toBe(0);
    expect(acc.leafSize()).toBe(0);
    expect(acc.eventsSinceDrain()).toBe(0);
    expect(acc.drain()).toEqual({ deltas: [], leaves: [], leafEventsFolded: 0 });
  });

  it('caps the leaf rows of a drain, folding the rarest combinations into "(other)"', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW, maxLeafRows: 5 });
    const send = (user: string, n: number) => {
      for (let i = 0; i < n; i++) {
        acc.add(event({ ts: T0, type: 'click', dims: { user } }));
      }
    };
    for (let u = 0; u < 10; u++) send(`u${u}`, u + 1);
    const { deltas, leaves, leafEventsFolded } = acc.drain();
    expect(leaves).toHaveLength(5);
    // The four busiest users keep their leaves; the other six (1 + … + 6 events) are "(other)".
    const kept = leaves.filter((l) => l.leaf !== '{"user":"(other)"}').map((l) => l.count);
    expect(kept.sort((a, b) => b - a)).toEqual([10, 9, 8, 7]);
    expect(leafEventsFolded).toBe(21);
    // Marginal rollups are never capped: every user keeps its row.
    expect(deltas.filter((d) => d.dim === 'user')).toHaveLength(10);
    expect(leaves.reduce((n, l) => n + l.count, 0)).toBe(55);
  });

  it('aggregates count, sum, sum of squares, min and max per cell and separates windows and types', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    acc.add(event({ type: 'purchase', measures: { revenue: 10 } }));
    acc.add(event({ type: 'purchase', ts: T0 + 59_999, measures: { revenue: -4 } }));
    acc.add(event({ type: 'purchase', ts: T0 + 60_000, measures: { revenue: 7 } }));
    acc.add(event({ type: 'purchase', ts: T0 + 10 }));
    acc.add(event({ type: 'error', ts: T0 + 10 }));
    const cells = byKey(acc.drain().deltas);
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
      if (i % 700 === 0) drained.push(acc.drain().deltas);
    });
    drained.push(acc.drain().deltas);
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
    expectSameCells(acc.drain().deltas, naiveFold(capped, WINDOW));
    expect(acc.overflowedDims()).toEqual(['user']);
    // The limit holds across drains: known values keep their slice, new ones still overflow.
    acc.add(event({ dims: { user: 'u3' } }));
    acc.add(event({ dims: { user: 'u7' } }));
    expect(
      acc
        .drain()
        .deltas.filter((d) => d.dim === 'user')
        .map((d) => d.value),
    ).toEqual(['u3', OTHER_VALUE]);
  });

  it('never emits (other) twice when the literal value "(other)" was admitted first', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW, maxValuesPerDim: 2 });
    for (const plan of [OTHER_VALUE, 'pro', 'team', 'free']) acc.add(event({ dims: { plan } }));
    const plans = acc.drain().deltas.filter((d) => d.dim === 'plan');
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
            drained.push(acc.drain().deltas);
          }
        });
        counted += acc.eventsSinceDrain();
        drained.push(acc.drain().deltas);

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
        expect(acc.drain().deltas).toHaveLength(size);
      }),
    );
  });
});

// ── the leaf cube ───────────────────────────────────────────────────────────────────────────

function leafKey(d: LeafDelta): string {
  return JSON.stringify([d.windowStart, d.eventType, d.leaf, d.measure]);
}

function leavesByKey(leaves: LeafDelta[]): Map<string, LeafDelta> {
  const map = new Map<string, LeafDelta>();
  for (const d of leaves) {
    if (map.has(leafKey(d))) throw new Error(`duplicate leaf cell ${leafKey(d)}`);
    map.set(leafKey(d), d);
  }
  return map;
}

/** Asserts the same leaf cells; counts exact, sums within the given absolute tolerances. */
function expectSameLeaves(
  actual: LeafDelta[],
  expected: LeafDelta[],
  tolerance = { sum: 0, sumsq: 0 },
): void {
  const a = leavesByKey(actual);
  const e = leavesByKey(expected);
  expect([...a.keys()].sort()).toEqual([...e.keys()].sort());
  const mismatches: string[] = [];
  for (const [k, want] of e) {
    const got = a.get(k)!;
    if (
      got.count !== want.count ||
      Math.abs(got.sum - want.sum) > tolerance.sum ||
      Math.abs(got.sumsq - want.sumsq) > tolerance.sumsq
    )
      mismatches.push(`${k}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  expect(mismatches).toEqual([]);
}

/** Float sums depend on order: n·ε of the sum of magnitudes of every measure value. */
function sumTolerance(events: readonly PulseEvent[]) {
  const values = events.flatMap((e) => Object.values(e.measures));
  const bound = (f: (x: number) => number) =>
    values.reduce((s, x) => s + f(x), 1) * Number.EPSILON * (values.length + 1);
  return { sum: bound(Math.abs), sumsq: bound((x) => x * x) };
}

describe('leafOf', () => {
  it('is canonical JSON: keys sorted, no whitespace, whatever the key order', () => {
    expect(leafOf({ region: 'eu-west', device: 'ios' })).toBe(
      '{"device":"ios","region":"eu-west"}',
    );
    expect(leafOf({ device: 'ios', region: 'eu-west' })).toBe(
      '{"device":"ios","region":"eu-west"}',
    );
    expect(leafOf({})).toBe('{}');
  });

  it('sorts integer-like keys as strings and escapes what JSON escapes', () => {
    const dims = { b: 'x', '10': 'y', '9': 'z"\\\n', __proto__x: 'é' };
    const leaf = leafOf(dims);
    expect(leaf).toBe('{"10":"y","9":"z\\"\\\\\\n","__proto__x":"é","b":"x"}');
    expect(JSON.parse(leaf)).toEqual(dims);
  });
});

describe('RollupAccumulator leaf cube', () => {
  it('folds events with the same dimension values in any key order into one leaf', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    acc.add(event({ dims: { region: 'eu', device: 'ios' }, measures: { m: 2 } }));
    acc.add(event({ dims: { device: 'ios', region: 'eu' }, measures: { m: 3 } }));
    acc.add(event({ dims: { device: 'ios' } }));
    acc.add(event({}));
    const { leaves } = acc.drain();
    const base = { windowStart: T0, eventType: 'page_view' };
    expectSameLeaves(leaves, [
      { ...base, leaf: '{"device":"ios","region":"eu"}', measure: '', count: 2, sum: 0, sumsq: 0 },
      {
        ...base,
        leaf: '{"device":"ios","region":"eu"}',
        measure: 'm',
        count: 2,
        sum: 5,
        sumsq: 13,
      },
      { ...base, leaf: '{"device":"ios"}', measure: '', count: 1, sum: 0, sumsq: 0 },
      { ...base, leaf: '{}', measure: '', count: 1, sum: 0, sumsq: 0 },
    ]);
  });

  it('uses the guarded values: beyond the limit a value is (other) in its leaf', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW, maxValuesPerDim: 2 });
    for (const user of ['u1', 'u2', 'u3', 'u4', 'u1'])
      acc.add(event({ dims: { user, region: 'eu' } }));
    const counts = Object.fromEntries(acc.drain().leaves.map((d) => [d.leaf, d.count]));
    expect(counts).toEqual({
      '{"region":"eu","user":"u1"}': 2,
      '{"region":"eu","user":"u2"}': 1,
      '{"region":"eu","user":"(other)"}': 2,
    });
  });

  it('can be turned off: no leaves, the same marginal cells', () => {
    const events = Array.from({ length: 500 }, (_, i) =>
      event({
        ts: T0 + i * 500,
        dims: { a: `a${i % 7}`, b: `b${i % 5}` },
        measures: { x: i },
      }),
    );
    const on = new RollupAccumulator({ windowMs: WINDOW });
    const off = new RollupAccumulator({ windowMs: WINDOW, leafCube: false });
    events.forEach((e) => {
      on.add(e);
      off.add(e);
    });
    expect(off.leafSize()).toBe(0);
    const drained = off.drain();
    expect(drained.leaves).toEqual([]);
    expect(drained.deltas).toEqual(on.drain().deltas);
  });

  it('makes room for many leaves and many measures per group', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW });
    // Measures appear one by one while leaves keep coming: slots widen after they filled up.
    const events = Array.from({ length: 2000 }, (_, i) =>
      event({
        ts: T0 + (i % 2) * WINDOW,
        dims: { a: `a${i % 17}`, b: `b${(i * 7) % 23}` },
        measures: Object.fromEntries(
          Array.from({ length: 1 + (i % 12) }, (_, m) => [`m${(m + i) % 12}`, i - m]),
        ),
      }),
    );
    events.forEach((e) => acc.add(e));
    const size = acc.leafSize();
    const { leaves } = acc.drain();
    expect(leaves).toHaveLength(size);
    expectSameLeaves(leaves, naiveLeafFold(events, WINDOW));
  });

  it('forgets interned leaves beyond maxLeaves at a drain and stays exact', () => {
    const acc = new RollupAccumulator({ windowMs: WINDOW, maxLeaves: 3, initialCapacity: 1 });
    const events = Array.from({ length: 400 }, (_, i) =>
      event({ ts: T0 + i * 100, dims: { a: `a${i % 11}`, b: `b${i % 3}` }, measures: { x: i } }),
    );
    const drained: LeafDelta[][] = [];
    events.forEach((e, i) => {
      acc.add(e);
      if (i % 37 === 0) drained.push(acc.drain().leaves);
    });
    drained.push(acc.drain().leaves);
    drained.forEach(leavesByKey);
    expectSameLeaves(drained.reduce(mergeLeafDeltas, []), naiveLeafFold(events, WINDOW));
  });
});

describe('mergeLeafDeltas', () => {
  const leaf = (over: Partial<LeafDelta>): LeafDelta => ({
    windowStart: T0,
    eventType: 'purchase',
    leaf: '{"region":"eu"}',
    measure: 'revenue',
    count: 1,
    sum: 5,
    sumsq: 25,
    ...over,
  });

  it('adds matching cells, keeps the rest, leaves its inputs alone', () => {
    const a = [leaf({}), leaf({ leaf: '{}' })];
    const b = [leaf({ count: 2, sum: -1, sumsq: 13 }), leaf({ measure: '' })];
    const merged = leavesByKey(mergeLeafDeltas(a, b));
    expect(merged.size).toBe(3);
    expect(merged.get(leafKey(leaf({})))).toEqual(leaf({ count: 3, sum: 4, sumsq: 38 }));
    expect(a[0]).toEqual(leaf({}));
  });

  it('does not confuse leaves that contain the key separator', () => {
    expect(
      mergeLeafDeltas([leaf({ leaf: '{"a":"b\u0000c"}' })], [leaf({ leaf: '{"a":"b"}' })]),
    ).toHaveLength(2);
  });
});

describe('mergeLeafParts', () => {
  const leaf = (over: Partial<LeafDelta>): LeafDelta => ({
    windowStart: T0,
    eventType: 'purchase',
    leaf: '{"region":"eu"}',
    measure: 'revenue',
    count: 1,
    sum: 5,
    sumsq: 25,
    ...over,
  });

  it('merges any number of parts as mergeLeafDeltas does, leaving every part alone', () => {
    const parts = [
      [leaf({}), leaf({ leaf: '{}' }), leaf({ windowStart: T0 + WINDOW })],
      [],
      [leaf({ count: 2, sum: -1, sumsq: 13 }), leaf({ measure: '' }), leaf({ eventType: 'x' })],
      [leaf({ leaf: '{}', count: 4, sum: 1, sumsq: 1 }), leaf({ count: 1, sum: 1, sumsq: 1 })],
    ];
    const before = structuredClone(parts);
    const merged = mergeLeafParts(parts);
    expect(leavesByKey(merged)).toEqual(leavesByKey(mergeLeafDeltas(parts.flat(), [])));
    expect(merged).toHaveLength(5);
    expect(merged[0]).toEqual(leaf({ count: 4, sum: 5, sumsq: 39 }));
    expect(parts).toEqual(before);
  });

  it('returns one part as it is (a copy of the list), and nothing for none', () => {
    const only = [leaf({}), leaf({ leaf: '{}' })];
    expect(mergeLeafParts([[], only])).toEqual(only);
    expect(mergeLeafParts([])).toEqual([]);
  });
});

describe('leaf cube (properties)', () => {
  const measureValue = fc.double({ min: -1e6, max: 1e6, noNaN: true });
  // Dimension names include integer-like ones (objects list those first) and values include
  // the literal "(other)"; any dimension may be missing.
  const eventArb: fc.Arbitrary<PulseEvent> = fc.record({
    ts: fc.integer({ min: T0, max: T0 + 3 * WINDOW }),
    type: fc.constantFrom('purchase', 'api_request', 'error'),
    dims: fc.dictionary(
      fc.constantFrom('region', 'device', 'plan', '10', '9', 'a"b'),
      fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', OTHER_VALUE, 'x\\y'),
      { maxKeys: 6 },
    ),
    measures: fc.dictionary(fc.constantFrom('revenue', 'latency_ms'), measureValue, { maxKeys: 2 }),
  });
  const scenario = fc.record({
    events: fc.array(eventArb, { maxLength: 300, size: 'max' }),
    // Small limits make dimensions overflow into (other); 200 mostly does not.
    maxValuesPerDim: fc.constantFrom(1, 2, 4, 200),
    initialCapacity: fc.integer({ min: 1, max: 64 }),
    maxLeaves: fc.constantFrom(1, 10, 100_000),
    drainRate: fc.constantFrom(0, 0.03, 0.5),
    seed: fc.integer(),
  });

  /** Folds in order, draining at pseudo-random points; returns every drain. */
  function foldWithDrains(
    events: readonly PulseEvent[],
    options: ConstructorParameters<typeof RollupAccumulator>[0],
    drainRate: number,
    seed: number,
  ): { deltas: RollupDelta[][]; leaves: LeafDelta[][] } {
    const acc = new RollupAccumulator(options);
    const out = { deltas: [] as RollupDelta[][], leaves: [] as LeafDelta[][] };
    let state = seed >>> 0;
    const random = () => (state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
    const drain = () => {
      const leafSize = acc.leafSize();
      const { deltas, leaves } = acc.drain();
      expect(leaves).toHaveLength(leafSize);
      out.deltas.push(deltas);
      out.leaves.push(leaves);
    };
    for (const e of events) {
      acc.add(e);
      if (random() < drainRate) drain();
    }
    drain();
    return out;
  }

  it('any drain points, merged, equal the naive leaf fold (with the cardinality guard)', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const { leaves } = foldWithDrains(
          s.events,
          { windowMs: WINDOW, ...s },
          s.drainRate,
          s.seed,
        );
        leaves.forEach(leavesByKey); // throws on a duplicate cell within one drain
        const merged = mergeLeafDeltas(leaves.flat(), []);
        const naive = naiveLeafFold(s.events, WINDOW, { maxValuesPerDim: s.maxValuesPerDim });
        expectSameLeaves(merged, naive, sumTolerance(s.events));
        const events = merged
          .filter((d) => d.measure === COUNT_MEASURE)
          .reduce((n, d) => n + d.count, 0);
        expect(events).toBe(s.events.length);
      }),
      { numRuns: 100 },
    );
  });

  it('is additive: folding A then B, merged, equals folding A ∪ B; so are two partitions', () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 150 }),
        fc.array(eventArb, { maxLength: 150 }),
        fc.constantFrom(2, 200),
        (a, b, maxValuesPerDim) => {
          const both = new RollupAccumulator({ windowMs: WINDOW, maxValuesPerDim });
          [...a, ...b].forEach((e) => both.add(e));
          const whole = both.drain().leaves;

          const split = new RollupAccumulator({ windowMs: WINDOW, maxValuesPerDim });
          a.forEach((e) => split.add(e));
          const first = split.drain().leaves;
          b.forEach((e) => split.add(e));
          const tolerance = sumTolerance([...a, ...b]);
          expectSameLeaves(mergeLeafDeltas(first, split.drain().leaves), whole, tolerance);

          // Two workers (partitions) each with their own guard: additive while nothing overflows.
          if (maxValuesPerDim === 200) {
            const pa = new RollupAccumulator({ windowMs: WINDOW });
            const pb = new RollupAccumulator({ windowMs: WINDOW });
            a.forEach((e) => pa.add(e));
            b.forEach((e) => pb.add(e));
            expectSameLeaves(
              mergeLeafDeltas(pa.drain().leaves, pb.drain().leaves),
              whole,
              tolerance,
            );
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('marginals equal the sums of the leaves per (dimension, value), and the total all of them', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const drained = foldWithDrains(s.events, { windowMs: WINDOW, ...s }, s.drainRate, s.seed);
        const deltas = mergeDeltas(drained.deltas.flat(), []);
        const leaves = mergeLeafDeltas(drained.leaves.flat(), []);
        // Project every leaf onto the marginal cells it belongs to.
        const cellOf = (d: LeafDelta | RollupDelta, dim: string, value: string) =>
          `${d.windowStart}\u0000${d.eventType}\u0000${d.measure}\u0000${dim}\u0000${value}`;
        const projected = new Map<string, { count: number; sum: number; sumsq: number }>();
        const add = (d: LeafDelta, dim: string, value: string) => {
          const k = cellOf(d, dim, value);
          const cell = projected.get(k) ?? { count: 0, sum: 0, sumsq: 0 };
          cell.count += d.count;
          cell.sum += d.sum;
          cell.sumsq += d.sumsq;
          projected.set(k, cell);
        };
        for (const d of leaves) {
          add(d, TOTAL, TOTAL);
          const dims = JSON.parse(d.leaf) as Record<string, string>;
          for (const [dim, value] of Object.entries(dims)) add(d, dim, value);
        }
        const tolerance = sumTolerance(s.events);
        expect([...projected.keys()].sort()).toEqual(
          deltas.map((d) => cellOf(d, d.dim, d.value)).sort(),
        );
        const mismatches = deltas.filter((d) => {
          const p = projected.get(cellOf(d, d.dim, d.value))!;
          return (
            p.count !== d.count ||
            Math.abs(p.sum - d.sum) > tolerance.sum ||
            Math.abs(p.sumsq - d.sumsq) > tolerance.sumsq
          );
        });
        expect(mismatches).toEqual([]);
      }),
      { numRuns: 100 },
    );
  });
});
