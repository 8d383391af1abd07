/**
 * Revisions, pure: what an anomaly becomes when late data re-scores one of its windows, and
 * whether a re-score changed a window at all. The detector applies these decisions; keeping
 * them here lets the rules be tested without a database.
 */
import type { Severity } from '@/lib/types';

/** One scored window that belongs (after the revision) to an anomaly. */
export interface MemberWindow {
  windowStart: number;
  z: number;
  severity: Severity;
}

/** An anomaly's extent and peak as its member windows give them. */
export interface AnomalyExtent {
  firstWindow: number;
  lastWindow: number;
  /** The member window with the largest |z| (the earliest on ties). */
  peakWindow: number;
  /** critical when any member window is critical. */
  severity: Severity;
}

/**
 * The extent an anomaly should have given its member windows; null when none is left (the
 * revision withdrew it: with the late data, none of its windows is anomalous any more).
 */
export function anomalyExtent(members: readonly MemberWindow[]): AnomalyExtent | null {
  if (members.length === 0) return null;
  let first = Infinity;
  let last = -Infinity;
  let peak = members[0]!;
  let critical = false;
  for (const m of members) {
    first = Math.min(first, m.windowStart);
    last = Math.max(last, m.windowStart);
    const stronger = Math.abs(m.z) > Math.abs(peak.z);
    const tieEarlier = Math.abs(m.z) === Math.abs(peak.z) && m.windowStart < peak.windowStart;
    if (stronger || tieEarlier) peak = m;
    if (m.severity === 'critical') critical = true;
  }
  return {
    firstWindow: first,
    lastWindow: last,
    peakWindow: peak.windowStart,
    severity: critical ? 'critical' : 'warn',
  };
}

/** The parts of a scored point that a revision can change. */
export interface PointState {
  value: number | null;
  z: number | null;
  status: string;
}

/**
 * True when a re-score changed what a window says: its status, or its value or z beyond
 * floating-point noise. An unchanged window leaves its anomaly alone (not "revised").
 */
export function pointChanged(before: PointState, after: PointState): boolean {
  if (before.status !== after.status) return true;
  return differs(before.value, after.value) || differs(before.z, after.z);
}

function differs(a: number | null, b: number | null): boolean {
  const fa = a !== null && Number.isFinite(a);
  const fb = b !== null && Number.isFinite(b);
  if (!fa || !fb) return fa !== fb;
  return Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Which existing anomaly a window that became anomalous in a revision joins: one of the same
 * metric and direction that it touches (its own windows, or the ones just before and after),
 * not withdrawn. When two touch it, the earlier. null: it opens a new one.
 */
export function anomalyToJoin<
  A extends { id: number; firstWindow: number; lastWindow: number; direction: 'up' | 'down' },
>(
  candidates: readonly A[],
  windowStart: number,
  windowMs: number,
  direction: 'up' | 'down',
): A | null {
  const touching = candidates
    .filter(
      (a) =>
        a.direction === direction &&
        a.firstWindow - windowMs <= windowStart &&
        windowStart <= a.lastWindow + windowMs,
    )
    .sort((a, b) => a.firstWindow - b.firstWindow);
  return touching[0] ?? null;
}
