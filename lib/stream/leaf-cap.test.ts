import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { capLeaves, otherLeaf } from './leaf-cap';
import { COUNT_MEASURE, OTHER_VALUE } from './rollup';
import type { LeafDelta } from '@/lib/types';

const leafOf = (dims: Record<string, string>) =>
  JSON.stringify(Object.fromEntries(Object.entries(dims).sort(([a], [b]) => (a < b ? -1 : 1))));

/** Leaf rows as a fold writes them: one count row per leaf, some with a measure row too. */
const arbLeaves = fc
  .array(
    fc.record({
      window: fc.integer({ min: 0, max: 2 }),
      type: fc.constantFrom('purchase', 'error'),
      region: fc.constantFrom('eu', 'us', 'ap', OTHER_VALUE),
      device: fc.constantFrom('ios', 'web', 'android', 'tv'),
      count: fc.integer({ min: 1, max: 50 }),
      measured: fc.boolean(),
    }),
    { maxLength: 80 },
  )
  .map((rows) => {
    const byKey = new Map<string, LeafDelta>();
    const add = (l: LeafDelta) => {
      const key = `${l.windowStart}|${l.eventType}|${l.leaf}|${l.measure}`;
      const at = byKey.get(key);
      if (at) {
        at.count += l.count;
        at.sum += l.sum;
        at.sumsq += l.sumsq;
      } else byKey.set(key, { ...l });
    };
    for (const r of rows) {
      const base = {
        windowStart: r.window * 60_000,
        eventType: r.type,
        leaf: leafOf({ region: r.region, device: r.device }),
      };
      add({ ...base, measure: COUNT_MEASURE, count: r.count, sum: 0, sumsq: 0 });
      if (r.measured)
        add({ ...base, measure: 'amount', count: r.count, sum: r.count * 3, sumsq: r.count * 9 });
    }
    return [...byKey.values()];
  });

const totals = (leaves: readonly LeafDelta[]) => {
  const t = new Map<string, [number, number, number]>();
  for (const l of leaves) {
    const key = `${l.windowStart}|${l.eventType}|${l.measure}`;
    const [c, s, q] = t.get(key) ?? [0, 0, 0];
    t.set(key, [c + l.count, s + l.sum, q + l.sumsq]);
  }
  return [...t].sort(([a], [b]) => (a < b ? -1 : 1));
};

describe('the per-flush cap on leaf rows', () => {
  it('keeps every window total exactly and stays under the cap', () => {
    fc.assert(
      fc.property(arbLeaves, fc.integer({ min: 12, max: 100 }), (leaves, cap) => {
        const capped = capLeaves(leaves, cap);
        expect(totals(capped.leaves)).toEqual(totals(leaves));
        expect(capped.leaves.length).toBeLessThanOrEqual(cap);
        // One row per (window, type, leaf, measure): nothing written twice.
        const keys = capped.leaves.map(
          (l) => `${l.windowStart}|${l.eventType}|${l.leaf}|${l.measure}`,
        );
        expect(new Set(keys).size).toBe(keys.length);
        if (leaves.length <= cap) expect(capped.foldedLeaves).toBe(0);
      }),
    );
  });

  it('folds the rarest leaves first', () => {
    const row = (leaf: string, count: number): LeafDelta => ({
      windowStart: 0,
      eventType: 'purchase',
      leaf,
      measure: COUNT_MEASURE,
      count,
      sum: 0,
      sumsq: 0,
    });
    const a = leafOf({ region: 'eu', device: 'ios' });
    const b = leafOf({ region: 'us', device: 'web' });
    const c = leafOf({ region: 'ap', device: 'tv' });
    const d = leafOf({ region: 'ap', device: 'web' });
    const capped = capLeaves([row(a, 100), row(b, 50), row(c, 2), row(d, 1)], 3);
    expect(capped.leaves.map((l) => [l.leaf, l.count])).toEqual([
      [a, 100],
      [b, 50],
      [otherLeaf([c]), 3],
    ]);
    expect(capped.foldedLeaves).toBe(2);
    expect(capped.foldedEvents).toBe(3);
    expect(JSON.parse(otherLeaf([c]))).toEqual({ device: OTHER_VALUE, region: OTHER_VALUE });
  });

  it('merges into a leaf that is already all "(other)"', () => {
    const other = leafOf({ region: OTHER_VALUE, device: OTHER_VALUE });
    const rare = leafOf({ region: 'ap', device: 'tv' });
    const big = leafOf({ region: 'eu', device: 'ios' });
    const mk = (leaf: string, count: number): LeafDelta => ({
      windowStart: 0,
      eventType: 'e',
      leaf,
      measure: COUNT_MEASURE,
      count,
      sum: 0,
      sumsq: 0,
    });
    const capped = capLeaves([mk(big, 9), mk(other, 5), mk(rare, 1)], 2);
    expect(capped.leaves).toHaveLength(2);
    expect(capped.leaves.find((l) => l.leaf === other)?.count).toBe(6);
    expect(capped.foldedEvents).toBe(1);
  });
});
