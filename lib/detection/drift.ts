/**
 * The drift test, pure: a two-sided CUSUM over the robust z of each scored window, which
 * accumulates evidence that a single window's threshold (warn |z| ≥ 3, two windows in a row)
 * misses: a drift whose windows hover at 2–3σ, or cross warn only one window at a time, adds
 * up. It does not find drifts much sooner than the threshold at the quiet-traffic false-alert
 * rate it was tuned for (see DRIFT_K).
 *
 * Per side, with reference value k and decision threshold h (z in σ of the window's own
 * baseline):
 *   S⁺ ← max(0, S⁺ + z − k)   S⁻ ← max(0, S⁻ − z − k)
 * and an alarm on the side whose sum reaches h. Each sum is clamped at 0 (a window closer to
 * the baseline than k takes evidence away, never below nothing). Both sums reset to 0:
 * - when the test fires (the alarm opens or extends an anomaly; the next alarm needs fresh
 *   evidence);
 * - when the window is anomalous by the existing test (warn or critical): the lifecycle already
 *   acts on that window, and its z is not a small excess;
 * - when the window is not scored (learning, low volume, no value), and at a gap in the stored
 *   windows: there is no z to add.
 * `windows` counts the windows since the side's sum last left 0: "drifting up for 9 windows".
 * A one-sided rule keeps only its side's sum; k and h scale with the rule's warn threshold
 * ({@link driftParams}).
 *
 * Where the state lives: nowhere new. It is a function of the metric's stored points (their z
 * and status): {@link driftBefore} replays the last {@link DRIFT_MEMORY} of them from 0, so the
 * detector rebuilds it after a restart exactly as it had it, the way the pending run of the
 * hysteresis is rebuilt (lib/detection/hysteresis `pendingRun`). The replay is the definition:
 * evidence older than DRIFT_MEMORY windows is forgotten even if the sum never returned to 0.
 */
import type { Side } from './hysteresis';
import type { AlertRule, PointStatus } from '@/lib/types';

/**
 * Reference value k, in σ: the per-window excess over the baseline the test ignores. k = 1 with
 * h = 5.5 is the most sensitive pair `npm run eval` measured that adds no false alert in quiet
 * traffic (0.5 and 4 found every 4σ drift but raised 20 a metric a day; docs/detection-quality.md,
 * "The drift test", has the trade-off).
 */
export const DRIFT_K = 1;
/** Decision threshold h, in σ: the summed excess that raises the alarm. */
export const DRIFT_H = 5.5;
/** Stored windows replayed to rebuild the sums (and the longest run a drift reports). */
export const DRIFT_MEMORY = 60;

export interface DriftParams {
  k: number;
  h: number;
}

export const DRIFT_PARAMS: DriftParams = { k: DRIFT_K, h: DRIFT_H };

/** The warn threshold DRIFT_K and DRIFT_H were chosen with (the default rule's). */
const CHOSEN_AT_WARN_Z = 3;

/**
 * k and h for a rule: DRIFT_K and DRIFT_H scaled by its warn threshold over the default's, so a
 * stricter rule (warn at 4σ) asks as much more of a drift as of a single window, and a rule that
 * never warns never hears of drifts either.
 */
export function driftParams(rule: Pick<AlertRule, 'warnZ'>): DriftParams {
  const scale = Math.max(0, rule.warnZ) / CHOSEN_AT_WARN_Z;
  return { k: DRIFT_K * scale, h: DRIFT_H * scale };
}

/** One side's cumulative sum. */
export interface DriftSum {
  /** Never negative. */
  sum: number;
  /** Windows since the sum last left 0 (0 while it is 0). */
  windows: number;
}

export interface DriftState {
  up: DriftSum;
  down: DriftSum;
}

const ZERO: DriftSum = { sum: 0, windows: 0 };
export const NO_DRIFT: DriftState = { up: ZERO, down: ZERO };

/** The test fired on this window: the side, and how long its sum had been building. */
export interface DriftAlarm {
  direction: Side;
  /** Windows since the sum last left 0, this one included. */
  windows: number;
  sum: number;
}

/** One window as the drift test sees it. */
export interface DriftInput {
  /** The robust z of the window; ignored unless `status` is 'ok'. */
  z: number | null;
  /** The window's status: 'ok' adds z; warn or critical, or anything unscored, resets. */
  status: PointStatus;
}

function add(side: DriftSum, excess: number): DriftSum {
  const sum = Math.max(0, side.sum + excess);
  if (sum === 0) return ZERO;
  return { sum, windows: side.windows + 1 };
}

/**
 * The sums after one window, and the alarm if one side reached h. Pure and total; the sums
 * stay ≥ 0 and finite.
 */
export function stepDrift(
  state: DriftState,
  input: DriftInput,
  direction: AlertRule['direction'],
  params: DriftParams = DRIFT_PARAMS,
): { state: DriftState; alarm: DriftAlarm | null } {
  const { z, status } = input;
  if (status !== 'ok' || z === null || !Number.isFinite(z)) {
    return { state: NO_DRIFT, alarm: null };
  }
  const k = Math.max(0, params.k);
  const up = direction === 'down' ? ZERO : add(state.up, z - k);
  const down = direction === 'up' ? ZERO : add(state.down, -z - k);
  const upFires = up.sum >= params.h;
  const downFires = down.sum >= params.h;
  if (!upFires && !downFires) return { state: { up, down }, alarm: null };
  // Both at once is only possible for h ≤ 0; the larger sum names the side.
  const side: Side = upFires && (!downFires || up.sum >= down.sum) ? 'up' : 'down';
  const fired = side === 'up' ? up : down;
  return {
    state: NO_DRIFT,
    alarm: { direction: side, windows: fired.windows, sum: fired.sum },
  };
}

/** A stored point as {@link driftBefore} reads it. */
export interface DriftPoint {
  windowStart: number;
  z: number | null;
  status: PointStatus;
}

/**
 * The sums just before `windowStart`, replayed from 0 over the stored points of the
 * {@link DRIFT_MEMORY} windows before it (fewer are fine; more are ignored). A window without a
 * point resets the sums, as an unscored one does.
 */
export function driftBefore(
  points: readonly DriftPoint[],
  windowStart: number,
  windowMs: number,
  direction: AlertRule['direction'],
  params: DriftParams = DRIFT_PARAMS,
): DriftState {
  const from = windowStart - DRIFT_MEMORY * windowMs;
  const byWindow = new Map<number, DriftPoint>();
  for (const p of points) {
    if (p.windowStart >= from && p.windowStart < windowStart) byWindow.set(p.windowStart, p);
  }
  let state = NO_DRIFT;
  for (let w = from; w < windowStart; w += windowMs) {
    const p = byWindow.get(w);
    state = p ? stepDrift(state, p, direction, params).state : NO_DRIFT;
  }
  return state;
}
