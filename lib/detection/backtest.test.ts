import { describe, expect, it } from 'vitest';
import { Backtest, backtestLine, defaultEngineMetrics, rootCauseOf } from './backtest';
import { Simulator } from '@/lib/simulator/generator';
import { schedule } from '@/lib/simulator/scenarios';
import { DEFAULT_RULE, type Explanation } from '@/lib/types';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 5, 14);

function run(events: { ts: number }[], backtest: Backtest) {
  for (const event of events) backtest.ingestLine(JSON.stringify(event), event.ts + MIN);
}

describe('Backtest', { timeout: 30_000 }, () => {
  it('scores every closed window in order, empty ones too, and finds an injected drop', async () => {
    const injections = schedule({
      startMs: START,
      firstAfterMs: 24 * MIN,
      durationMs: 3 * MIN,
      gapMs: 60 * MIN,
      scenarios: ['purchase_drop_eu_west'],
      untilMs: START + 40 * MIN,
    });
    const sim = new Simulator({ seed: 5, ratePerSec: 250, injections });
    const backtest = new Backtest({
      windowMs: MIN,
      outOfOrderMs: 2000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 200,
      metrics: defaultEngineMetrics({ ...DEFAULT_RULE, warnZ: 4 }),
    });
    const scored = [];
    for (let w = START; w < START + 30 * MIN; w += MIN) {
      run(sim.generate(w, w + MIN), backtest);
      scored.push(...(await backtest.advance()));
    }
    // Three silent minutes, then traffic again.
    for (let w = START + 33 * MIN; w < START + 36 * MIN; w += MIN) {
      run(sim.generate(w, w + MIN), backtest);
      scored.push(...(await backtest.advance()));
    }
    scored.push(...(await backtest.finish()));
    expect(scored.map((s) => (s.windowStart - START) / MIN)).toEqual(
      Array.from({ length: 36 }, (_, i) => i),
    );
    expect(scored.every((s) => s.outcomes.length === 5)).toBe(true);
    expect(backtest.totals()).toMatchObject({ quarantined: {} });
    expect(backtest.totals().received).toBe(backtest.totals().folded);

    const opened = scored
      .flatMap((s) => s.outcomes)
      .filter((o) => o.step.kind === 'open' && o.metric.key === 'purchases');
    // The drop starts at minute 24; a warn needs two windows in a row, a critical one opens.
    const first = opened.find((o) => o.windowStart >= START + 24 * MIN)!;
    expect([24, 25]).toContain((first.windowStart - START) / MIN);
    const line = backtestLine(first);
    expect(line).toMatchObject({
      window: new Date(first.windowStart).toISOString(),
      metric: 'purchases',
      anomaly: { step: 'open' },
    });
    expect(line.z!).toBeLessThan(-4);
    expect(line.rootCause!.set).toEqual([{ region: 'eu-west' }]);
    expect(line.rootCause!.candidates.length).toBeLessThanOrEqual(3);

    // The silent windows are scored too: 0 purchases, under the minimum volume but not under
    // the expected one, so the stop is an anomaly rather than low volume.
    const silent = scored[31]!.outcomes.find((o) => o.metric.key === 'purchases')!;
    expect(silent.score.value).toBe(0);
    expect(silent.score.status).toBe('critical');
    expect(silent.score.direction).toBe('down');
    // Learning windows print no baseline.
    expect(backtestLine(scored[0]!.outcomes[0]!)).toMatchObject({
      status: 'learning',
      expected: null,
      sigma: null,
      z: null,
      anomaly: null,
      rootCause: null,
    });
  });

  it('scores nothing before the first window is final, and nothing at all without events', async () => {
    const backtest = new Backtest({
      windowMs: MIN,
      outOfOrderMs: 0,
      allowedLatenessMs: 0,
      maxValuesPerDim: 10,
      metrics: defaultEngineMetrics(),
    });
    backtest.ingestLine('not json', START);
    expect(await backtest.advance()).toEqual([]);
    expect(await backtest.finish()).toEqual([]);
    expect(backtest.totals()).toEqual({
      received: 1,
      folded: 0,
      quarantined: { malformed_json: 1 },
    });
  });
});

describe('Backtest variants', { timeout: 30_000 }, () => {
  it('scores other rules over the same windows into their own stores', async () => {
    const strict = { ...DEFAULT_RULE, warnZ: 1000, criticalZ: 1000 };
    const backtest = new Backtest({
      windowMs: MIN,
      outOfOrderMs: 0,
      allowedLatenessMs: 0,
      maxValuesPerDim: 200,
      metrics: defaultEngineMetrics(),
      variants: [defaultEngineMetrics(), defaultEngineMetrics(strict)],
    });
    const sim = new Simulator({
      seed: 2,
      ratePerSec: 200,
      injections: schedule({
        startMs: START,
        firstAfterMs: 12 * MIN,
        durationMs: 2 * MIN,
        gapMs: 60 * MIN,
        scenarios: ['latency_search_android'],
        untilMs: START + 16 * MIN,
      }),
    });
    const scored = [];
    for (let w = START; w < START + 16 * MIN; w += MIN) {
      run(sim.generate(w, w + MIN), backtest);
      scored.push(...(await backtest.advance()));
    }
    scored.push(...(await backtest.finish()));
    for (const window of scored) {
      expect(window.variants).toHaveLength(2);
      // The same rule gives the same verdicts as the main run.
      expect(window.variants[0]!.map((o) => [o.score.z, o.step.kind])).toEqual(
        window.outcomes.map((o) => [o.score.z, o.step.kind]),
      );
    }
    expect(backtest.store.anomalies().length).toBeGreaterThan(0);
    expect(backtest.variantStores[0]!.anomalies()).toEqual(backtest.store.anomalies());
    expect(backtest.variantStores[1]!.anomalies()).toEqual([]);
  });
});

describe('rootCauseOf', () => {
  const contributor = (dim: string, value: string, share: number) => ({
    dim,
    value,
    actual: 0,
    expected: 0,
    deviation: 0,
    share,
    z: 0,
    volume: 0,
  });

  it('takes the multi-dimensional root cause when the explanation has one', () => {
    const explanation: Explanation = {
      dimensions: {},
      top: [contributor('region', 'eu-west', 0.5)],
      sentence: 's',
      rootCause: {
        set: [{ region: 'eu-west', device: 'android' }],
        candidates: [
          { elements: { region: 'eu-west', device: 'android' }, score: 0.9, explains: 0.95 },
        ],
        sentence: 'r',
      },
    };
    expect(rootCauseOf(explanation)).toMatchObject({
      source: 'rca',
      sentence: 'r',
      set: [{ region: 'eu-west', device: 'android' }],
    });
  });

  it('reads the per-dimension breakdown as one when it has none', () => {
    const explanation: Explanation = {
      dimensions: {},
      top: ['a', 'b', 'c', 'd'].map((v, i) => contributor('region', v, 0.9 - i / 10)),
      sentence: 's',
    };
    const cause = rootCauseOf(explanation);
    expect(cause.source).toBe('breakdown');
    expect(cause.set).toEqual([{ region: 'a' }]);
    expect(cause.candidates.map((c) => c.elements)).toEqual([
      { region: 'a' },
      { region: 'b' },
      { region: 'c' },
    ]);
    expect(rootCauseOf({ dimensions: {}, top: [], sentence: '' }).set).toEqual([]);
  });
});
