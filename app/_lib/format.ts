/** Display helpers shared by the board, the drill-down and the thresholds page. Pure. */
import type { PointStatus, Severity } from '@/lib/types';

/**
 * Text from outside (event data, names people typed) for an attribute, a chart label or a
 * sentence: its bidi overrides, isolates and control characters replaced by a visible
 * `⟨U+202E⟩` (lib/text/output.ts). In markup, render `<EventText>`
 * (app/_components/event-text.tsx), which also isolates it.
 */
export { revealControls } from '@/lib/text/output';

export const STATUS_LABEL: Record<PointStatus, string> = {
  ok: 'OK',
  warn: 'Warning',
  critical: 'Critical',
  learning: 'Learning',
  low_volume: 'Low volume',
};

export const SEVERITY_LABEL: Record<Severity, string> = { warn: 'Warning', critical: 'Critical' };

/** Chart colours: mid-tones that read on both the light and the dark theme. */
export const CHART = {
  value: '#4f8cff',
  expected: '#8b95a7',
  band: '#4f8cff',
  warn: '#e5a00d',
  critical: '#ef4444',
  grid: 'rgba(139, 149, 167, 0.18)',
  muted: '#8b95a7',
} as const;

export function formatZ(z: number | null | undefined): string {
  if (z === null || z === undefined || !Number.isFinite(z)) return '—';
  const sign = z > 0 ? '+' : z < 0 ? '−' : '';
  return `${sign}${Math.abs(z).toFixed(Math.abs(z) >= 100 ? 0 : 1)}`;
}

export function formatShare(share: number): string {
  if (!Number.isFinite(share)) return '—';
  const pct = share * 100;
  return `${Math.abs(pct) >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/** A plain number with sensible precision, for values without a metric at hand. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago" (or "in …" for the future). */
export function formatRelative(ms: number, now: number): string {
  const diff = now - ms;
  const abs = Math.abs(diff);
  if (abs < 5_000) return 'just now';
  let text: string;
  if (abs < 60_000) text = `${Math.round(abs / 1000)} s`;
  else if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`;
  else if (abs < 86_400_000) text = `${Math.round(abs / 3_600_000)} h`;
  else text = `${Math.round(abs / 86_400_000)} d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** Local date and time, for tooltips: "Mar 3, 14:05:00". Client side only (time zone). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** Local clock time; seconds only when windows are shorter than a minute. */
export function formatClock(ms: number, withSeconds = false): string {
  return new Date(ms).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    ...(withSeconds ? { second: '2-digit' } : {}),
  });
}

/** Deterministic UTC clock for server rendering (before the browser's time zone is known). */
export function formatUtcClock(ms: number, withSeconds = false): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(11, withSeconds ? 19 : 16)} UTC`;
}

export function formatWindowRange(start: number, end: number, windowMs: number): string {
  const seconds = windowMs < 60_000;
  return `${formatClock(start, seconds)} – ${formatClock(end, seconds)}`;
}

/** Shares beyond this are "more than the whole change" (lib/rca/words.ts WHOLE: below it, noise). */
const WHOLE_SHARE = 1.05;

/**
 * Why a share of the change is odd, in words, or null when it is not: above the whole (others
 * moved the other way, by the excess: "more than the whole drop: the other values moved the
 * other way by 9% of it") or below zero (this one moved the other way). `others` names the rest
 * ("the other region values", "the other slices").
 */
export function shareNote(share: number, change: 'drop' | 'rise', others: string): string | null {
  if (!Number.isFinite(share)) return null;
  if (share > WHOLE_SHARE) {
    return `more than the whole ${change}: ${others} moved the other way by ${formatShare(share - 1)} of it`;
  }
  if (share < 0) return `moved the other way: it ${change === 'drop' ? 'rose' : 'fell'}`;
  return null;
}

/**
 * A root-cause candidate's score (lib/rca Candidate.score: how much of the unusual pattern the
 * slice explains on its own, 0–1) in words: strong from 0.7, partial from 0.3, weak below.
 */
export function scoreWords(score: number): string {
  if (!Number.isFinite(score)) return '—';
  const level = score >= 0.7 ? 'strong' : score >= 0.3 ? 'partial' : 'weak';
  return `${level} (${score.toFixed(2)})`;
}

/** A slice's change against its expected value: "▼ 58%", "▲ 12%", "new", "0%". */
export function formatSliceChange(actual: number, expected: number): string {
  if (!Number.isFinite(actual) || !Number.isFinite(expected)) return '—';
  if (expected === 0) return actual === 0 ? '0%' : 'new';
  const change = actual / expected - 1;
  if (Math.abs(change) < 0.0005) return '0%';
  return `${change > 0 ? '▲' : '▼'} ${formatShare(Math.abs(change))}`;
}

/** A difference of two shares in percentage points: "+70 pts", "−5.0 pts", "0 pts". */
export function formatPoints(difference: number | null | undefined): string {
  if (difference === null || difference === undefined || !Number.isFinite(difference)) return '—';
  const points = difference * 100;
  const abs = Math.abs(points);
  const text = abs >= 10 ? abs.toFixed(0) : abs.toFixed(1);
  if (Number(text) === 0) return '0 pts';
  return `${points > 0 ? '+' : '−'}${text} pts`;
}
