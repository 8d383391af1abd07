/**
 * Incidents with a known root cause, and the schedule that injects them into simulated traffic.
 * A scenario's effect is data: the generator applies it to every event of `effect.eventType`
 * whose dimensions match `rootCause`, so the root cause is both the ground truth shown to
 * people and the exact slice the incident touches.
 */
import type { SimEventType } from './model';

/** Metrics a scenario is meant to move (keys of the metric definitions seeded elsewhere). */
export type ScenarioMetricKey =
  'purchases' | 'conversion' | 'error_rate' | 'api_latency' | 'revenue';

/**
 * How a scenario changes the events of `eventType` whose dimensions match its root cause:
 * - `drop`: each is dropped with `probability`;
 * - `scaleMeasure`: its measure `measure` is multiplied by `factor`;
 * - `multiplyEvents`: the slice's rate is multiplied by `factor`: each matching event brings
 *   `factor` − 1 more on average (the integer part, plus one more with the fractional part as
 *   probability), drawn anew inside the slice so they spread over its leaves as real traffic
 *   would.
 */
export type ScenarioEffect =
  | { kind: 'drop'; eventType: SimEventType; probability: number }
  | { kind: 'scaleMeasure'; eventType: SimEventType; measure: string; factor: number }
  | { kind: 'multiplyEvents'; eventType: SimEventType; factor: number };

export interface Scenario {
  name: string;
  /** One sentence, e.g. "Purchases drop 60% for region=eu-west". */
  description: string;
  metricKey: ScenarioMetricKey;
  /** Dimension values that identify the affected slice (all must match). */
  rootCause: Readonly<Record<string, string>>;
  effect: ScenarioEffect;
}

/** One scheduled incident: a scenario active over event time [startsAt, endsAt). */
export interface Injection {
  scenario: string;
  metricKey: ScenarioMetricKey;
  description: string;
  rootCause: Record<string, string>;
  startsAt: number;
  endsAt: number;
}

/** The registry of scenarios, keyed by name. */
export const SCENARIOS = {
  purchase_drop_eu_west: {
    name: 'purchase_drop_eu_west',
    description: 'Purchases drop 60% for region=eu-west',
    metricKey: 'purchases',
    rootCause: { region: 'eu-west' },
    effect: { kind: 'drop', eventType: 'purchase', probability: 0.6 },
  },
  latency_search_android: {
    name: 'latency_search_android',
    description: 'API latency triples for feature=search on device=android',
    metricKey: 'api_latency',
    rootCause: { feature: 'search', device: 'android' },
    effect: { kind: 'scaleMeasure', eventType: 'api_request', measure: 'latency_ms', factor: 3 },
  },
  error_burst_app_version: {
    name: 'error_burst_app_version',
    description: 'Errors rise eightfold for app_version=5.3.0',
    metricKey: 'error_rate',
    rootCause: { app_version: '5.3.0' },
    effect: { kind: 'multiplyEvents', eventType: 'error', factor: 8 },
  },
  revenue_drop_ios: {
    name: 'revenue_drop_ios',
    description: 'Revenue per purchase falls 60% for device=ios',
    metricKey: 'revenue',
    rootCause: { device: 'ios' },
    effect: { kind: 'scaleMeasure', eventType: 'purchase', measure: 'revenue', factor: 0.4 },
  },
} as const satisfies Record<string, Scenario>;

export type ScenarioName = keyof typeof SCENARIOS;

/** Names of all registered scenarios. */
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];

/** The scenario called `name`; throws an Error listing the valid names when there is none. */
export function getScenario(name: string): Scenario {
  if (!Object.hasOwn(SCENARIOS, name)) {
    throw new Error(`Unknown scenario "${name}"; valid scenarios: ${SCENARIO_NAMES.join(', ')}`);
  }
  return SCENARIOS[name as ScenarioName];
}

export interface ScheduleOptions {
  /** Start of the simulated run (epoch ms). */
  startMs: number;
  /** Quiet time before the first incident. */
  firstAfterMs: number;
  /** Length of each incident. */
  durationMs: number;
  /** Quiet time between the end of one incident and the start of the next. */
  gapMs: number;
  /** Scenario names, injected in this order and then again from the first. */
  scenarios: readonly string[];
  /** End of the run: no incident starts at or after it, and the last one is cut off at it. */
  untilMs: number;
}

/**
 * Plans incidents over [startMs, untilMs): the first at startMs + firstAfterMs lasting
 * durationMs, then gapMs of quiet, then the next scenario in rotation, and so on.
 * Throws an Error listing the valid names if any scenario is unknown.
 */
export function schedule(options: ScheduleOptions): Injection[] {
  const { startMs, firstAfterMs, durationMs, gapMs, scenarios, untilMs } = options;
  const resolved = scenarios.map(getScenario);
  for (const [key, value] of Object.entries({
    startMs,
    firstAfterMs,
    durationMs,
    gapMs,
    untilMs,
  })) {
    if (!Number.isFinite(value)) throw new RangeError(`schedule: ${key} must be finite`);
  }
  if (durationMs <= 0) throw new RangeError('schedule: durationMs must be > 0');
  if (firstAfterMs < 0 || gapMs < 0) {
    throw new RangeError('schedule: firstAfterMs and gapMs must be >= 0');
  }

  const injections: Injection[] = [];
  if (resolved.length === 0) return injections;
  for (let at = startMs + firstAfterMs, i = 0; at < untilMs; at += durationMs + gapMs, i++) {
    const scenario = resolved[i % resolved.length] as Scenario;
    injections.push({
      scenario: scenario.name,
      metricKey: scenario.metricKey,
      description: scenario.description,
      rootCause: { ...scenario.rootCause },
      startsAt: at,
      endsAt: Math.min(at + durationMs, untilMs),
    });
  }
  return injections;
}
