/**
 * The figures `npm run bench:board` reports (pure): which times of one scored window belong
 * together — its NOTIFY, the socket.io message in the browser, the board's DOM update — and the
 * percentiles over the windows. workers/bench/board-latency.ts collects the times.
 */

/** A time (epoch ms) something about window `windowStart` was seen. */
export interface WindowStamp {
  windowStart: number;
  at: number;
}

/**
 * One DOM update of the board that advanced its newest window (the header's
 * `data-window-start`) to `windowStart`: when the mutations were observed, the next animation
 * frame after them (null if none ran yet), and how many metric cards changed in the same update.
 */
export interface BoardUpdate {
  windowStart: number;
  dom: number;
  frame: number | null;
  cards: number;
}

/** The times of one window, from its scoring to the board showing it. */
export interface WindowTimes {
  windowStart: number;
  /** Its first NOTIFY, as a listener received it: at the detector's commit. */
  notified: number;
  /** Its first socket.io `points` message in the browser; null when none was seen. */
  received: number | null;
  /** The board's DOM update that first showed it (or a later window). */
  shown: number;
  frame: number | null;
  cards: number;
  /** Shown by an update that advanced the board past it to a later window at once. */
  coalesced: boolean;
}

function firstAt(stamps: readonly WindowStamp[]): Map<number, number> {
  const first = new Map<number, number>();
  for (const s of stamps) {
    const seen = first.get(s.windowStart);
    if (seen === undefined || s.at < seen) first.set(s.windowStart, s.at);
  }
  return first;
}

/**
 * Joins what was seen of each window starting at or after `from`: its first NOTIFY (a revision
 * by late data notifies again, later), its first socket.io message, and the first board update
 * whose newest window is it or a later one (two windows that reach the browser before React
 * renders show in one update). Windows notified but not shown yet are left out. Oldest first.
 */
export function joinWindows(input: {
  notices: readonly WindowStamp[];
  messages: readonly WindowStamp[];
  updates: readonly BoardUpdate[];
  from: number;
}): WindowTimes[] {
  const notified = firstAt(input.notices);
  const received = firstAt(input.messages);
  const updates = [...input.updates].sort((a, b) => a.dom - b.dom);
  const windows: WindowTimes[] = [];
  for (const [windowStart, at] of [...notified].sort(([a], [b]) => a - b)) {
    if (windowStart < input.from) continue;
    const update = updates.find((u) => u.windowStart >= windowStart);
    if (!update) continue;
    windows.push({
      windowStart,
      notified: at,
      received: received.get(windowStart) ?? null,
      shown: update.dom,
      frame: update.frame,
      cards: update.cards,
      coalesced: update.windowStart > windowStart,
    });
  }
  return windows;
}

/** Nearest-rank percentile `p` (0–100) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface LatencySummary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** n, p50, p99 and max of `xs` (NaN figures when empty). */
export function summarize(xs: readonly number[]): LatencySummary {
  return {
    n: xs.length,
    p50: percentile(xs, 50),
    p99: percentile(xs, 99),
    max: xs.length === 0 ? NaN : Math.max(...xs),
  };
}

/**
 * `doc` with the section that starts at `heading` (a `## ` line) replaced by `section`, up to
 * the next `## ` heading; appended at the end when the document has no such section.
 */
export function withSection(doc: string, heading: string, section: string): string {
  const start = doc.search(new RegExp(`^${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  if (start < 0) return `${doc.trimEnd()}\n\n${section.trimEnd()}\n`;
  const next = doc.slice(start + heading.length).search(/^## /m);
  const end = next < 0 ? doc.length : start + heading.length + next;
  const rest = doc.slice(end);
  return `${doc.slice(0, start)}${section.trimEnd()}\n${rest ? `\n${rest}` : ''}`;
}
