/**
 * Incidents for the quality evaluation (`npm run eval`): the same telemetry model as the live
 * simulator (lib/simulator/model.ts: event mix, dimension weights, purchase propensities,
 * lognormal measures, the daily curve), with what the evaluation needs and the live scenarios
 * (lib/simulator/scenarios.ts, left as they are) do not have:
 * - causes in one, two and three dimensions, chosen per incident from {@link EVAL_CAUSES};
 * - an effect strength set per incident (the evaluation sizes it in units of the detector's σ),
 *   and a ramp profile for slow drifts (the strength grows window by window);
 * - a rate-noise level (the per-minute multiplicative noise of the overall rate: 3% live);
 * - only the event types some metric reads are emitted (page views, add-to-cart and checkout
 *   events are drawn but dropped: no default metric reads them, so they cannot change a result,
 *   and leaving them out halves the work).
 * Events come in time order (no out-of-order delivery: the evaluation measures detection, the
 * pipeline's watermarks are tested elsewhere). Pure and seeded like the live generator.
 * Also: the model's expected slice shares and measure means, to size an effect.
 */
import type { PulseEvent } from '@/lib/types';
import {
  dailyShape,
  DIMENSIONS,
  dimensionIndex,
  EVENT_TYPES,
  eventTypeIndex,
  MEASURES,
  NOISE_BUCKET_MS,
  PURCHASE_PROPENSITY,
  TelemetrySampler,
  valueIndex,
  type DimensionName,
  type SimEventType,
} from './model';
import { mixSeed, Random } from './random';

/** How an incident changes the events of `eventType` in its cause slice, at full strength. */
export type EvalEffect =
  | { kind: 'drop'; eventType: SimEventType; probability: number }
  | { kind: 'multiplyEvents'; eventType: SimEventType; factor: number }
  | { kind: 'scaleMeasure'; eventType: SimEventType; measure: string; factor: number };

/** One incident as the generator applies it. */
export interface EvalInjection {
  /** Dimension values every affected event has (a conjunction). */
  cause: Readonly<Record<string, string>>;
  startsAt: number;
  endsAt: number;
  effect: EvalEffect;
  /**
   * step: full strength over [startsAt, endsAt). ramp: the strength grows in steps of
   * `stepMs`, (i + 1)/n of full in the i-th of n steps, full in the last one.
   */
  profile: 'step' | 'ramp';
  stepMs: number;
}

export interface EvalSimulatorOptions {
  seed: number;
  /** Mean events per second at a daily shape of 1, all types (before unread ones are dropped). */
  ratePerSec: number;
  /** σ (log scale) of the per-minute multiplicative rate noise; the live simulator's is 0.03. */
  rateNoiseSigma: number;
  /** Event types to emit (default: those a default metric reads). */
  eventTypes?: readonly SimEventType[];
}

/** Event types the default metrics read. */
export const METRIC_EVENT_TYPES: readonly SimEventType[] = [
  'session_start',
  'purchase',
  'api_request',
  'error',
];

const NOISE_SALT = 0x65766e73;

interface Compiled {
  injection: EvalInjection;
  type: number;
  match: Int16Array;
}

/** The strength (0..1] of an injection at `ts` (inside its interval). */
export function strengthAt(injection: EvalInjection, ts: number): number {
  if (injection.profile === 'step') return 1;
  const steps = Math.max(1, Math.ceil((injection.endsAt - injection.startsAt) / injection.stepMs));
  const step = Math.floor((ts - injection.startsAt) / injection.stepMs);
  return Math.min(1, (step + 1) / steps);
}

/** Generates evaluation traffic; incidents are passed per call (they are sized as it runs). */
export class EvalSimulator {
  private readonly sampler = new TelemetrySampler();
  private readonly emitted: Uint8Array;
  private readonly dims = new Uint8Array(DIMENSIONS.length);
  private readonly extraDims = new Uint8Array(DIMENSIONS.length);

  constructor(private readonly options: EvalSimulatorOptions) {
    const { ratePerSec, rateNoiseSigma } = options;
    if (!(ratePerSec >= 0) || !Number.isFinite(ratePerSec)) {
      throw new RangeError(`ratePerSec must be finite and >= 0, got ${ratePerSec}`);
    }
    if (!(rateNoiseSigma >= 0) || !Number.isFinite(rateNoiseSigma)) {
      throw new RangeError(`rateNoiseSigma must be finite and >= 0, got ${rateNoiseSigma}`);
    }
    this.emitted = new Uint8Array(EVENT_TYPES.length);
    for (const type of options.eventTypes ?? METRIC_EVENT_TYPES) {
      this.emitted[eventTypeIndex(type)] = 1;
    }
  }

  /** The rate multiplier's noise in the UTC minute of `ts`: lognormal with mean 1. */
  rateNoise(ts: number): number {
    const bucket = Math.floor(ts / NOISE_BUCKET_MS);
    const z = new Random(mixSeed(this.options.seed, bucket, NOISE_SALT)).normal();
    const s = this.options.rateNoiseSigma;
    return Math.exp(s * z - (s * s) / 2);
  }

  /**
   * The events with event time in [fromMs, toMs), in time order, with `injections` applied.
   * A function of the seed, the interval and the injections.
   */
  generate(fromMs: number, toMs: number, injections: readonly EvalInjection[] = []): PulseEvent[] {
    if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || toMs < fromMs) {
      throw new RangeError(`generate: need integer fromMs <= toMs, got [${fromMs}, ${toMs})`);
    }
    const rng = new Random(mixSeed(this.options.seed, fromMs, toMs));
    const active = injections
      .filter((i) => i.startsAt < toMs && i.endsAt > fromMs)
      .map((i) => this.compile(i));
    const events: PulseEvent[] = [];
    for (let start = fromMs; start < toMs;) {
      const end = Math.min(toMs, (Math.floor(start / NOISE_BUCKET_MS) + 1) * NOISE_BUCKET_MS);
      const span = end - start;
      const mean =
        ((this.options.ratePerSec * span) / 1000) *
        dailyShape(start + span / 2) *
        this.rateNoise(start);
      const offsets = new Float64Array(rng.poisson(mean));
      for (let i = 0; i < offsets.length; i++) offsets[i] = Math.floor(rng.next() * span);
      offsets.sort();
      for (const offset of offsets) this.emit(start + offset, rng, active, events);
      start = end;
    }
    return events;
  }

  private compile(injection: EvalInjection): Compiled {
    const type = eventTypeIndex(injection.effect.eventType);
    const { effect } = injection;
    if (effect.kind === 'scaleMeasure' && this.sampler.measureName(type) !== effect.measure) {
      throw new RangeError(`${effect.eventType} events carry no measure ${effect.measure}`);
    }
    const match = new Int16Array(DIMENSIONS.length).fill(-1);
    for (const [name, value] of Object.entries(injection.cause)) {
      const dim = dimensionIndex(name);
      match[dim] = valueIndex(dim, value);
    }
    return { injection, type, match };
  }

  private emit(ts: number, rng: Random, active: readonly Compiled[], out: PulseEvent[]): void {
    const { sampler, dims } = this;
    const type = sampler.sampleType(rng);
    if (this.emitted[type] !== 1) return;
    sampler.sampleDims(rng, type, dims);
    let measure = sampler.sampleMeasure(rng, type, dims);
    let copies = 1;
    let slice: Int16Array | null = null;
    for (const { injection, type: wanted, match } of active) {
      if (wanted !== type || ts < injection.startsAt || ts >= injection.endsAt) continue;
      if (!matches(match, dims)) continue;
      const strength = strengthAt(injection, ts);
      const { effect } = injection;
      switch (effect.kind) {
        case 'drop':
          if (rng.next() < effect.probability * strength) return;
          break;
        case 'scaleMeasure':
          measure *= 1 + (effect.factor - 1) * strength;
          break;
        case 'multiplyEvents': {
          const factor = Math.max(0, 1 + (effect.factor - 1) * strength);
          const whole = Math.floor(factor);
          copies *= whole + (rng.next() < factor - whole ? 1 : 0);
          slice = match;
          break;
        }
      }
    }
    if (copies === 0) return;
    out.push(sampler.buildEvent(ts, type, dims, measure));
    // Extra events are new, independent events of the slice (a higher rate there), not copies
    // of this one: copies would pile up in one leaf and look like a far narrower cause.
    const extra = this.extraDims;
    for (let c = 1; c < copies; c++) {
      sampler.sampleDimsWithin(rng, type, slice as Int16Array, extra);
      out.push(sampler.buildEvent(ts, type, extra, sampler.sampleMeasure(rng, type, extra)));
    }
  }
}

function matches(match: Int16Array, dims: Uint8Array): boolean {
  for (let d = 0; d < match.length; d++) {
    const wanted = match[d] as number;
    if (wanted >= 0 && wanted !== dims[d]) return false;
  }
  return true;
}

// ── the model's expectations, to size an effect ────────────────────────────────────────────

/** Weight of each value of `dim` among events of `type` (propensities applied), summing to 1. */
function valueShares(type: SimEventType, dim: DimensionName): Map<string, number> {
  const spec = DIMENSIONS.find((d) => d.name === dim);
  if (!spec) throw new RangeError(`Unknown dimension "${dim}"`);
  const propensity = type === 'purchase' ? PURCHASE_PROPENSITY[dim] : undefined;
  const weighted = spec.values.map(([v, w]) => [v, w * (propensity?.[v] ?? 1)] as const);
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  return new Map(weighted.map(([v, w]) => [v, w / total]));
}

/** Expected share of events of `type` that fall in the slice `cause` (dimensions independent). */
export function sliceShare(type: SimEventType, cause: Readonly<Record<string, string>>): number {
  let share = 1;
  for (const [dim, value] of Object.entries(cause)) {
    const v = valueShares(type, dim as DimensionName).get(value);
    if (v === undefined) throw new RangeError(`Unknown value "${value}" for dimension ${dim}`);
    share *= v;
  }
  return share;
}

/** Expected mean of the measure of events of `type` in the slice `cause` (all events: {}). */
export function measureMean(type: SimEventType, cause: Readonly<Record<string, string>>): number {
  const spec = MEASURES.find((m) => m.eventType === type);
  if (!spec) throw new RangeError(`${type} events carry no measure`);
  const lognormalMean = (median: number) => median * Math.exp((spec.sigma * spec.sigma) / 2);
  const fixed = cause[spec.byDimension];
  if (fixed !== undefined) {
    const median = spec.medians[fixed];
    if (median === undefined) throw new RangeError(`No ${spec.measure} median for ${fixed}`);
    return lognormalMean(median);
  }
  let mean = 0;
  for (const [value, share] of valueShares(type, spec.byDimension)) {
    mean += share * lognormalMean(spec.medians[value] ?? 0);
  }
  return mean;
}

// ── scenario families ──────────────────────────────────────────────────────────────────────

export type EvalFamily = 'drop' | 'spike' | 'ratio' | 'drift';
export const EVAL_FAMILIES: readonly EvalFamily[] = ['drop', 'spike', 'ratio', 'drift'];

/** Metric keys the evaluation targets (default metrics). */
export type EvalMetricKey = 'purchases' | 'conversion' | 'error_rate' | 'api_latency';

/**
 * What an incident of a family does to which metric. `sized` gives the full-strength effect
 * that moves the metric's expected value by `delta` > 0 (in the metric's unit, in the direction
 * the target moves it: down for drops and conversion, up otherwise) given its expected value
 * `expected` and the cause slice, or null when the slice is too small for that change (a drop
 * cannot remove more than every event of the slice).
 */
export interface EvalTarget {
  family: EvalFamily;
  metric: EvalMetricKey;
  /** One line for the report, e.g. "purchase events dropped in the slice". */
  description: string;
  profile: 'step' | 'ramp';
  /** Metrics the effect moves besides `metric` (their anomalies are not false alerts). */
  alsoMoves: string[];
  sized(
    delta: number,
    expected: number,
    cause: Readonly<Record<string, string>>,
  ): EvalEffect | null;
}

/** The targets of each family; incidents rotate through them. */
export const EVAL_TARGETS: Record<EvalFamily, readonly EvalTarget[]> = {
  drop: [
    {
      family: 'drop',
      metric: 'purchases',
      description: 'purchase events dropped in the slice (purchases count)',
      profile: 'step',
      alsoMoves: ['conversion', 'revenue'],
      sized(delta, expected, cause) {
        const probability = delta / (sliceShare('purchase', cause) * expected);
        return probability > 0 && probability <= 1
          ? { kind: 'drop', eventType: 'purchase', probability }
          : null;
      },
    },
  ],
  spike: [
    {
      family: 'spike',
      metric: 'api_latency',
      description: 'API latency multiplied in the slice (average latency)',
      profile: 'step',
      alsoMoves: [],
      sized(delta, _expected, cause) {
        const slice = sliceShare('api_request', cause) * measureMean('api_request', cause);
        return {
          kind: 'scaleMeasure',
          eventType: 'api_request',
          measure: 'latency_ms',
          factor: 1 + delta / slice,
        };
      },
    },
    {
      family: 'spike',
      metric: 'purchases',
      description: 'purchase events multiplied in the slice (purchases count)',
      profile: 'step',
      alsoMoves: ['conversion', 'revenue'],
      sized(delta, expected, cause) {
        const factor = 1 + delta / (sliceShare('purchase', cause) * expected);
        return { kind: 'multiplyEvents', eventType: 'purchase', factor };
      },
    },
  ],
  ratio: [
    {
      family: 'ratio',
      metric: 'conversion',
      description:
        'extra session starts without purchases in the slice (conversion falls, purchases do not)',
      profile: 'step',
      alsoMoves: [],
      sized(delta, expected, cause) {
        // conversion' = P / (S + (f − 1)·s·S) = expected − delta.
        if (!(expected - delta > 0)) return null;
        const factor = 1 + delta / (expected - delta) / sliceShare('session_start', cause);
        return { kind: 'multiplyEvents', eventType: 'session_start', factor };
      },
    },
    {
      family: 'ratio',
      metric: 'error_rate',
      description: 'errors multiplied in the slice (error rate rises, requests do not)',
      profile: 'step',
      alsoMoves: [],
      sized(delta, expected, cause) {
        const factor = 1 + delta / (sliceShare('error', cause) * expected);
        return { kind: 'multiplyEvents', eventType: 'error', factor };
      },
    },
  ],
  drift: [
    {
      family: 'drift',
      metric: 'api_latency',
      description: 'API latency in the slice grows window by window (average latency)',
      profile: 'ramp',
      alsoMoves: [],
      sized(delta, _expected, cause) {
        const slice = sliceShare('api_request', cause) * measureMean('api_request', cause);
        return {
          kind: 'scaleMeasure',
          eventType: 'api_request',
          measure: 'latency_ms',
          factor: 1 + delta / slice,
        };
      },
    },
    {
      family: 'drift',
      metric: 'error_rate',
      description: 'errors in the slice grow window by window (error rate)',
      profile: 'ramp',
      alsoMoves: [],
      sized(delta, expected, cause) {
        const factor = 1 + delta / (sliceShare('error', cause) * expected);
        return { kind: 'multiplyEvents', eventType: 'error', factor };
      },
    },
  ],
};

/**
 * Candidate causes by number of dimensions; each incident draws one (among those its size
 * allows). Slices of very different sizes: from plan=free (two thirds of events) to
 * eu-central AND android AND checkout (under 1%).
 */
export const EVAL_CAUSES: Record<1 | 2 | 3, readonly Readonly<Record<string, string>>[]> = {
  1: [
    { region: 'eu-west' },
    { region: 'us-east' },
    { region: 'us-west' },
    { device: 'web' },
    { device: 'ios' },
    { device: 'android' },
    { feature: 'search' },
    { feature: 'checkout' },
    { plan: 'free' },
    { plan: 'pro' },
    { app_version: '5.2.0' },
    { app_version: '5.3.0' },
  ],
  2: [
    { region: 'eu-west', device: 'android' },
    { region: 'us-east', device: 'web' },
    { region: 'us-east', plan: 'free' },
    { device: 'web', plan: 'free' },
    { device: 'ios', app_version: '5.3.0' },
    { region: 'eu-west', feature: 'checkout' },
    { feature: 'search', device: 'android' },
    { region: 'us-west', app_version: '5.2.0' },
  ],
  3: [
    { region: 'eu-west', device: 'android', app_version: '5.3.0' },
    { region: 'us-east', device: 'web', plan: 'free' },
    { region: 'eu-west', device: 'web', plan: 'free' },
    { device: 'ios', feature: 'search', plan: 'free' },
    { region: 'us-east', device: 'web', app_version: '5.2.0' },
    { region: 'eu-central', device: 'android', feature: 'checkout' },
  ],
};
