import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PulseEvent } from '@/lib/types';
import { Simulator } from './generator';
import { DIMENSIONS, MEASURES } from './model';
import { getScenario, type Injection, SCENARIO_NAMES, SCENARIOS, schedule } from './scenarios';

const T = Date.UTC(2025, 2, 10, 12);
const MINUTE = 60_000;

describe('SCENARIOS', () => {
  it.each(SCENARIO_NAMES)('%s is consistent with the telemetry model', (name) => {
    const scenario = SCENARIOS[name];
    expect(scenario.name).toBe(name);
    expect(Object.keys(scenario.rootCause).length).toBeGreaterThan(0);
    for (const [dim, value] of Object.entries(scenario.rootCause)) {
      const spec = DIMENSIONS.find((d) => d.name === dim);
      expect(spec?.values.map(([v]) => v)).toContain(value);
      expect(scenario.description).toContain(`${dim}=${value}`);
    }
    const { effect } = scenario;
    if (effect.kind === 'scaleMeasure') {
      expect(MEASURES).toContainEqual(
        expect.objectContaining({ eventType: effect.eventType, measure: effect.measure }),
      );
    }
  });

  it('includes the required scenarios', () => {
    expect(SCENARIO_NAMES).toEqual(
      expect.arrayContaining([
        'purchase_drop_eu_west',
        'latency_search_android',
        'error_burst_app_version',
      ]),
    );
    expect(SCENARIOS.latency_search_android.rootCause).toEqual({
      feature: 'search',
      device: 'android',
    });
  });

  it('getScenario rejects unknown names, listing the valid ones', () => {
    expect(getScenario('revenue_drop_ios').metricKey).toBe('revenue');
    expect(() => getScenario('toString')).toThrow(/Unknown scenario "toString"/);
    expect(() => getScenario('nope')).toThrow(SCENARIO_NAMES.join(', '));
  });
});

describe('schedule', () => {
  const base = {
    startMs: T,
    firstAfterMs: 10 * MINUTE,
    durationMs: 5 * MINUTE,
    gapMs: 15 * MINUTE,
    scenarios: ['purchase_drop_eu_west', 'latency_search_android', 'error_burst_app_version'],
    untilMs: T + 2 * 3_600_000,
  };

  it('rotates through the scenarios with quiet gaps in between', () => {
    const injections = schedule(base);
    expect(injections.map((i) => i.scenario)).toEqual([
      'purchase_drop_eu_west',
      'latency_search_android',
      'error_burst_app_version',
      'purchase_drop_eu_west',
      'latency_search_android',
      'error_burst_app_version',
    ]);
    expect(injections[0]).toEqual({
      scenario: 'purchase_drop_eu_west',
      metricKey: 'purchases',
      description: 'Purchases drop 60% for region=eu-west',
      rootCause: { region: 'eu-west' },
      startsAt: T + 10 * MINUTE,
      endsAt: T + 15 * MINUTE,
    });
    expect(injections[1]?.startsAt).toBe(T + 30 * MINUTE);
  });

  it('keeps incidents inside the run, cutting the last one off at untilMs', () => {
    const injections = schedule({ ...base, untilMs: T + 32 * MINUTE });
    expect(injections).toHaveLength(2);
    expect(injections[1]).toMatchObject({ startsAt: T + 30 * MINUTE, endsAt: T + 32 * MINUTE });
  });

  it('holds its invariants for any timing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10 * MINUTE }),
        fc.integer({ min: MINUTE, max: 10 * MINUTE }),
        fc.integer({ min: 0, max: 10 * MINUTE }),
        fc.integer({ min: 0, max: 120 * MINUTE }),
        fc.array(fc.constantFrom(...SCENARIO_NAMES), { minLength: 1, maxLength: 4 }),
        (firstAfterMs, durationMs, gapMs, runMs, scenarios) => {
          const opts = {
            startMs: T,
            firstAfterMs,
            durationMs,
            gapMs,
            scenarios,
            untilMs: T + runMs,
          };
          const injections = schedule(opts);
          injections.forEach((inj, i) => {
            expect(inj.scenario).toBe(scenarios[i % scenarios.length]);
            expect(inj.startsAt).toBe(T + firstAfterMs + i * (durationMs + gapMs));
            expect(inj.endsAt).toBe(Math.min(inj.startsAt + durationMs, opts.untilMs));
            expect(inj.startsAt).toBeLessThan(opts.untilMs);
          });
          const next = T + firstAfterMs + injections.length * (durationMs + gapMs);
          expect(next).toBeGreaterThanOrEqual(opts.untilMs);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns no incidents for no scenarios or a run that ends first', () => {
    expect(schedule({ ...base, scenarios: [] })).toEqual([]);
    expect(schedule({ ...base, untilMs: T + 10 * MINUTE })).toEqual([]);
  });

  it('rejects unknown scenarios with the list of valid names', () => {
    expect(() => schedule({ ...base, scenarios: ['purchase_drop_eu_west', 'meteor'] })).toThrow(
      /Unknown scenario "meteor"; valid scenarios: .*latency_search_android/,
    );
  });

  it('rejects timings that cannot be scheduled', () => {
    expect(() => schedule({ ...base, durationMs: 0 })).toThrow(RangeError);
    expect(() => schedule({ ...base, gapMs: -1 })).toThrow(RangeError);
    expect(() => schedule({ ...base, untilMs: Number.NaN })).toThrow(RangeError);
  });
});

/**
 * Runs 15 minutes of traffic with `scenario` injected over the middle 5 and splits the events
 * into those inside the injection window and those outside it.
 */
function runAround(scenario: string): { inside: PulseEvent[]; outside: PulseEvent[] } {
  const injections: Injection[] = schedule({
    startMs: T,
    firstAfterMs: 5 * MINUTE,
    durationMs: 5 * MINUTE,
    gapMs: 60 * MINUTE,
    scenarios: [scenario],
    untilMs: T + 15 * MINUTE,
  });
  const events = new Simulator({ seed: 99, ratePerSec: 200, injections }).generate(
    T,
    T + 15 * MINUTE,
  );
  const within = (e: PulseEvent): boolean => e.ts >= T + 5 * MINUTE && e.ts < T + 10 * MINUTE;
  return { inside: events.filter(within), outside: events.filter((e) => !within(e)) };
}

type Slice = (e: PulseEvent) => boolean;
const dimIs =
  (dims: Record<string, string>): Slice =>
  (e) =>
    Object.entries(dims).every(([k, v]) => e.dims[k] === v);
const count = (events: readonly PulseEvent[], type: string, slice: Slice): number =>
  events.filter((e) => e.type === type && slice(e)).length;
const ratio = (events: readonly PulseEvent[], num: string, den: string, slice: Slice): number =>
  count(events, num, slice) / count(events, den, slice);
const meanMeasure = (
  events: readonly PulseEvent[],
  type: string,
  measure: string,
  slice: Slice,
): number => {
  const values = events.filter((e) => e.type === type && slice(e)).map((e) => e.measures[measure]);
  return values.reduce<number>((a, v) => a + (v ?? Number.NaN), 0) / values.length;
};

describe('scenario effects', () => {
  it('purchase_drop_eu_west drops ~60% of eu-west purchases, only inside its window', () => {
    const { inside, outside } = runAround('purchase_drop_eu_west');
    const conversionChange = (slice: Slice): number =>
      ratio(inside, 'purchase', 'session_start', slice) /
      ratio(outside, 'purchase', 'session_start', slice);
    const euWest = dimIs({ region: 'eu-west' });
    expect(conversionChange(euWest)).toBeGreaterThan(0.3);
    expect(conversionChange(euWest)).toBeLessThan(0.5);
    const others: Slice = (e) => !euWest(e);
    expect(conversionChange(others)).toBeGreaterThan(0.9);
    expect(conversionChange(others)).toBeLessThan(1.1);
    for (const region of ['us-east', 'us-west', 'eu-central', 'ap-south']) {
      expect(conversionChange(dimIs({ region })), region).toBeGreaterThan(0.7);
      expect(conversionChange(dimIs({ region })), region).toBeLessThan(1.3);
    }
    const euShare = (events: PulseEvent[]): number =>
      count(events, 'purchase', euWest) / count(events, 'purchase', () => true);
    expect(euShare(outside)).toBeGreaterThan(0.25);
    expect(euShare(inside)).toBeLessThan(0.2);
  });

  it('latency_search_android triples android+search latency and nothing else', () => {
    const { inside, outside } = runAround('latency_search_android');
    const latencyChange = (dims: Record<string, string>): number =>
      meanMeasure(inside, 'api_request', 'latency_ms', dimIs(dims)) /
      meanMeasure(outside, 'api_request', 'latency_ms', dimIs(dims));
    expect(latencyChange({ device: 'android', feature: 'search' })).toBeGreaterThan(2.6);
    expect(latencyChange({ device: 'android', feature: 'search' })).toBeLessThan(3.4);
    for (const dims of [
      { device: 'android', feature: 'feed' },
      { device: 'web', feature: 'search' },
      { device: 'ios', feature: 'search' },
    ]) {
      expect(latencyChange(dims), JSON.stringify(dims)).toBeGreaterThan(0.9);
      expect(latencyChange(dims), JSON.stringify(dims)).toBeLessThan(1.1);
    }
  });

  it('error_burst_app_version multiplies 5.3.0 errors by 8 and leaves other versions alone', () => {
    const { inside, outside } = runAround('error_burst_app_version');
    const errorRate = (events: PulseEvent[], version: string): number =>
      ratio(events, 'error', 'api_request', dimIs({ app_version: version }));
    expect(errorRate(inside, '5.3.0')).toBeGreaterThan(0.065);
    expect(errorRate(inside, '5.3.0')).toBeLessThan(0.095);
    expect(errorRate(outside, '5.3.0')).toBeGreaterThan(0.006);
    expect(errorRate(outside, '5.3.0')).toBeLessThan(0.014);
    for (const version of ['5.1.0', '5.2.0']) {
      expect(errorRate(inside, version), version).toBeGreaterThan(0.005);
      expect(errorRate(inside, version), version).toBeLessThan(0.015);
    }
  });

  it('revenue_drop_ios cuts iOS revenue per purchase to 40% and nothing else', () => {
    const { inside, outside } = runAround('revenue_drop_ios');
    const revenueChange = (device: string): number =>
      meanMeasure(inside, 'purchase', 'revenue', dimIs({ device })) /
      meanMeasure(outside, 'purchase', 'revenue', dimIs({ device }));
    expect(revenueChange('ios')).toBeGreaterThan(0.33);
    expect(revenueChange('ios')).toBeLessThan(0.47);
    for (const device of ['web', 'android']) {
      expect(revenueChange(device), device).toBeGreaterThan(0.85);
      expect(revenueChange(device), device).toBeLessThan(1.15);
    }
  });
});
