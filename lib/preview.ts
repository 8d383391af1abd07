/**
 * Threshold preview, pure: what an alert rule would have done over a metric's stored history.
 * Each stored window in the range is re-scored in time order with the rule's baseline, score
 * and hysteresis, exactly as the detector would have scored it — including leaving the windows
 * that rule flags out of later baselines — so a candidate rule and the current one can be
 * compared on the same data before saving.
 */
import { poissonFloor, score, SEASON_MS, SEASONAL_PERIODS, type HistoryPoint } from './detect';
import { replayIncidents, type ReplayedAnomaly, type WindowVerdict } from './lifecycle';
import type { AlertRule, MetricKind, PointStatus } from './types';

/** Windows of history needed before a metric may alert; the detector's MIN_HISTORY. */
export const PREVIEW_MIN_HISTORY = 8;

/** A stored scored window: what the detector computed (value, volume) and said (status). */
export interface StoredWindow {
  windowStart: number;
  value: number | null;
  volume: number;
  status: PointStatus;
}

/** One window as the rule would have scored it. Shaped like a board point for the charts. */
export interface PreviewWindow {
  windowStart: number;
  value: number | null;
  expected: number | null;
  sigma: number | null;
  z: number | null;
  volume: number;
  status: PointStatus;
  /** Index into the outcome's anomalies of the anomaly the window belongs to. */
  anomalyId: number | null;
}

export interface PreviewCounts {
  /** Windows with a z (not learning, with a value). */
  scored: number;
  warn: number;
  critical: number;
  learning: number;
  /** Flagged windows that no anomaly covers (fewer than consecutiveWindows in a row). */
  unconfirmed: number;
  /** Anomalies that would have opened in the range. */
  anomalies: number;
}

export interface PreviewOutcome {
  counts: PreviewCounts;
  anomalies: ReplayedAnomaly[];
  /** The baseline the last window used, e.g. 'rolling (not enough seasonal history: 2 of 3 days)'. */
  baselineUsed: string | null;
}

export interface PreviewInput {
  kind: MetricKind;
  rule: AlertRule;
  /** Windows [from, to] (window starts) to re-score. */
  from: number;
  to: number;
  /**
   * Stored windows: those in the range, and before it what the baselines read (at least the
   * 2 × baselineWindows before `from`, and for a seasonal rule the same slots on earlier
   * days or weeks). Any order.
   */
  points: readonly StoredWindow[];
  minHistory?: number;
}

/**
 * The window's sampling noise as far as a stored point tells it: Poisson √μ for counts,
 * √(μ / denominator) for ratios. Sums and averages need the window's moments, which points do
 * not keep: no floor beyond the rule's own.
 */
export function pointNoiseFloor(kind: MetricKind, expected: number, volume: number): number {
  switch (kind) {
    case 'count':
      return poissonFloor(expected);
    case 'ratio':
      return volume > 0 ? Math.sqrt(Math.max(expected, 0) / volume) : 0;
    case 'sum':
    case 'avg':
      return 0;
  }
}

const inBaseline = (status: PointStatus) => status === 'ok' || status === 'learning';

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Re-scores the range with `rule`: per window the score, and the anomalies its hysteresis
 * would have opened (starting with none open at `from`).
 */
export function simulateRule(input: PreviewInput): {
  windows: PreviewWindow[];
  outcome: PreviewOutcome;
} {
  const { rule, from, to, kind } = input;
  const minHistory = input.minHistory ?? PREVIEW_MIN_HISTORY;
  const sorted = [...input.points].sort((a, b) => a.windowStart - b.windowStart);
  const byWindow = new Map(sorted.map((p) => [p.windowStart, p]));
  /** Status a later baseline sees: the simulated one in the range, the stored one before. */
  const status = new Map<number, PointStatus>(sorted.map((p) => [p.windowStart, p.status]));
  const seasonMs = SEASON_MS[rule.season];
  const periods = SEASONAL_PERIODS[rule.season];

  const history = (index: number): HistoryPoint[] => {
    // As baselineHistory: the 2N rows before, the non-anomalous ones with a value, the last N.
    const picked: HistoryPoint[] = [];
    for (let i = index - 1; i >= 0 && i >= index - 2 * rule.baselineWindows; i--) {
      const p = sorted[i]!;
      if (p.value !== null && inBaseline(status.get(p.windowStart) ?? p.status)) {
        picked.push({ windowStart: p.windowStart, value: p.value });
        if (picked.length === rule.baselineWindows) break;
      }
    }
    return picked.reverse();
  };

  const seasonal = (windowStart: number): HistoryPoint[] => {
    if (rule.baseline !== 'seasonal') return [];
    const picked: HistoryPoint[] = [];
    for (let k = periods; k >= 1; k--) {
      const p = byWindow.get(windowStart - k * seasonMs);
      if (p && p.value !== null && inBaseline(status.get(p.windowStart) ?? p.status)) {
        picked.push({ windowStart: p.windowStart, value: p.value });
      }
    }
    return picked;
  };

  const windows: PreviewWindow[] = [];
  const verdicts: WindowVerdict[] = [];
  let baselineUsed: string | null = null;
  sorted.forEach((p, index) => {
    if (p.windowStart < from || p.windowStart > to) return;
    const s = score(p.value, p.volume, history(index), seasonal(p.windowStart), rule, {
      minHistory,
      sigmaFloor: (expected) => pointNoiseFloor(kind, expected, p.volume),
    });
    status.set(p.windowStart, s.status);
    baselineUsed = s.baselineUsed;
    const learning = s.status === 'learning';
    const scored = !learning && Number.isFinite(s.value);
    windows.push({
      windowStart: p.windowStart,
      value: p.value,
      // While learning there is no expected value worth drawing.
      expected: learning ? null : finiteOrNull(s.expected),
      sigma: learning ? null : finiteOrNull(s.sigma),
      z: scored ? finiteOrNull(s.z) : null,
      volume: p.volume,
      status: s.status,
      anomalyId: null,
    });
    verdicts.push({ windowStart: p.windowStart, severity: s.severity, z: s.z });
  });

  const { anomalies } = replayIncidents(verdicts, rule);
  anomalies.forEach((a, id) => {
    for (const w of windows) {
      if (w.windowStart >= a.firstWindow && w.windowStart <= a.lastWindow) w.anomalyId = id;
    }
  });

  const counts: PreviewCounts = {
    scored: 0,
    warn: 0,
    critical: 0,
    learning: 0,
    unconfirmed: 0,
    anomalies: anomalies.length,
  };
  for (const w of windows) {
    if (w.status === 'learning') counts.learning++;
    if (w.z !== null) counts.scored++;
    if (w.status === 'warn' || w.status === 'critical') {
      counts[w.status]++;
      if (w.anomalyId === null) counts.unconfirmed++;
    }
  }
  return { windows, outcome: { counts, anomalies, baselineUsed } };
}

/** The rule route's answer to a save: the rule as stored, and a pending re-score request. */
export interface SavedRule {
  rule: AlertRule;
  /** Window from which stored history will be re-scored, or null when none is pending. */
  rescoreFrom: number | null;
}

/** The preview endpoint's answer: a candidate rule and the saved one over the same windows. */
export interface RulePreview {
  /** First and last window start of the range, and the metric's window length. */
  from: number;
  to: number;
  windowMs: number;
  /** The candidate rule's verdict per stored window of the range, oldest first. */
  windows: PreviewWindow[];
  candidate: PreviewOutcome;
  /** The saved rule over the same windows, re-scored the same way. */
  current: PreviewOutcome;
}
