/**
 * The words every channel shares: the kind's verb, the severity's label, a metric's change,
 * the cause sentence; and cutting text to a channel's limit without splitting a character or
 * an escape. Returns raw text (event data as it is); each channel escapes for its own format.
 */
import { formatValue } from '@/lib/metrics/units';
import { codePointLabel } from '@/lib/text/input';
import { revealControls } from '@/lib/text/output';
import type { PayloadKind } from './webhook';
import type { AnomalySnapshot, CausePair, IncidentSnapshot, Severity } from './types';

export const KIND_LABEL: Record<PayloadKind, string> = {
  open: 'Opened',
  escalate: 'Escalated to critical',
  remind: 'Still open',
  acknowledge: 'Acknowledged',
  resolve: 'Resolved',
  test: 'Test notification',
};

export const SEVERITY_LABEL: Record<Severity, string> = { warn: 'WARN', critical: 'CRITICAL' };

const MINUS = '\u2212';
const signed = (n: number, digits = 0) => {
  const text = Math.abs(n).toFixed(digits);
  if (Number(text) === 0) return `${text}`;
  return n < 0 ? `${MINUS}${text}` : `+${text}`;
};

/**
 * A metric's move: "−58%" from the relative change; for a '%' metric (a rate) the difference in
 * points, "−8 pts", as people read rates; "" when not known.
 */
export function formatChange(a: Pick<AnomalySnapshot, 'metric' | 'value' | 'expected' | 'change'>) {
  if (a.metric.unit === '%' && a.value !== null && a.expected !== null) {
    const pts = (a.value - a.expected) * 100;
    if (Number.isFinite(pts)) return `${signed(pts, Math.abs(pts) < 1 ? 1 : 0)} pts`;
  }
  if (a.change === null || !Number.isFinite(a.change)) return '';
  return `${signed(a.change * 100)}%`;
}

/** "1,250 (expected 2,980, −58%)". */
export function formatReading(a: AnomalySnapshot): string {
  const change = formatChange(a);
  const expected = `expected ${formatValue(a.expected, a.metric.unit)}`;
  return `${formatValue(a.value, a.metric.unit)} (${expected}${change ? `, ${change}` : ''})`;
}

/** "region=eu-west, device=ios", or "" when there is no shared cause. */
export function formatCause(cause: readonly CausePair[]): string {
  return cause.map((p) => `${p.dimension}=${p.value}`).join(', ');
}

/** "Purchases, Revenue and Conversion dropped, concentrated in region=eu-west." */
export function causeSentence(incident: Pick<IncidentSnapshot, 'cause' | 'anomalies'>): string {
  const names = incident.anomalies.map((a) => a.metric.name);
  const list =
    names.length <= 1
      ? (names[0] ?? 'No metric')
      : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const moved = incident.anomalies.every((a) => (a.change ?? 0) < 0)
    ? 'dropped'
    : incident.anomalies.every((a) => (a.change ?? 0) > 0)
      ? 'rose'
      : 'moved';
  if (incident.cause.length === 0) return `${list} ${moved}; no shared cause was found.`;
  return `${list} ${moved}, concentrated in ${formatCause(incident.cause)}.`;
}

/** ISO 8601 in UTC, to the second: "2026-01-15T12:00:00Z". */
export const isoTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** "12:00–12:01 UTC, 15 Jan 2026" for a window. */
export function formatWindow(start: number, end: number): string {
  const hm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const day = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    timeZone: 'UTC',
  }).format(start);
  return `${hm(start)}–${hm(end)} UTC, ${day}`;
}

/**
 * `text` escaped by `escape` (one character at a time) and cut to at most `max` UTF-16 units,
 * ellipsis included: never splits a surrogate pair or an escape sequence.
 */
export function fit(text: string, max: number, escape: (c: string) => string = (c) => c): string {
  let out = '';
  const ellipsis = '…';
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const piece = escape(chars[i] as string);
    const last = i === chars.length - 1;
    if (out.length + piece.length + (last ? 0 : ellipsis.length) > max) {
      // Would the rest fit without an ellipsis? Only if this is the last piece, checked above.
      return out + ellipsis;
    }
    out += piece;
  }
  return out;
}

/** Whether a link may be put in a message: an absolute http(s) URL. */
export function isHttpUrl(link: string): boolean {
  if (!/^https?:\/\//i.test(link)) return false;
  try {
    return ['http:', 'https:'].includes(new URL(link).protocol);
  } catch {
    return false;
  }
}

/** Every control character, line breaks and tabs included, and the line/paragraph separators. */
// eslint-disable-next-line no-control-regex
const LINE_CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * Event data for one line of a message: what `revealControls` (lib/text/output.ts) reveals,
 * and line breaks and tabs too, as `⟨U+000A⟩`: a value cannot start a line (or a header).
 */
export function revealLine(text: string): string {
  return revealControls(text).replace(LINE_CONTROLS, (c) => `⟨${codePointLabel(c.charCodeAt(0))}⟩`);
}
