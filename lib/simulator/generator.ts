/**
 * The event generator: Poisson traffic shaped by the daily curve, drawn from the telemetry
 * model, with scheduled incidents applied by event time and a little out-of-order delivery.
 * Pure: time is always passed in, and the output is a function of the seed and the call.
 */
import type { PulseEvent } from '@/lib/types';
import {
  dailyShape,
  DIMENSIONS,
  dimensionIndex,
  eventTypeIndex,
  NOISE_BUCKET_MS,
  rateNoise,
  TelemetrySampler,
  valueIndex,
} from './model';
import { mixSeed, Random } from './random';
import { getScenario, type Injection, type ScenarioEffect } from './scenarios';

/** An event is never emitted after another event this much (ms) newer or more. */
export const MAX_DISORDER_MS = 500;
/** Share of events delivered late: each is delayed by a uniform 0..MAX_DISORDER_MS. */
export const DISORDER_FRACTION = 0.1;

export interface SimulatorOptions {
  /** Seed of every random draw; equal seeds and equal calls give equal events. */
  seed: number;
  /** Mean events per second at a daily shape of 1 (the range is 0.6× to 1.4× this). */
  ratePerSec: number;
  /** Incidents to apply, usually from `schedule`. */
  injections: readonly Injection[];
}

/** An injection resolved for the hot path: event type and matched values as indices. */
interface CompiledInjection {
  startsAt: number;
  endsAt: number;
  type: number;
  /** Value index that each dimension must have, or -1 when the dimension is not constrained. */
  match: Int16Array;
  effect: ScenarioEffect;
}

/**
 * Collects events in delivery order: most are delivered at their event time, a few late. The
 * on-time list is already sorted (events are produced in time order), so only the late ones
 * need sorting before the two lists are merged.
 */
class Delivery {
  private readonly onTime: PulseEvent[] = [];
  private readonly late: { event: PulseEvent; arrival: number }[] = [];

  push(event: PulseEvent, rng: Random): void {
    if (rng.next() < DISORDER_FRACTION) {
      this.late.push({ event, arrival: event.ts + rng.next() * MAX_DISORDER_MS });
    } else {
      this.onTime.push(event);
    }
  }

  inOrder(): PulseEvent[] {
    const { onTime, late } = this;
    late.sort((a, b) => a.arrival - b.arrival);
    const result: PulseEvent[] = [];
    let i = 0;
    for (const { event, arrival } of late) {
      while (i < onTime.length && (onTime[i] as PulseEvent).ts <= arrival) {
        result.push(onTime[i++] as PulseEvent);
      }
      result.push(event);
    }
    while (i < onTime.length) result.push(onTime[i++] as PulseEvent);
    return result;
  }
}

/** Generates simulated product telemetry for any interval of event time. */
export class Simulator {
  private readonly seed: number;
  private readonly ratePerSec: number;
  private readonly sampler = new TelemetrySampler();
  private readonly injections: readonly CompiledInjection[];
  /** Scratch buffer for the value indices of the event being drawn. */
  private readonly dims = new Uint8Array(DIMENSIONS.length);
  private readonly extraDims = new Uint8Array(DIMENSIONS.length);

  /**
   * @throws RangeError on a negative or non-finite rate, an injection with an invalid interval,
   *   root cause or effect; Error on an unknown scenario name.
   */
  constructor({ seed, ratePerSec, injections }: SimulatorOptions) {
    if (!(ratePerSec >= 0) || !Number.isFinite(ratePerSec)) {
      throw new RangeError(`ratePerSec must be finite and >= 0, got ${ratePerSec}`);
    }
    this.seed = seed;
    this.ratePerSec = ratePerSec;
    this.injections = injections.map((injection) => this.compile(injection));
  }

  private compile(injection: Injection): CompiledInjection {
    const { startsAt, endsAt, rootCause } = injection;
    if (!Number.isFinite(startsAt) || !Number.isFinite(endsAt) || endsAt < startsAt) {
      throw new RangeError(`Injection ${injection.scenario}: invalid interval`);
    }
    const { effect } = getScenario(injection.scenario);
    const type = eventTypeIndex(effect.eventType);
    if (effect.kind === 'scaleMeasure' && this.sampler.measureName(type) !== effect.measure) {
      throw new RangeError(`${effect.eventType} events carry no measure ${effect.measure}`);
    }
    const match = new Int16Array(DIMENSIONS.length).fill(-1);
    for (const [name, value] of Object.entries(rootCause)) {
      const dim = dimensionIndex(name);
      match[dim] = valueIndex(dim, value);
    }
    return { startsAt, endsAt, type, match, effect };
  }

  /**
   * The events with event time in [fromMs, toMs) (integer epoch ms), in delivery order: sorted
   * by time except that a few arrive up to {@link MAX_DISORDER_MS} late. The count is
   * Poisson(rate × daily shape × rate noise × duration); times are uniform within the interval.
   * The result depends only on the seed, the injections and (fromMs, toMs).
   */
  generate(fromMs: number, toMs: number): PulseEvent[] {
    if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || toMs < fromMs) {
      throw new RangeError(`generate: need integer fromMs <= toMs, got [${fromMs}, ${toMs})`);
    }
    const rng = new Random(mixSeed(this.seed, fromMs, toMs));
    const active = this.injections.filter((i) => i.startsAt < toMs && i.endsAt > fromMs);
    const delivery = new Delivery();
    // The rate noise is constant within a UTC minute, so draw each minute's part separately.
    for (let start = fromMs; start < toMs;) {
      const end = Math.min(toMs, (Math.floor(start / NOISE_BUCKET_MS) + 1) * NOISE_BUCKET_MS);
      const span = end - start;
      const mean =
        ((this.ratePerSec * span) / 1000) *
        dailyShape(start + span / 2) *
        rateNoise(this.seed, start);
      const offsets = new Float64Array(rng.poisson(mean));
      for (let i = 0; i < offsets.length; i++) offsets[i] = Math.floor(rng.next() * span);
      offsets.sort();
      for (const offset of offsets) this.emit(start + offset, rng, active, delivery);
      start = end;
    }
    return delivery.inOrder();
  }

  /** Draws one event at `ts`, applies the active injections and hands the result to delivery. */
  private emit(
    ts: number,
    rng: Random,
    active: readonly CompiledInjection[],
    delivery: Delivery,
  ): void {
    const { sampler, dims } = this;
    const type = sampler.sampleType(rng);
    sampler.sampleDims(rng, type, dims);
    let measure = sampler.sampleMeasure(rng, type, dims);
    let copies = 1;
    let slice: Int16Array | null = null;
    for (const injection of active) {
      if (
        injection.type !== type ||
        ts < injection.startsAt ||
        ts >= injection.endsAt ||
        !matches(injection.match, dims)
      ) {
        continue;
      }
      const { effect } = injection;
      switch (effect.kind) {
        case 'drop':
          if (rng.next() < effect.probability) return;
          break;
        case 'scaleMeasure':
          measure *= effect.factor;
          break;
        case 'multiplyEvents': {
          const whole = Math.floor(effect.factor);
          copies *= whole + (rng.next() < effect.factor - whole ? 1 : 0);
          slice = injection.match;
          break;
        }
      }
    }
    if (copies === 0) return;
    delivery.push(sampler.buildEvent(ts, type, dims, measure), rng);
    // The extra events are new, independent events of the slice (a higher rate there), not
    // copies of this one: copies would pile up in one leaf and look like a far narrower cause.
    const extra = this.extraDims;
    for (let c = 1; c < copies; c++) {
      sampler.sampleDimsWithin(rng, type, slice as Int16Array, extra);
      const extraMeasure = sampler.sampleMeasure(rng, type, extra);
      delivery.push(sampler.buildEvent(ts, type, extra, extraMeasure), rng);
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

/** Serialises events as NDJSON: one JSON object per line (`ts` as epoch ms), each ending in \n. */
export function toNdjson(events: readonly PulseEvent[]): string {
  let out = '';
  for (const event of events) out += `${JSON.stringify(event)}\n`;
  return out;
}
