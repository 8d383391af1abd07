/**
 * The root-cause benchmark in its quick form (lib/rca/benchmark.ts; the full one is
 * `npm run rca -- --benchmark`, 100 cubes per setting): a few 20 000-leaf cubes per setting, exact-set
 * F1 printed and held above floors a little under what the full run measures, so a change that
 * costs accuracy on large sparse cubes with several causes shows here. Speed is reported by the
 * full run, never asserted.
 */
import { describe, expect, it } from 'vitest';
import {
  BENCHMARK_SETTINGS,
  exactCounts,
  f1Of,
  generateBenchmarkCube,
  runBenchmark,
} from './benchmark';
import { setKey } from './generate';
import type { Elements } from './types';

const CUBES = 3;

describe('the root-cause benchmark', () => {
  it('generates the same cube from the same seed, with disjoint causes of the asked depth', () => {
    const spec = { depth: 2, causes: 3 } as const;
    const one = generateBenchmarkCube(11, spec);
    const two = generateBenchmarkCube(11, spec);
    expect(two).toEqual(one);
    expect(one.causes).toHaveLength(3);
    for (const cause of one.causes) expect(Object.keys(cause)).toHaveLength(2);
    expect(one.leaves.length).toBeGreaterThan(18_000);
    expect(one.leaves.length).toBeLessThan(22_000);
    const dims = Object.keys(one.leaves[0]!.dims);
    expect(dims.length).toBeGreaterThanOrEqual(4);
    const cards = dims.map((d) => new Set(one.leaves.map((l) => l.dims[d])).size);
    expect(Math.max(...cards)).toBeGreaterThanOrEqual(30);
    // Sparse: most leaves expect a few events at most.
    const small = one.leaves.filter((l) => l.expected < 3).length;
    expect(small / one.leaves.length).toBeGreaterThan(0.5);
    // Disjoint: no leaf is under two causes.
    const under = (dims: Record<string, string>, cause: Record<string, string>) =>
      Object.entries(cause).every(([k, v]) => dims[k] === v);
    for (const leaf of one.leaves) {
      expect(one.causes.filter((c) => under(leaf.dims, c)).length).toBeLessThanOrEqual(1);
    }
  });

  it('counts exact-set hits the way the literature does', () => {
    const truth: Elements[] = [{ a: '1' }, { b: '2', c: '3' }];
    expect(exactCounts([{ c: '3', b: '2' }], truth)).toEqual({ tp: 1, fp: 0, fn: 1 });
    expect(exactCounts([{ a: '1' }, { b: '2' }], truth)).toEqual({ tp: 1, fp: 1, fn: 1 });
    expect(f1Of({ tp: 3, fp: 1, fn: 1 }).f1).toBeCloseTo(0.75, 12);
    expect(setKey(truth)).toBe(setKey([{ c: '3', b: '2' }, { a: '1' }]));
  });

  it(`finds the causes of ${CUBES} cubes per setting above the floors`, () => {
    const results = BENCHMARK_SETTINGS.map((setting) => runBenchmark(setting, CUBES, () => 0));
    console.log(
      results
        .map(
          (r) =>
            `${r.setting.name.padEnd(30)} F1 ${r.f1.toFixed(2)} (precision ${r.precision.toFixed(2)}, recall ${r.recall.toFixed(2)})`,
        )
        .join('\n'),
    );
    const nine = results.slice(0, 9);
    const summed = f1Of({
      tp: nine.reduce((s, r) => s + r.tp, 0),
      fp: nine.reduce((s, r) => s + r.fp, 0),
      fn: nine.reduce((s, r) => s + r.fn, 0),
    });
    expect(summed.f1).toBeGreaterThanOrEqual(0.93);
    for (const r of nine) expect(r.f1).toBeGreaterThanOrEqual(0.8);
    const [deep, ratio] = results.slice(9) as [(typeof results)[0], (typeof results)[0]];
    expect(deep.f1).toBeGreaterThanOrEqual(0.5);
    expect(ratio.f1).toBeGreaterThanOrEqual(0.8);
  }, 120_000);
});
