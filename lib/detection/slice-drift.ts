/**
 * The slice drift test, pure: the drift test (./drift.ts) run on each dimension value of a
 * metric (region=us-east, device=ios, …) instead of on its total.
 *
 * Why: a drift confined to a slice moves the slice's own value by far more of its noise than it
 * moves the total by the total's. A slice holding a fraction f of the traffic has about √f of
 * the total's sampling noise in total units (its noise is part of the total's), so the same
 * change is 1/√f times as many σ there: ×2.2 for a fifth of the traffic. A CUSUM over the
 * slice's z therefore reaches its threshold windows sooner than one over the total's z, which
 * by its 6th window has seen a 12-window 4σ ramp move only about 2.9 noise σ in all
 * (docs/detection-quality.md, "The drift test").
 *
 * Per slice (every 1-dimension value with cells in the metric's windows) and per side, over the
 * last {@link SLICE_DRIFT_MEMORY} metric windows up to the one being scored:
 * - z: the slice's value against a robust baseline (median, MAD × 1.4826) of its
 *   {@link SLICE_DRIFT_BASELINE} windows before, σ floored by the slice's sampling noise
 *   (./score-window `noiseFloor`); capped at ±{@link SLICE_Z_CAP}, so that no single window,
 *   however odd a small slice is, makes a drift by itself (the threshold test sees spikes);
 * - the CUSUM of ./drift.ts on that z, S⁺ ← max(0, S⁺ + z − k), with k of the rule
 *   (`driftParams`) and a higher h ({@link SLICE_DRIFT_H}), raised again for the number of
 *   slices tested: h + ln(S)/(2k) holds the slices together to about one slice's false-alarm
 *   rate (a CUSUM's run length between false alarms grows about as e^{2kh}), so S slices do not
 *   fire S times as often;
 * - the alarm needs more than the sum: the slice's deviation must move the total by at least
 *   {@link SLICE_MIN_EFFECT} of the total's σ on the alarm's side (a small slice's own wandering
 *   moves the total by little, and a drift that does not move the metric is a split metric's
 *   business, not this metric's);
 * - both sums reset where the drift test's do: when the total's window was anomalous (the
 *   lifecycle acted on it), at an alarm, and on a window the slice has no value or too little
 *   history for.
 * The sums are replayed from the metric's cells on every window, like ./drift.ts replays the
 * stored points: nothing new is stored, and a restarted detector carries on with the same sums.
 * Only an alarm on the window being scored is reported (an earlier one already acted then).
 */
import { floorSigma, medianMad } from './zscore';
import { noiseFloor } from './score-window';
import { DRIFT_H, type DriftAlarm, type DriftParams } from './drift';
import type { Side } from './hysteresis';
import { metricValue, observeSlices } from '@/lib/metrics/observe';
import { TOTAL, type AlertRule, type MetricDefinition, type RollupDelta } from '@/lib/types';

/** Windows of a slice's own baseline (the robust baseline's default). */
export const SLICE_DRIFT_BASELINE = 30;
/** Windows replayed: the longest run a slice drift reports. */
export const SLICE_DRIFT_MEMORY = 12;
/** Metric windows the test reads before the one it scores. */
export const SLICE_DRIFT_WINDOWS = SLICE_DRIFT_BASELINE + SLICE_DRIFT_MEMORY - 1;
/** A slice's z counts at most this much toward its sum, either way. */
export const SLICE_Z_CAP = 4;
/** The least move of the total, in the total's σ, a slice's drift must make to alarm. */
export const SLICE_MIN_EFFECT = 1;
/** Fewer earlier values than this and a slice's window is not scored. */
const MIN_SLICE_HISTORY = 8;

/** One metric window's marginal cells (the metric's event types, merged over its window). */
export interface SliceDriftWindow {
  windowStart: number;
  cells: readonly RollupDelta[];
}

export interface SliceDriftAlarm extends DriftAlarm {
  dim: string;
  value: string;
  /** The slice's move on the alarm's window, in units of the total's σ (signed). */
  effect: number;
}

/**
 * h for one slice at the default rule, before the allowance for the number of slices: the
 * total's h (5.5) plus 2. With the total's h the slice test added 2 and 3 quiet false alerts a
 * day to the 10 and 2 an evaluation draw already had (normal and high noise); with 7.5 none, and
 * 4σ drifts were found as soon (docs/detection-quality.md, "The slice drift test").
 */
export const SLICE_DRIFT_H = 7.5;

/**
 * h for `slices` slices tested at once under the rule's drift parameters (see the module
 * comment): {@link SLICE_DRIFT_H}, scaled with the rule like the total's h, plus ln(S)/(2k).
 */
export function sliceThreshold(params: DriftParams, slices: number): number {
  const h = (params.h * SLICE_DRIFT_H) / DRIFT_H;
  if (params.k <= 0 || slices <= 1) return h;
  return h + Math.log(slices) / (2 * params.k);
}

/**
 * What the slice drift test computed for one metric definition's recent windows. Slices are
 * numbered (slots, shared by the windows), and each window keeps plain arrays indexed by slot,
 * which is what bounds its memory: 23 KiB per definition at 25 slices and 42 windows (measured;
 * docs/benchmarks.md).
 */
interface DefinitionMemo {
  slots: Map<string, number>;
  keys: string[];
  windows: Map<number, MemoWindow>;
}

interface MemoWindow {
  /** What the window's cells were when it was observed (see {@link printOf}). */
  print: string;
  /**
   * Per slot, two numbers: the slice's value (NaN: no value) and what one unit of it moves the
   * total by (NaN: the slice has no cells in the window). Slots past the end: no cells.
   */
  observed: Float64Array;
  /** Per slot, the slice's z and weighted deviation (NaN: not scored), and what they came from. */
  scores?: { basis: string; values: Float64Array };
}

/**
 * What the slice drift test computed for metrics' windows, kept across calls so that each window
 * scored observes only its own cells and computes only its own z: the other windows of the replay
 * are the same as one window before. Entries are per metric definition (metrics that differ only
 * in their rule share one) and checked against the windows' cells (a count and sum of them,
 * {@link printOf}), so an answer is the same with or without the memo, also when a late event
 * revised a window. Pure memory; one per detector process (or per evaluation store), bounded by
 * {@link SLICE_DRIFT_WINDOWS} + 1 windows per definition and `maxDefinitions` definitions, the
 * least recently used forgotten first (45 MiB at the default 2,000 and 25 slices each).
 */
export class SliceMemo {
  readonly #definitions = new Map<string, DefinitionMemo>();
  constructor(private readonly maxDefinitions = 2_000) {}

  /** The definition's memo; windows before `from` are forgotten. */
  definition(key: string, from: number): DefinitionMemo {
    let memo = this.#definitions.get(key);
    if (memo) {
      // Most recently used last: a definition no longer scored is the first forgotten.
      this.#definitions.delete(key);
    } else {
      memo = { slots: new Map(), keys: [], windows: new Map() };
      if (this.#definitions.size >= this.maxDefinitions) {
        const oldest = this.#definitions.keys().next().value;
        if (oldest !== undefined) this.#definitions.delete(oldest);
      }
    }
    this.#definitions.set(key, memo);
    for (const w of memo.windows.keys()) if (w < from) memo.windows.delete(w);
    return memo;
  }

  /** Definitions held. */
  get size(): number {
    return this.#definitions.size;
  }
}

/** A fingerprint of a window's cells: their number, and their counts and sums added up. */
function printOf(cells: readonly RollupDelta[]): string {
  let count = 0;
  let sum = 0;
  for (const c of cells) {
    count += c.count;
    sum += c.sum;
  }
  return `${cells.length}:${count}:${sum}`;
}

/** What a metric's slices depend on: the same key, the same slices from the same cells. */
function definitionKey(metric: MetricDefinition): string {
  const { kind, eventType, measure, denominatorEventType, extraEventTypes, windowMultiple } =
    metric;
  return JSON.stringify([
    kind,
    eventType,
    measure,
    denominatorEventType,
    extraEventTypes,
    windowMultiple,
  ]);
}

const keyOf = (dim: string, value: string) => `${dim}\u0000${value}`;

function sliceOf(key: string): { dim: string; value: string } {
  const at = key.indexOf('\u0000');
  return { dim: key.slice(0, at), value: key.slice(at + 1) };
}

function slotOf(memo: DefinitionMemo, key: string): number {
  let slot = memo.slots.get(key);
  if (slot === undefined) {
    slot = memo.keys.length;
    memo.slots.set(key, slot);
    memo.keys.push(key);
  }
  return slot;
}

function observeWindow(
  metric: MetricDefinition,
  cells: readonly RollupDelta[],
  memo: DefinitionMemo,
): Float64Array {
  const additive = metric.kind === 'count' || metric.kind === 'sum';
  const slices = observeSlices(metric, cells);
  const total = slices.find((s) => s.dim === TOTAL && s.value === TOTAL)?.obs;
  const found: [number, number | null, number][] = [];
  for (const { dim, value, obs } of slices) {
    if (dim === TOTAL) continue;
    found.push([
      slotOf(memo, keyOf(dim, value)),
      metricValue(metric, obs),
      // An average or a ratio moves by the slice's share of the denominator (num/den of the
      // total, with the slice's num replaced); a count or a sum adds up.
      additive ? 1 : total && total.den > 0 ? obs.den / total.den : 0,
    ]);
  }
  const observed = new Float64Array(2 * memo.keys.length).fill(Number.NaN);
  for (const [slot, value, weight] of found) {
    observed[2 * slot] = value ?? Number.NaN;
    observed[2 * slot + 1] = weight;
  }
  return observed;
}

/** The slice drift test's verdict on a window. */
export interface SliceDriftVerdict {
  /** The slice whose sum reached h on this window (the largest sum if several did). */
  alarm: SliceDriftAlarm | null;
  /**
   * Sides on which a slice is still drifting on this window: its sum above 0 and its move of
   * the total at least {@link SLICE_MIN_EFFECT} σ. An anomaly a drift test opened stays open
   * while its side is building (./hysteresis.ts), so a slice that goes on drifting after its
   * alarm does not resolve the anomaly and open another one.
   */
  building: Side[];
  /** On each building side, the slice with the largest sum: what the drift's words name. */
  buildingSlice: Partial<Record<Side, { dim: string; value: string }>>;
}

/**
 * The slice drift test's verdict on the last of `windows` (the metric's windows, oldest first, one per
 * metric window with no gaps: a missing window is one with no cells), or null.
 * - `anomalous`: window starts the total was warn or critical on (its sums reset there);
 * - `totalSigma`: the σ of the total's baseline on the scored window;
 * - `memo`: what earlier calls for the same metric computed ({@link SliceMemo}); the answer is
 *   the same without it.
 */
export function sliceDrift(
  metric: MetricDefinition,
  windows: readonly SliceDriftWindow[],
  anomalous: ReadonlySet<number>,
  totalSigma: number,
  direction: AlertRule['direction'],
  params: DriftParams,
  cache: SliceMemo = new SliceMemo(1),
): SliceDriftVerdict {
  const last = windows.length - 1;
  if (last < 0 || !(totalSigma > 0) || params.h <= 0) {
    return { alarm: null, building: [], buildingSlice: {} };
  }
  const additive = metric.kind === 'count' || metric.kind === 'sum';
  const memo = cache.definition(definitionKey(metric), windows[0]!.windowStart);
  const prints = windows.map((w) => printOf(w.cells));
  const observed = windows.map((w, i) => {
    const known = memo.windows.get(w.windowStart);
    if (known && known.print === prints[i]) return known;
    const fresh: MemoWindow = { print: prints[i]!, observed: observeWindow(metric, w.cells, memo) };
    memo.windows.set(w.windowStart, fresh);
    return fresh;
  });
  const has = (slot: number, j: number): boolean => {
    const o = observed[j]!.observed;
    return 2 * slot + 1 < o.length && !Number.isNaN(o[2 * slot + 1]!);
  };
  // A count or a sum with no cells in a window that has cells is 0 there; an average or a
  // ratio has no value. A window without any cells is a gap.
  const valueAt = (slot: number, j: number): number | null => {
    if (has(slot, j)) {
      const v = observed[j]!.observed[2 * slot]!;
      return Number.isNaN(v) ? null : v;
    }
    return additive && windows[j]!.cells.length > 0 ? 0 : null;
  };
  /** Slots with cells in any of the windows [from, to]. */
  const slotsIn = (from: number, to: number): number[] => {
    const slots: number[] = [];
    for (let slot = 0; slot < memo.keys.length; slot++) {
      for (let j = from; j <= to; j++) {
        if (has(slot, j)) {
          slots.push(slot);
          break;
        }
      }
    }
    return slots;
  };
  const first = Math.max(0, last - SLICE_DRIFT_MEMORY + 1);
  const scratch = new Float64Array(SLICE_DRIFT_BASELINE);
  // A window's scores depend on its own cells and its baseline's, nothing else: they are kept
  // with the window and reused while the prints of those windows are the same.
  const scoresAt = (i: number): Float64Array => {
    const from = Math.max(0, i - SLICE_DRIFT_BASELINE);
    const basis = prints.slice(from, i + 1).join('|');
    const entry = observed[i]!;
    if (entry.scores?.basis === basis) return entry.scores.values;
    const values = new Float64Array(2 * memo.keys.length).fill(Number.NaN);
    for (const slot of slotsIn(from, i)) {
      const v = valueAt(slot, i);
      if (v === null) continue;
      let n = 0;
      for (let j = from; j < i; j++) {
        const x = valueAt(slot, j);
        if (x !== null) scratch[n++] = x;
      }
      if (n < MIN_SLICE_HISTORY) continue;
      const base = medianMad(scratch.subarray(0, n));
      const sigma = floorSigma(
        base.sigma,
        base.mean,
        noiseFloor(metric, windows[i]!.cells, sliceOf(memo.keys[slot]!), base.mean),
      );
      const weight = has(slot, i) ? entry.observed[2 * slot + 1]! : additive ? 1 : 0;
      values[2 * slot] = Math.max(-SLICE_Z_CAP, Math.min(SLICE_Z_CAP, (v - base.mean) / sigma));
      values[2 * slot + 1] = (v - base.mean) * weight;
    }
    entry.scores = { basis, values };
    return values;
  };
  const replay: (Float64Array | null)[] = [];
  for (let i = first; i <= last; i++) {
    replay.push(anomalous.has(windows[i]!.windowStart) ? null : scoresAt(i));
  }
  const slots = slotsIn(0, last);
  const h = sliceThreshold(params, slots.length);
  const k = Math.max(0, params.k);
  let best: SliceDriftAlarm | null = null;
  const building = new Map<Side, { slot: number; sum: number }>();
  const builds = (side: Side, slot: number, sum: number) => {
    const known = building.get(side);
    if (!known || sum > known.sum) building.set(side, { slot, sum });
  };
  for (const slot of slots) {
    let up = { sum: 0, windows: 0 };
    let down = { sum: 0, windows: 0 };
    for (let r = 0; r < replay.length; r++) {
      const scores = replay[r];
      const z = scores && 2 * slot < scores.length ? scores[2 * slot]! : Number.NaN;
      if (!scores || Number.isNaN(z)) {
        up = { sum: 0, windows: 0 };
        down = { sum: 0, windows: 0 };
        continue;
      }
      const effect = scores[2 * slot + 1]! / totalSigma;
      const upSum = direction === 'down' ? 0 : Math.max(0, up.sum + z - k);
      const downSum = direction === 'up' ? 0 : Math.max(0, down.sum - z - k);
      up = upSum > 0 ? { sum: upSum, windows: up.windows + 1 } : { sum: 0, windows: 0 };
      down = downSum > 0 ? { sum: downSum, windows: down.windows + 1 } : { sum: 0, windows: 0 };
      const side: Side | null =
        up.sum >= h && effect >= SLICE_MIN_EFFECT
          ? 'up'
          : down.sum >= h && -effect >= SLICE_MIN_EFFECT
            ? 'down'
            : null;
      if (!side) {
        if (r === replay.length - 1) {
          if (up.sum > 0 && effect >= SLICE_MIN_EFFECT) builds('up', slot, up.sum);
          if (down.sum > 0 && -effect >= SLICE_MIN_EFFECT) builds('down', slot, down.sum);
        }
        continue;
      }
      const fired = side === 'up' ? up : down;
      if (r === replay.length - 1 && (!best || fired.sum > best.sum)) {
        const slice = sliceOf(memo.keys[slot]!);
        best = {
          direction: side,
          windows: fired.windows,
          sum: fired.sum,
          dim: slice.dim,
          value: slice.value,
          effect,
        };
      }
      up = { sum: 0, windows: 0 };
      down = { sum: 0, windows: 0 };
    }
  }
  const buildingSlice: SliceDriftVerdict['buildingSlice'] = {};
  for (const [side, { slot }] of building) buildingSlice[side] = sliceOf(memo.keys[slot]!);
  return { alarm: best, building: [...building.keys()], buildingSlice };
}
