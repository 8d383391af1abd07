import { describe, expect, it } from 'vitest';
import type { PulseEvent } from '@/lib/types';
import {
  EVAL_CAUSES,
  EVAL_TARGETS,
  EvalSimulator,
  measureMean,
  METRIC_EVENT_TYPES,
  sliceShare,
  strengthAt,
  type EvalInjection,
} from './eval-scenarios';
import { DIMENSIONS } from './model';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 15); // the daily peak: shape 1.4

const inSlice = (e: PulseEvent, cause: Record<string, string>) =>
  Object.entries(cause).every(([k, v]) => e.dims[k] === v);

function generate(minutes: number, injections: EvalInjection[] = [], seed = 1, rate = 400) {
  const sim = new EvalSimulator({ seed, ratePerSec: rate, rateNoiseSigma: 0 });
  const events: PulseEvent[] = [];
  for (let i = 0; i < minutes; i++)
    events.push(...sim.generate(T0 + i * MIN, T0 + (i + 1) * MIN, injections));
  return events;
}

function count(events: PulseEvent[], type: string, cause: Record<string, string> = {}) {
  return events.filter((e) => e.type === type && inSlice(e, cause)).length;
}

describe('the model expectations', () => {
  it('gives slice shares that sum to 1 over a dimension and multiply across dimensions', () => {
    for (const type of METRIC_EVENT_TYPES) {
      for (const dim of DIMENSIONS) {
        const total = dim.values.reduce((s, [v]) => s + sliceShare(type, { [dim.name]: v }), 0);
        expect(total).toBeCloseTo(1, 12);
      }
    }
    expect(sliceShare('session_start', { region: 'eu-west' })).toBeCloseTo(0.3, 12);
    expect(sliceShare('purchase', { region: 'us-east' })).toBeGreaterThan(0.3); // propensity 1.04
    expect(sliceShare('error', { region: 'eu-west', device: 'android' })).toBeCloseTo(0.075, 12);
    expect(sliceShare('error', {})).toBe(1);
    expect(() => sliceShare('error', { region: 'mars' })).toThrow(RangeError);
  });

  it('matches what the generator draws', () => {
    const events = generate(20);
    const requests = events.filter((e) => e.type === 'api_request');
    const share = count(events, 'purchase', { plan: 'free' }) / count(events, 'purchase');
    expect(share).toBeCloseTo(sliceShare('purchase', { plan: 'free' }), 1);
    const mean = (list: PulseEvent[]) =>
      list.reduce((s, e) => s + e.measures.latency_ms!, 0) / list.length;
    expect(mean(requests) / measureMean('api_request', {})).toBeCloseTo(1, 1);
    const search = requests.filter((e) => e.dims.feature === 'search');
    expect(mean(search) / measureMean('api_request', { feature: 'search' })).toBeCloseTo(1, 1);
    expect(() => measureMean('session_start', {})).toThrow(RangeError);
  });
});

describe('EvalSimulator', () => {
  it('is deterministic, in time order, and emits only the types metrics read', () => {
    const a = generate(2);
    expect(generate(2)).toEqual(a);
    expect(generate(2, [], 2)).not.toEqual(a);
    expect(new Set(a.map((e) => e.type))).toEqual(new Set(METRIC_EVENT_TYPES));
    for (let i = 1; i < a.length; i++) expect(a[i]!.ts).toBeGreaterThanOrEqual(a[i - 1]!.ts);
    expect(a.every((e) => e.ts >= T0 && e.ts < T0 + 2 * MIN)).toBe(true);
  });

  it('applies drops, copies and scaled measures to the cause slice only, inside the interval', () => {
    const cause = { region: 'eu-west', device: 'android' };
    const at = (effect: EvalInjection['effect']): EvalInjection => ({
      cause,
      startsAt: T0 + MIN,
      endsAt: T0 + 3 * MIN,
      effect,
      profile: 'step',
      stepMs: MIN,
    });
    const base = generate(4);
    const window = (events: PulseEvent[], i: number) =>
      events.filter((e) => e.ts >= T0 + i * MIN && e.ts < T0 + (i + 1) * MIN);

    const dropped = generate(4, [at({ kind: 'drop', eventType: 'purchase', probability: 1 })]);
    expect(count(window(dropped, 1), 'purchase', cause)).toBe(0);
    expect(count(window(dropped, 0), 'purchase', cause)).toBeGreaterThan(0);
    expect(count(window(dropped, 3), 'purchase', cause)).toBeGreaterThan(0);
    expect(
      count(window(dropped, 1), 'purchase') / count(window(base, 1), 'purchase'),
    ).toBeGreaterThan(0.85);

    const tripled = generate(4, [at({ kind: 'multiplyEvents', eventType: 'error', factor: 3 })]);
    const errors = (events: PulseEvent[]) =>
      count(
        events.filter((e) => e.ts >= T0 + MIN && e.ts < T0 + 3 * MIN),
        'error',
        cause,
      );
    expect(errors(tripled) / Math.max(1, errors(base))).toBeGreaterThan(2);
    // The extra errors are new events of the slice, spread over its leaves, not copies of one
    // event: about as many distinct leaves as events.
    const inCause = tripled.filter(
      (e) => e.type === 'error' && e.ts >= T0 + MIN && e.ts < T0 + 3 * MIN && inSlice(e, cause),
    );
    const leaves = new Set(inCause.map((e) => JSON.stringify(e.dims)));
    const copiesInOneLeaf =
      inCause.length - new Set(inCause.map((e) => `${e.ts} ${JSON.stringify(e.dims)}`)).size;
    expect(copiesInOneLeaf).toBeLessThan(inCause.length / 4);
    expect(leaves.size).toBeGreaterThan(1);

    const slow = generate(4, [
      at({ kind: 'scaleMeasure', eventType: 'api_request', measure: 'latency_ms', factor: 10 }),
    ]);
    const latency = (events: PulseEvent[], slice: boolean) => {
      const list = window(events, 2).filter(
        (e) => e.type === 'api_request' && inSlice(e, cause) === slice,
      );
      return list.reduce((s, e) => s + e.measures.latency_ms!, 0) / list.length;
    };
    expect(latency(slow, true) / measureMean('api_request', cause)).toBeGreaterThan(7);
    expect(latency(slow, false) / measureMean('api_request', {})).toBeLessThan(1.3);
    expect(() =>
      new EvalSimulator({ seed: 1, ratePerSec: 1, rateNoiseSigma: 0 }).generate(
        T0 + MIN,
        T0 + 2 * MIN,
        [at({ kind: 'scaleMeasure', eventType: 'purchase', measure: 'latency_ms', factor: 2 })],
      ),
    ).toThrow(RangeError);
  });

  it('ramps a drift up window by window to full strength in its last window', () => {
    const ramp: EvalInjection = {
      cause: {},
      startsAt: T0,
      endsAt: T0 + 4 * MIN,
      effect: { kind: 'drop', eventType: 'purchase', probability: 1 },
      profile: 'ramp',
      stepMs: MIN,
    };
    expect([0, 1, 2, 3].map((i) => strengthAt(ramp, T0 + i * MIN + 5))).toEqual([
      0.25, 0.5, 0.75, 1,
    ]);
    expect(strengthAt({ ...ramp, profile: 'step' }, T0)).toBe(1);
  });

  it('refuses bad options', () => {
    expect(() => new EvalSimulator({ seed: 1, ratePerSec: -1, rateNoiseSigma: 0 })).toThrow(
      RangeError,
    );
    expect(() => new EvalSimulator({ seed: 1, ratePerSec: 1, rateNoiseSigma: NaN })).toThrow(
      RangeError,
    );
  });
});

describe('EVAL_TARGETS sizing', () => {
  it('moves the expected metric by the asked delta (model arithmetic)', () => {
    const cause = { region: 'eu-west', device: 'android' };
    const drop = EVAL_TARGETS.drop[0]!.sized(20, 1000, cause);
    expect(drop).toMatchObject({ kind: 'drop', eventType: 'purchase' });
    if (drop?.kind === 'drop')
      expect(drop.probability * sliceShare('purchase', cause) * 1000).toBeCloseTo(20);
    // More than the slice holds: not injectable.
    expect(EVAL_TARGETS.drop[0]!.sized(500, 1000, cause)).toBeNull();

    const conversion = EVAL_TARGETS.ratio
      .find((t) => t.metric === 'conversion')!
      .sized(0.1, 0.5, cause);
    if (conversion?.kind !== 'multiplyEvents') throw new Error('expected extra session starts');
    const s = sliceShare('session_start', cause);
    expect(0.5 / (1 + (conversion.factor - 1) * s)).toBeCloseTo(0.4);
    expect(
      EVAL_TARGETS.ratio.find((t) => t.metric === 'conversion')!.sized(0.6, 0.5, cause),
    ).toBeNull();

    const latency = EVAL_TARGETS.spike
      .find((t) => t.metric === 'api_latency')!
      .sized(12, 120, cause);
    if (latency?.kind !== 'scaleMeasure') throw new Error('expected scaled latency');
    const slice = sliceShare('api_request', cause) * measureMean('api_request', cause);
    expect((latency.factor - 1) * slice).toBeCloseTo(12);
  });

  it('moves the generated metric by about the asked delta', () => {
    // Error rate +0.01 (from about 0.01) through errors in eu-west.
    const cause = { region: 'eu-west' };
    const target = EVAL_TARGETS.ratio.find((t) => t.metric === 'error_rate')!;
    const effect = target.sized(0.01, 0.01, cause)!;
    const injection: EvalInjection = {
      cause,
      startsAt: T0,
      endsAt: T0 + 10 * MIN,
      effect,
      profile: 'step',
      stepMs: MIN,
    };
    const rate = (events: PulseEvent[]) => count(events, 'error') / count(events, 'api_request');
    const before = rate(generate(10, [], 3, 1000));
    const after = rate(generate(10, [injection], 3, 1000));
    expect(after - before).toBeCloseTo(0.01, 2);
  });

  it('has causes of the right size for each dimension count, all valid values', () => {
    for (const dims of [1, 2, 3] as const) {
      expect(EVAL_CAUSES[dims].length).toBeGreaterThan(3);
      for (const cause of EVAL_CAUSES[dims]) {
        expect(Object.keys(cause)).toHaveLength(dims);
        expect(sliceShare('purchase', cause)).toBeGreaterThan(0);
      }
    }
  });
});
