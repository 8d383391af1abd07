import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SLICE_DRIFT_H,
  SLICE_DRIFT_MEMORY,
  SLICE_DRIFT_WINDOWS,
  SLICE_MIN_EFFECT,
  SliceMemo,
  sliceDrift,
  sliceThreshold,
  type SliceDriftWindow,
} from './slice-drift';
import { DRIFT_PARAMS } from './drift';
import { scoreBaseWindow, type EngineMetric } from './engine';
import { MemoryEngineStore } from './memory-store';
import { COUNT_MEASURE } from '@/lib/stream/rollup';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { DEFAULT_RULE, TOTAL, type MetricDefinition, type RollupDelta } from '@/lib/types';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const purchases: MetricDefinition = { ...defaultMetrics()[0]!, id: 1 };

/** A seeded generator of standard normal deviates (mulberry32 and Box–Muller). */
function normals(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const countCell = (windowStart: number, dim: string, value: string, count: number) =>
  ({
    windowStart,
    eventType: 'purchase',
    dim,
    value,
    measure: COUNT_MEASURE,
    count,
    sum: 0,
    sumsq: 0,
    min: Number.NaN,
    max: Number.NaN,
  }) satisfies RollupDelta;

/** Purchases by region: a window's marginal cells (the total and one cell per region). */
function windowCells(windowStart: number, byRegion: Record<string, number>): RollupDelta[] {
  const counts = Object.entries(byRegion).map(([r, n]) => [r, Math.max(0, Math.round(n))] as const);
  const total = counts.reduce((s, [, n]) => s + n, 0);
  return [
    countCell(windowStart, TOTAL, TOTAL, total),
    ...counts.map(([r, n]) => countCell(windowStart, 'region', r, n)),
  ];
}

/** Five regions of 2,000 purchases a window with Poisson-sized noise; `extra` adds to some. */
function traffic(
  windows: number,
  seed: number,
  extra: (i: number) => Record<string, number> = () => ({}),
): RollupDelta[][] {
  const noise = normals(seed);
  const sizes: Record<string, number> = { a: 2000, b: 2000, c: 2000, d: 2000, e: 2000, f: 50 };
  return Array.from({ length: windows }, (_, i) => {
    const add = extra(i);
    const byRegion: Record<string, number> = {};
    for (const [r, n] of Object.entries(sizes)) {
      byRegion[r] = n + Math.sqrt(n) * noise() + (add[r] ?? 0);
    }
    return windowCells(T0 + i * W, byRegion);
  });
}

/** The test's input on window `i`: the windows up to it, as many as the engine reads. */
const upTo = (all: RollupDelta[][], i: number): SliceDriftWindow[] =>
  all
    .slice(Math.max(0, i - SLICE_DRIFT_WINDOWS), i + 1)
    .map((cells) => ({ windowStart: cells[0]!.windowStart, cells }));

const TOTAL_SIGMA = 100; // √10,050: the total's Poisson noise

/** The first window from `from` on which the test fires, and its alarm. */
function firstAlarm(
  all: RollupDelta[][],
  from: number,
  options: { anomalous?: Set<number>; direction?: 'both' | 'up' | 'down' } = {},
) {
  for (let i = from; i < all.length; i++) {
    const { alarm } = sliceDrift(
      purchases,
      upTo(all, i),
      options.anomalous ?? new Set(),
      TOTAL_SIGMA,
      options.direction ?? 'both',
      DRIFT_PARAMS,
    );
    if (alarm) return { i, alarm };
  }
  return null;
}

// A ramp in region a reaching 4σ of the total (400 purchases) in its 12th window: the total's
// z reaches 2 only by the 6th window, region a's (σ ≈ 45) reaches 4.5.
const START = 40;
const ramp = (i: number) => ({ a: i < START ? 0 : (400 * Math.min(12, i - START + 1)) / 12 });

describe('the slice drift test', () => {
  it('finds a drift confined to one region within 7 windows and names the region', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const found = firstAlarm(traffic(START + 12, seed, ramp), START);
      expect(found, `seed ${seed}`).not.toBeNull();
      expect(found!.i - START + 1, `seed ${seed}`).toBeLessThanOrEqual(7);
      expect(found!.alarm).toMatchObject({ direction: 'up', dim: 'region', value: 'a' });
      expect(found!.alarm.effect).toBeGreaterThanOrEqual(SLICE_MIN_EFFECT);
      // The run it reports began with the ramp, give or take the noise.
      expect(found!.alarm.windows).toBeGreaterThanOrEqual(2);
      expect(found!.alarm.windows).toBeLessThanOrEqual(SLICE_DRIFT_MEMORY);
    }
  });

  it('says the drift is still building on the windows after its alarm, while it goes on', () => {
    // The ramp, then held at 4σ of the total: region a stays far from its old level.
    const all = traffic(START + 20, 2, ramp);
    const found = firstAlarm(all, START)!;
    const after = sliceDrift(
      purchases,
      upTo(all, found.i + 1),
      new Set(),
      TOTAL_SIGMA,
      'both',
      DRIFT_PARAMS,
    );
    expect(after.building).toContain('up');
    expect(after.building).not.toContain('down');
    // The slice that builds is named, for the words of the anomaly's later windows.
    expect(after.buildingSlice).toEqual({ up: { dim: 'region', value: 'a' } });
    // Nothing builds in quiet traffic's first windows after a baseline.
    const quiet = traffic(START + 1, 2);
    expect(
      sliceDrift(purchases, upTo(quiet, START), new Set(), TOTAL_SIGMA, 'both', DRIFT_PARAMS)
        .building,
    ).not.toContain('up');
  });

  it('finds a drop the same way, and a one-sided rule hears only its side', () => {
    const drop = (i: number) => ({ b: i < START ? 0 : (-400 * Math.min(12, i - START + 1)) / 12 });
    const all = traffic(START + 12, 7, drop);
    expect(firstAlarm(all, START)!.alarm).toMatchObject({
      direction: 'down',
      dim: 'region',
      value: 'b',
    });
    expect(firstAlarm(all, START, { direction: 'up' })).toBeNull();
  });

  it('stays quiet on noise: no alarm in 2,000 windows of five regions', () => {
    const all = traffic(2_000, 11);
    expect(firstAlarm(all, 0)).toBeNull();
  });

  it('does not alarm on a small slice that cannot move the total by its σ', () => {
    // Region f (50 a window, σ ≈ 7) doubles: 15σ of its own, half a σ of the total.
    const small = (i: number) => ({ f: i < START ? 0 : (50 * Math.min(12, i - START + 1)) / 12 });
    expect(firstAlarm(traffic(START + 20, 3, small), START)).toBeNull();
  });

  it('resets where the total was anomalous, as the drift test does', () => {
    const all = traffic(START + 12, 1, ramp);
    const anomalous = new Set(all.map((cells) => cells[0]!.windowStart));
    expect(firstAlarm(all, START, { anomalous })).toBeNull();
  });

  it('never fires without history, on gaps, or without the total’s σ', () => {
    const all = traffic(START + 12, 1, ramp);
    const last = all.length - 1;
    const quiet = { alarm: null, building: [], buildingSlice: {} };
    expect(sliceDrift(purchases, [], new Set(), 100, 'both', DRIFT_PARAMS)).toEqual(quiet);
    expect(sliceDrift(purchases, upTo(all, last), new Set(), 0, 'both', DRIFT_PARAMS)).toEqual(
      quiet,
    );
    // Eight windows: the last has seven before it, too few for a baseline; nothing is scored.
    const young = all
      .slice(START, START + 8)
      .map((cells) => ({ windowStart: cells[0]!.windowStart, cells }));
    expect(sliceDrift(purchases, young, new Set(), 100, 'both', DRIFT_PARAMS)).toEqual(quiet);
    // Windows without cells are gaps: the sums reset there.
    const gappy = upTo(all, last).map((w, j, ws) =>
      j % 3 === 1 && j > ws.length - SLICE_DRIFT_MEMORY ? { ...w, cells: [] } : w,
    );
    expect(sliceDrift(purchases, gappy, new Set(), 100, 'both', DRIFT_PARAMS).alarm).toBeNull();
  });

  it('gives the same answers with a memo kept across windows, also when a window is revised', () => {
    const all = traffic(START + 12, 5, ramp);
    const memo = new SliceMemo();
    const run = (cells: RollupDelta[][], m?: SliceMemo) =>
      cells.map((_, i) =>
        sliceDrift(purchases, upTo(cells, i), new Set(), TOTAL_SIGMA, 'both', DRIFT_PARAMS, m),
      );
    const plain = run(all);
    expect(plain.some((v) => v.alarm !== null)).toBe(true);
    expect(run(all, memo)).toEqual(plain);
    expect(memo.size).toBe(1);
    // A late event revises window 45 after it was memoised: the answers follow the new cells.
    const revised = all.map((cells, i) =>
      i === START + 5 ? cells.map((c) => ({ ...c, count: c.count + 1 })) : cells,
    );
    expect(run(revised, memo)).toEqual(run(revised));
  });

  it('keeps one entry per definition, at most its number, forgetting the least recently used', () => {
    const memo = new SliceMemo(2);
    const all = traffic(20, 1);
    const run = (metric: MetricDefinition) =>
      sliceDrift(metric, upTo(all, 19), new Set(), 100, 'both', DRIFT_PARAMS, memo);
    // Metrics that differ only in id (and rule) have the same slices: one entry.
    run({ ...purchases, id: 1 });
    run({ ...purchases, id: 2 });
    expect(memo.size).toBe(1);
    for (const extra of ['a', 'b', 'c', 'a']) run({ ...purchases, extraEventTypes: [extra] });
    expect(memo.size).toBe(2);
  });

  it('raises h with the number of slices tested, by ln(S)/2k, and scales it with the rule', () => {
    expect(sliceThreshold({ k: 1, h: 5.5 }, 1)).toBe(SLICE_DRIFT_H);
    expect(sliceThreshold({ k: 1, h: 5.5 }, 20)).toBeCloseTo(SLICE_DRIFT_H + Math.log(20) / 2);
    expect(sliceThreshold({ k: 0, h: 5.5 }, 20)).toBe(SLICE_DRIFT_H);
    // A rule warning at 4σ instead of 3 asks a third more (./drift.ts driftParams).
    expect(sliceThreshold({ k: 4 / 3, h: (5.5 * 4) / 3 }, 1)).toBeCloseTo((SLICE_DRIFT_H * 4) / 3);
  });

  it('is total: any windows give null or an alarm with finite figures', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 3, maxLength: 3 }), {
          maxLength: SLICE_DRIFT_WINDOWS + 1,
        }),
        fc.double({ min: -1, max: 1_000, noNaN: true }),
        (counts, sigma) => {
          const windows = counts.map((byRegion, i) => ({
            windowStart: T0 + i * W,
            cells: windowCells(T0 + i * W, { x: byRegion[0]!, y: byRegion[1]!, z: byRegion[2]! }),
          }));
          const { alarm } = sliceDrift(purchases, windows, new Set(), sigma, 'both', DRIFT_PARAMS);
          if (alarm) {
            expect(Number.isFinite(alarm.sum)).toBe(true);
            expect(Number.isFinite(alarm.effect)).toBe(true);
            expect(alarm.windows).toBeGreaterThanOrEqual(1);
          }
        },
      ),
    );
  });
});

describe('the slice drift test in the engine', () => {
  const metric: EngineMetric = { definition: purchases, rule: DEFAULT_RULE };

  it('opens a warn anomaly that says which slice drifts, while the total stays under warn', async () => {
    const store = new MemoryEngineStore();
    const all = traffic(START + 12, 1, ramp);
    const outcomes = [];
    for (const [i, cells] of all.entries()) {
      store.addRollups(cells);
      outcomes.push(...(await scoreBaseWindow(store, [metric], T0 + i * W, W)));
    }
    const opened = outcomes.filter((o) => o.step.kind === 'open');
    expect(opened).toHaveLength(1);
    expect(opened[0]!.score.severity).toBeNull();
    expect(opened[0]!.windowStart).toBeLessThanOrEqual(T0 + (START + 6) * W);
    expect(opened[0]!.peak!.explanation.sentence).toMatch(
      /^Drifting up in region=a for \d+ windows?\. Purchases in region=a rose/,
    );
    const [anomaly] = store.anomalies();
    expect(anomaly!.severity).toBe('warn');
    // Later peaks say how long the metric has drifted (./engine.ts), and in which slice while
    // one still builds on the anomaly's side.
    expect(anomaly!.sentence).toMatch(/^Drifting up in region=a for \d+ windows?\./);
    expect(anomaly!.firstWindow).toBeGreaterThanOrEqual(T0 + (START - 2) * W);
  });

  it('leaves metrics computed from the leaf cube alone', async () => {
    const store = new MemoryEngineStore();
    const filtered: EngineMetric = {
      definition: { ...purchases, filters: { device: ['ios'] } },
      rule: DEFAULT_RULE,
    };
    const all = traffic(START + 12, 1, ramp);
    const outcomes = [];
    for (const [i, cells] of all.entries()) {
      store.addRollups(cells);
      outcomes.push(...(await scoreBaseWindow(store, [filtered], T0 + i * W, W)));
    }
    expect(outcomes.filter((o) => o.step.kind === 'open')).toEqual([]);
  });
});
