/**
 * Alert lifecycle with hysteresis, pure: per metric, what one scored window does to its
 * incident. One anomaly per incident, not one per window:
 * - an anomalous window is flagged, but an anomaly opens only after `consecutiveWindows`
 *   anomalous windows in a row, or at once on a critical window, and then covers all of them
 *   (from the first of the run): a single warn-level window is what noise in a short baseline
 *   produces several times a day, a single critical one is not;
 * - while open, anomalous windows extend it (peak z, last window, severity) and reset its count
 *   of normal windows; a normal window only counts (normalWindows + 1);
 * - it resolves itself after `resolveAfter` normal windows in a row. A dip under the threshold
 *   for fewer windows than that does not end it, so it cannot open a second anomaly.
 * - the drift test (./drift.ts) adds two things: its alarm makes a window anomalous at warn and
 *   opens an anomaly at once (its sum already is evidence from several windows), the anomaly
 *   starting at the window where the sum left 0; and while an anomaly is open, a window that is
 *   normal by the threshold but that the verdict says is still building on the anomaly's side
 *   extends it (the drift goes on) instead of counting toward resolving it. The engine says so
 *   only of anomalies the drift test opened.
 * The detector keeps the state in PostgreSQL (the open anomaly with its normal_windows, and the
 * pending run as the trailing flagged points without an anomaly); see {@link pendingRun}. The
 * drift sums are replayed from the stored points (./drift.ts `driftBefore`).
 */
import type { AlertRule, Severity, WindowPoint } from '@/lib/types';

export type Side = 'up' | 'down';

/** One scored window as the lifecycle sees it: anomalous (a severity) or normal (null). */
export interface WindowVerdict {
  windowStart: number;
  severity: Severity | null;
  z: number;
  /** The drift test's verdict on the window (./drift.ts), when the engine ran it. */
  drift?: DriftVerdict;
}

/** What the drift test says of one window, as the lifecycle uses it. */
export interface DriftVerdict {
  /**
   * Set when the test fired on this window (the window then carries severity warn at least):
   * the window where its sum left 0, where the anomaly it opens starts.
   */
  alarmSince: number | null;
  /** Sides whose drift sum is above 0 after this window: the drift is still building there. */
  building: readonly Side[];
}

/** Anomalous windows in a row that have not opened an anomaly (yet). */
export interface Run {
  firstWindow: number;
  lastWindow: number;
  /** Anomalous windows in the run so far. */
  count: number;
  /** The window with the largest |z| on the run's side (the earliest on ties). */
  peakWindow: number;
  peakZ: number;
  /** critical when any window of the run is. */
  severity: Severity;
  /**
   * The side of the run's windows: a window on the other side starts a new run (a warn up and
   * then a drop are two different things, and the drop must not open as an anomaly 'up').
   */
  direction: Side;
}

/** The metric's open anomaly, as far as the lifecycle is concerned. */
export interface OpenIncident {
  firstWindow: number;
  lastWindow: number;
  peakWindow: number;
  peakZ: number;
  severity: Severity;
  direction: Side;
  /** Normal windows in a row since its last anomalous one. */
  normalWindows: number;
}

/** Per metric: at most one open anomaly, and a pending run only while none is open. */
export interface IncidentState {
  open: OpenIncident | null;
  run: Run | null;
}

export const NO_INCIDENT: IncidentState = { open: null, run: null };

export type IncidentStep =
  /** A normal window with nothing open; a pending run, if any, ends without an anomaly. */
  | { kind: 'none'; dropped: Run | null }
  /** Warn, fewer than consecutiveWindows in a row and none critical: flag the window, open nothing. */
  | { kind: 'pending'; run: Run }
  /** The run reached consecutiveWindows, or this window is critical: open an anomaly over all its windows. */
  | { kind: 'open'; anomaly: OpenIncident; run: Run }
  /** Anomalous while open: last window, severity and (when `peak`) the peak move. */
  | { kind: 'extend'; anomaly: OpenIncident; peak: boolean }
  /** Normal while open, fewer than resolveAfter in a row: count it, keep it open. */
  | { kind: 'count_normal'; anomaly: OpenIncident }
  /** The resolveAfter-th normal window in a row: resolve it (lastWindow stays its last anomalous window). */
  | { kind: 'resolve'; anomaly: OpenIncident };

export type HysteresisRule = Pick<AlertRule, 'consecutiveWindows' | 'resolveAfter'>;

function sideOf(z: number): Side {
  return z < 0 ? 'down' : 'up';
}

function maxSeverity(a: Severity, b: Severity): Severity {
  return a === 'critical' || b === 'critical' ? 'critical' : 'warn';
}

/** True when `z` becomes the new peak of something on side `direction` peaking at `peakZ`. */
function isNewPeak(z: number, direction: Side, peakZ: number): boolean {
  return sideOf(z) === direction && Math.abs(z) > Math.abs(peakZ);
}

function startRun(v: WindowVerdict & { severity: Severity }): Run {
  return {
    firstWindow: v.windowStart,
    lastWindow: v.windowStart,
    count: 1,
    peakWindow: v.windowStart,
    peakZ: v.z,
    severity: v.severity,
    direction: sideOf(v.z),
  };
}

/** `run` grown by `v`, or a new run from `v` when it is on the other side. */
function growRun(run: Run, v: WindowVerdict & { severity: Severity }): Run {
  if (sideOf(v.z) !== run.direction) return startRun(v);
  const peak = isNewPeak(v.z, run.direction, run.peakZ);
  return {
    ...run,
    lastWindow: v.windowStart,
    count: run.count + 1,
    severity: maxSeverity(run.severity, v.severity),
    ...(peak ? { peakWindow: v.windowStart, peakZ: v.z } : {}),
  };
}

/**
 * What `verdict` (the next window, in time order) does to the metric's incident state under
 * `rule`, and the state after it. Pure and total: every state and verdict has one answer.
 */
export function stepIncident(
  state: IncidentState,
  verdict: WindowVerdict,
  rule: HysteresisRule,
): { step: IncidentStep; state: IncidentState } {
  const { open, run } = state;
  const needed = Math.max(1, rule.consecutiveWindows);
  const resolveAfter = Math.max(1, rule.resolveAfter);

  if (open) {
    if (!verdict.severity && verdict.drift?.building.includes(open.direction)) {
      // Normal by the threshold, but the drift on the anomaly's side goes on: keep it open.
      const anomaly: OpenIncident = { ...open, lastWindow: verdict.windowStart, normalWindows: 0 };
      return {
        step: { kind: 'extend', anomaly, peak: false },
        state: { open: anomaly, run: null },
      };
    }
    if (verdict.severity) {
      const peak = isNewPeak(verdict.z, open.direction, open.peakZ);
      const anomaly: OpenIncident = {
        ...open,
        lastWindow: verdict.windowStart,
        severity: maxSeverity(open.severity, verdict.severity),
        normalWindows: 0,
        ...(peak ? { peakWindow: verdict.windowStart, peakZ: verdict.z } : {}),
      };
      return { step: { kind: 'extend', anomaly, peak }, state: { open: anomaly, run: null } };
    }
    const anomaly: OpenIncident = { ...open, normalWindows: open.normalWindows + 1 };
    if (anomaly.normalWindows >= resolveAfter) {
      return { step: { kind: 'resolve', anomaly }, state: NO_INCIDENT };
    }
    return { step: { kind: 'count_normal', anomaly }, state: { open: anomaly, run: null } };
  }

  if (!verdict.severity) return { step: { kind: 'none', dropped: run }, state: NO_INCIDENT };

  const anomalous = { ...verdict, severity: verdict.severity };
  const grown = run ? growRun(run, anomalous) : startRun(anomalous);
  const since = verdict.drift?.alarmSince ?? null;
  if (grown.count < needed && anomalous.severity !== 'critical' && since === null) {
    return { step: { kind: 'pending', run: grown }, state: { open: null, run: grown } };
  }
  // A drift alarm opens at once, covering the windows its evidence came from.
  const next =
    since === null ? grown : { ...grown, firstWindow: Math.min(grown.firstWindow, since) };
  const anomaly: OpenIncident = {
    firstWindow: next.firstWindow,
    lastWindow: next.lastWindow,
    peakWindow: next.peakWindow,
    peakZ: next.peakZ,
    severity: next.severity,
    direction: next.direction,
    normalWindows: 0,
  };
  return { step: { kind: 'open', anomaly, run: next }, state: { open: anomaly, run: null } };
}

/** An anomaly as a sequence of windows would have had it. */
export interface ReplayedAnomaly extends OpenIncident {
  /** False when it was still open after the last window. */
  resolved: boolean;
  /** The window whose verdict resolved it, or null while open. */
  resolvedAt: number | null;
}

/**
 * Runs {@link stepIncident} over windows in time order from `initial`: each window's step and
 * every anomaly opened on the way (the last one possibly still open).
 */
export function replayIncidents(
  verdicts: readonly WindowVerdict[],
  rule: HysteresisRule,
  initial: IncidentState = NO_INCIDENT,
): { steps: IncidentStep[]; anomalies: ReplayedAnomaly[]; state: IncidentState } {
  let state = initial;
  const steps: IncidentStep[] = [];
  const anomalies: ReplayedAnomaly[] = [];
  let current: number | null = null;
  for (const verdict of verdicts) {
    const result = stepIncident(state, verdict, rule);
    state = result.state;
    const { step } = result;
    steps.push(step);
    if (step.kind === 'open') {
      current = anomalies.push({ ...step.anomaly, resolved: false, resolvedAt: null }) - 1;
    } else if (step.kind === 'extend' || step.kind === 'count_normal' || step.kind === 'resolve') {
      if (current !== null) {
        const resolved = step.kind === 'resolve';
        anomalies[current] = {
          ...step.anomaly,
          resolved,
          resolvedAt: resolved ? verdict.windowStart : null,
        };
        if (resolved) current = null;
      }
    }
  }
  return { steps, anomalies, state };
}

/** A stored point as {@link pendingRun} reads it. */
export type StoredPoint = Pick<WindowPoint, 'windowStart' | 'z' | 'status' | 'anomalyId'>;

/**
 * The pending run just before `windowStart`, rebuilt from stored points: the flagged (warn or
 * critical) points without an anomaly that end at the previous window, contiguous windows only.
 * Null when the previous window is not such a point. Pass the metric's last
 * consecutiveWindows − 1 points (more are harmless).
 */
export function pendingRun(
  points: readonly StoredPoint[],
  windowStart: number,
  windowMs: number,
): Run | null {
  const byWindow = new Map(points.map((p) => [p.windowStart, p]));
  const members: (WindowVerdict & { severity: Severity })[] = [];
  for (let w = windowStart - windowMs; ; w -= windowMs) {
    const p = byWindow.get(w);
    if (!p || p.anomalyId !== null || p.z === null) break;
    if (p.status !== 'warn' && p.status !== 'critical') break;
    members.push({ windowStart: w, severity: p.status, z: p.z });
  }
  members.reverse();
  const [first, ...rest] = members;
  if (!first) return null;
  return rest.reduce(growRun, startRun(first));
}
