/**
 * The telemetry model: which events a product emits, with which dimensions and measures, and
 * how the overall rate moves over the UTC day. Pure data plus a compiled sampler that draws
 * events as small integers (type index, dimension value indices) for the generator's hot path.
 */
import type { PulseEvent } from '@/lib/types';
import { mixSeed, Random, WeightedTable } from './random';

/** Event types the simulator emits. Metrics elsewhere refer to these names. */
export const EVENT_TYPES = [
  'session_start',
  'page_view',
  'add_to_cart',
  'checkout',
  'purchase',
  'api_request',
  'error',
] as const;
export type SimEventType = (typeof EVENT_TYPES)[number];

/**
 * Share of each event type among all events. Purchases are half of session starts (conversion
 * ≈ 50%) and errors 1% of API requests (error rate ≈ 1%); page views take the remainder.
 */
export const EVENT_MIX: Readonly<Record<SimEventType, number>> = {
  session_start: 0.08,
  page_view: 0.447,
  add_to_cart: 0.08,
  checkout: 0.05,
  purchase: 0.04,
  api_request: 0.3,
  error: 0.003,
};

/** A dimension and its values with their weights (shares of events). */
export interface DimensionSpec {
  name: string;
  values: readonly (readonly [value: string, weight: number])[];
}

/** Every simulated event carries all of these dimensions, in this order. */
export const DIMENSIONS = [
  {
    name: 'region',
    values: [
      ['us-east', 0.3],
      ['eu-west', 0.3],
      ['us-west', 0.15],
      ['eu-central', 0.15],
      ['ap-south', 0.1],
    ],
  },
  {
    name: 'device',
    values: [
      ['web', 0.45],
      ['ios', 0.3],
      ['android', 0.25],
    ],
  },
  {
    name: 'feature',
    values: [
      ['search', 0.2],
      ['feed', 0.2],
      ['cart', 0.2],
      ['checkout', 0.2],
      ['profile', 0.2],
    ],
  },
  {
    name: 'plan',
    values: [
      ['free', 0.7],
      ['pro', 0.25],
      ['enterprise', 0.05],
    ],
  },
  {
    name: 'app_version',
    values: [
      ['5.1.0', 0.2],
      ['5.2.0', 0.5],
      ['5.3.0', 0.3],
    ],
  },
] as const satisfies readonly DimensionSpec[];
export type DimensionName = (typeof DIMENSIONS)[number]['name'];

/** Dimension names in {@link DIMENSIONS} order. */
export const DIMENSION_NAMES: readonly DimensionName[] = DIMENSIONS.map((d) => d.name);

/**
 * Relative propensity to purchase by dimension value: purchases draw these dimensions with
 * weight × propensity, so conversion (purchase / session_start) differs a little, and stably,
 * between slices (e.g. ap-south ≈ 45%, us-east ≈ 52%). Values not listed have propensity 1.
 */
export const PURCHASE_PROPENSITY: Readonly<
  Partial<Record<DimensionName, Readonly<Record<string, number>>>>
> = {
  region: { 'us-east': 1.04, 'eu-west': 1.0, 'us-west': 1.02, 'eu-central': 0.97, 'ap-south': 0.9 },
  plan: { free: 0.95, pro: 1.1, enterprise: 1.3 },
};

/**
 * A measure carried by one event type: lognormal with a median that depends on one dimension.
 * Values are rounded to `decimals` places after any scenario multiplier is applied.
 */
export interface MeasureSpec {
  eventType: SimEventType;
  measure: string;
  byDimension: DimensionName;
  medians: Readonly<Record<string, number>>;
  sigma: number;
  decimals: number;
}

/** Measures: purchase revenue (dollars, mean ≈ 60) and API latency (ms, mean ≈ 120). */
export const MEASURES: readonly MeasureSpec[] = [
  {
    eventType: 'purchase',
    measure: 'revenue',
    byDimension: 'plan',
    medians: { free: 42, pro: 65, enterprise: 110 },
    sigma: 0.5,
    decimals: 2,
  },
  {
    eventType: 'api_request',
    measure: 'latency_ms',
    byDimension: 'feature',
    medians: { search: 145, feed: 105, cart: 95, checkout: 130, profile: 80 },
    sigma: 0.4,
    decimals: 1,
  },
];

const DAY_MS = 86_400_000;
/** The length of a noise bucket: the rate multiplier's noise changes once per UTC minute. */
export const NOISE_BUCKET_MS = 60_000;
/** Hour (UTC) at which the daily shape peaks. */
export const DAILY_PEAK_HOUR_UTC = 15;
/** Daily amplitude: the shape runs from 1 − amplitude to 1 + amplitude. */
export const DAILY_AMPLITUDE = 0.4;
/** Standard deviation (log scale) of the per-minute multiplicative rate noise. */
export const RATE_NOISE_SIGMA = 0.03;
/** Salt that keeps the noise stream apart from other streams drawn from the same seed. */
const NOISE_SALT = 0x6e6f6973;

/**
 * The smooth daily rate multiplier at `ts`: a sinusoid over the UTC day between 0.6 (at 03:00)
 * and 1.4 (at 15:00). Its slope is at most about 0.17% per minute.
 */
export function dailyShape(ts: number): number {
  const phase = (ts - DAILY_PEAK_HOUR_UTC * 3_600_000) / DAY_MS;
  return 1 + DAILY_AMPLITUDE * Math.cos(2 * Math.PI * phase);
}

/**
 * The multiplicative rate noise of the UTC minute that contains `ts`: lognormal with mean 1,
 * a pure function of (seed, minute) so that any slicing of time sees the same noise.
 */
export function rateNoise(seed: number, ts: number): number {
  const bucket = Math.floor(ts / NOISE_BUCKET_MS);
  const z = new Random(mixSeed(seed, bucket, NOISE_SALT)).normal();
  return Math.exp(RATE_NOISE_SIGMA * z - (RATE_NOISE_SIGMA * RATE_NOISE_SIGMA) / 2);
}

/** Index of an event type in {@link EVENT_TYPES}; throws on an unknown name. */
export function eventTypeIndex(type: string): number {
  const index = (EVENT_TYPES as readonly string[]).indexOf(type);
  if (index < 0) throw new RangeError(`Unknown event type "${type}"`);
  return index;
}

/** Index of a dimension in {@link DIMENSIONS}; throws on an unknown name. */
export function dimensionIndex(name: string): number {
  const index = (DIMENSION_NAMES as readonly string[]).indexOf(name);
  if (index < 0) throw new RangeError(`Unknown dimension "${name}"`);
  return index;
}

/** Index of a value within dimension `dim` (an index from {@link dimensionIndex}); throws if unknown. */
export function valueIndex(dim: number, value: string): number {
  const spec = DIMENSIONS[dim];
  const index = spec ? spec.values.findIndex(([v]) => v === value) : -1;
  if (!spec || index < 0) {
    throw new RangeError(`Unknown value "${value}" for dimension ${spec?.name ?? dim}`);
  }
  return index;
}

/** Per event type: how to draw its measure, with medians indexed by the value of `dim`. */
interface CompiledMeasure {
  name: string;
  dim: number;
  medians: Float64Array;
  sigma: number;
  scale: number;
}

/**
 * The model compiled for sampling: event types, dimension values and measures are drawn as
 * indices into constant arrays, so a draw allocates nothing until the event object is built.
 */
export class TelemetrySampler {
  private readonly types = new WeightedTable(EVENT_TYPES.map((t) => [t, EVENT_MIX[t]] as const));
  /** `[type][dim]`: the distribution of each dimension's value index for each event type. */
  private readonly dimTables: readonly (readonly WeightedTable<string>[])[];
  private readonly measures: readonly (CompiledMeasure | null)[];
  private readonly values: readonly (readonly string[])[];

  constructor() {
    this.values = DIMENSIONS.map((d) => d.values.map(([v]) => v));
    this.dimTables = EVENT_TYPES.map((type) =>
      DIMENSIONS.map((d) => {
        const propensity = type === 'purchase' ? PURCHASE_PROPENSITY[d.name] : undefined;
        return new WeightedTable(
          d.values.map(([v, w]) => [v, w * (propensity?.[v] ?? 1)] as const),
        );
      }),
    );
    this.measures = EVENT_TYPES.map((type) => {
      const spec = MEASURES.find((m) => m.eventType === type);
      if (!spec) return null;
      const dim = dimensionIndex(spec.byDimension);
      const medians = Float64Array.from(this.values[dim] ?? [], (v) => {
        const median = spec.medians[v];
        if (median === undefined) throw new RangeError(`No ${spec.measure} median for ${v}`);
        return median;
      });
      return { name: spec.measure, dim, medians, sigma: spec.sigma, scale: 10 ** spec.decimals };
    });
  }

  /** Draws an event type index. */
  sampleType(rng: Random): number {
    return this.types.sampleIndex(rng);
  }

  /** Draws the value index of every dimension of an event of type `type` into `out`. */
  sampleDims(rng: Random, type: number, out: Uint8Array): void {
    const tables = this.dimTables[type] ?? [];
    for (let d = 0; d < tables.length; d++) {
      out[d] = (tables[d] as WeightedTable<string>).sampleIndex(rng);
    }
  }

  /**
   * Draws the dimensions of an event of type `type` inside a slice: `match[d]` ≥ 0 fixes
   * dimension d to that value index, the others are drawn as usual. Dimensions are independent,
   * so this is exactly the distribution of the type's events conditioned on the slice.
   */
  sampleDimsWithin(rng: Random, type: number, match: Int16Array, out: Uint8Array): void {
    const tables = this.dimTables[type] ?? [];
    for (let d = 0; d < tables.length; d++) {
      const fixed = match[d] ?? -1;
      out[d] = fixed >= 0 ? fixed : (tables[d] as WeightedTable<string>).sampleIndex(rng);
    }
  }

  /** The measure name of events of type `type`, or null when they carry none. */
  measureName(type: number): string | null {
    return this.measures[type]?.name ?? null;
  }

  /** Draws the raw (unrounded) measure of an event; NaN when its type carries none. */
  sampleMeasure(rng: Random, type: number, dims: Uint8Array): number {
    const m = this.measures[type];
    if (!m) return Number.NaN;
    return rng.lognormal(m.medians[dims[m.dim] as number] as number, m.sigma);
  }

  /** Builds the event object; `measure` (ignored when NaN) is rounded to the measure's precision. */
  buildEvent(ts: number, type: number, dims: Uint8Array, measure: number): PulseEvent {
    const dimValues: Record<string, string> = {};
    for (let d = 0; d < this.values.length; d++) {
      dimValues[DIMENSION_NAMES[d] as string] = this.values[d]?.[dims[d] as number] as string;
    }
    const measures: Record<string, number> = {};
    const m = this.measures[type];
    if (m && !Number.isNaN(measure)) measures[m.name] = Math.round(measure * m.scale) / m.scale;
    return { ts, type: EVENT_TYPES[type] as string, dims: dimValues, measures };
  }
}
