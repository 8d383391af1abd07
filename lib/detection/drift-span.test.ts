/**
 * The root cause of a drift over its whole span (./explain-anomaly `driftRootCause`): a slow
 * drift moves any one window too little for the search to name a cause; its windows together
 * name it. Through the engine, a drift anomaly whose window names nothing is explained so.
 */
import { describe, expect, it } from 'vitest';
import { driftRootCause, rootCauseOf, withDriftRootCause } from './explain-anomaly';
import { scoreBaseWindow, type EngineMetric } from './engine';
import { MemoryEngineStore } from './memory-store';
import { cellsFromLeaves } from '@/lib/metrics/cells';
import { defaultMetrics } from '@/lib/metrics/defaults';
import { DEFAULT_RULE, type Explanation, type LeafDelta, type MetricDefinition } from '@/lib/types';

const W = 60_000;
const T0 = Date.UTC(2026, 0, 5);
const REGIONS = ['us-east', 'eu-west', 'ap-south', 'us-west'];
const DEVICES = ['ios', 'android', 'web'];
const PLANS = ['free', 'pro'];
const CAUSE = { device: 'android', region: 'eu-west' };

const purchases: MetricDefinition = { ...defaultMetrics()[0]!, id: 1 };

/** A seeded uniform generator (a linear congruential one: enough for noise). */
function uniform(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** A standard normal draw (Box–Muller). */
const normal = (u: () => number) =>
  Math.sqrt(-2 * Math.log(u() + 1e-12)) * Math.cos(2 * Math.PI * u());

/**
 * One window's leaf cube: about `scale` × 100 purchases per leaf (us-east twice, pro half), each
 * with Poisson-sized noise, and the cause's leaves dropped by `drop` (0–1).
 */
function leaves(i: number, u: () => number, drop: number, scale = 1): LeafDelta[] {
  const cells: LeafDelta[] = [];
  for (const device of DEVICES)
    for (const plan of PLANS)
      for (const region of REGIONS) {
        let mean = scale * 100 * (region === 'us-east' ? 2 : 1) * (plan === 'pro' ? 0.5 : 1);
        if (region === CAUSE.region && device === CAUSE.device) mean *= 1 - drop;
        cells.push({
          windowStart: T0 + i * W,
          eventType: 'purchase',
          leaf: JSON.stringify({ device, plan, region }),
          measure: '',
          count: Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(u))),
          sum: 0,
          sumsq: 0,
        });
      }
  return cells;
}

/** A drop of the cause ramping to `to` over 8 windows, after 22 quiet ones. */
function drift(seed: number, to: number) {
  const u = uniform(seed);
  const past = Array.from({ length: 22 }, (_, i) => leaves(i, u, 0));
  const span = Array.from({ length: 8 }, (_, j) => leaves(22 + j, u, (to * (j + 1)) / 8));
  return { past, span };
}

const exact = (set: readonly Record<string, string>[] | undefined) =>
  JSON.stringify(set) === JSON.stringify([CAUSE]);

describe('driftRootCause', () => {
  it('names a drift over its windows that no single window of it names', () => {
    // A drop to 30% below normal in a slice of 1/14 of the traffic: at its end the total is
    // down by about 1σ of a window's noise.
    let byWindow = 0;
    let bySpan = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const { past, span } = drift(seed, 0.3);
      if (exact(rootCauseOf(purchases, span.at(-1)!, past)?.set)) byWindow += 1;
      const found = driftRootCause(purchases, span, past);
      if (exact(found?.set)) {
        bySpan += 1;
        expect(found!.namedBy).toBe('drift-span');
        expect(found!.sentence).toMatch(/^Over the drift's 8 windows: Purchases /);
      }
    }
    expect(byWindow).toBeLessThanOrEqual(5);
    expect(bySpan).toBeGreaterThanOrEqual(8);
  });

  it('adds the windows up against as many windows of the baseline', () => {
    const u = uniform(7);
    const past = Array.from({ length: 10 }, (_, i) => leaves(i, u, 0, 10));
    // Three windows of a 40% drop: the actual is the three windows' sum, the expected three
    // times the baseline's mean, so the cause fell by about 40%, not by 80% of three times.
    const span = [10, 11, 12].map((i) => leaves(i, u, 0.4, 10));
    const found = driftRootCause(purchases, span, past)!;
    expect(found.set).toEqual([CAUSE]);
    const fell = /fell (\d+)%/.exec(found.sentence);
    expect(Number(fell?.[1])).toBeGreaterThanOrEqual(35);
    expect(Number(fell?.[1])).toBeLessThanOrEqual(45);
  });

  it('names nothing on quiet windows, and is null without cells', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { past, span } = drift(seed, 0);
      expect(driftRootCause(purchases, span, past)?.set ?? []).toEqual([]);
    }
    expect(driftRootCause(purchases, [[], []], drift(1, 0).past)).toBeNull();
    expect(driftRootCause(purchases, drift(1, 0.3).span, [])).toBeNull();
  });
});

describe('withDriftRootCause', () => {
  const empty: Explanation = {
    dimensions: {},
    top: [],
    sentence: 'Purchases fell 1%.',
    rootCause: { set: [], candidates: [], sentence: 'No slice stands out.' },
  };
  const span = {
    set: [CAUSE],
    candidates: [],
    sentence:
      "Over the drift's 6 windows: Purchases in device=android AND region=eu-west fell 20%.",
    namedBy: 'drift-span' as const,
  };

  it("takes the span's root cause only where the window's names nothing", () => {
    const told = withDriftRootCause(empty, span);
    expect(told.rootCause).toEqual(span);
    expect(told.sentence).toBe(span.sentence);
    const named: Explanation = {
      ...empty,
      rootCause: { set: [{ region: 'us-east' }], candidates: [], sentence: 'us-east fell.' },
    };
    expect(withDriftRootCause(named, span)).toBe(named);
    expect(withDriftRootCause(empty, null)).toBe(empty);
    expect(withDriftRootCause(empty, { ...span, set: [] })).toBe(empty);
  });
});

describe('a drift anomaly in the engine', () => {
  it("is explained over the drift's span when its window names no cause", async () => {
    const metric: EngineMetric = { definition: purchases, rule: DEFAULT_RULE };
    const START = 40;
    const named: string[] = [];
    for (let seed = 1; seed <= 8; seed++) {
      const store = new MemoryEngineStore();
      const u = uniform(seed);
      for (let i = 0; i < START + 16; i++) {
        // A drop of the cause ramping to 40% over 12 windows, then held.
        const drop = i < START ? 0 : (0.4 * Math.min(12, i - START + 1)) / 12;
        const cells = leaves(i, u, drop, 4);
        // The marginal cells a flush writes beside the leaves: the leaves projected.
        store.add({ deltas: cellsFromLeaves(purchases, cells), leaves: cells });
        for (const o of await scoreBaseWindow(store, [metric], T0 + i * W, W)) {
          if (o.step.kind !== 'open') continue;
          const explanation = o.peak!.explanation;
          expect(explanation.rootCause?.set).toEqual([CAUSE]);
          if (explanation.rootCause?.namedBy === 'drift-span') {
            expect(explanation.sentence).toMatch(
              /^Drifting down (in [a-z]+=[a-z-]+ )?for \d+ windows\. Over the drift's \d+ windows: Purchases in device=android AND region=eu-west fell/,
            );
          }
          named.push(explanation.rootCause?.namedBy ?? 'its window');
        }
      }
    }
    // One anomaly per drift, each naming the cause: most by their window, at least one by the
    // drift's span (seeded: the same ones on every run).
    expect(named).toHaveLength(8);
    expect(named).toContain('drift-span');
  });
});
