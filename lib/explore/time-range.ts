/**
 * Time ranges of the explore page as Grafana writes them in the URL (`from=now-6h&to=now`,
 * `from=1764928800000&to=1764950400000`): the expressions, resolving them against `now`, the
 * presets, and the moves of the range picker and the keyboard (zoom out, shift). Pure: the
 * caller passes `now`.
 *
 * Relative ranges stay relative in the URL, so a shared or bookmarked "last 6 hours" link shows
 * the last 6 hours when opened, and the page auto-refreshes only a range that ends at now.
 */
import { parseRfc3339 } from '@/lib/ingest/contract';
import { formatInZone, zoneLabel, type TimeZoneMode } from './format';

export { axisFormatter, formatInZone, zoneLabel } from './format';
export type { FormatOptions, FormatStyle, TimeZoneMode } from './format';

/** A range as written in the URL: raw expressions. */
export interface RangeSpec {
  from: string;
  to: string;
}

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

const UNIT_MS = { s: SECOND_MS, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS, w: WEEK_MS } as const;
type Unit = keyof typeof UNIT_MS;
const UNIT_WORD: Record<Unit, string> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
};

export const DEFAULT_RANGE: RangeSpec = Object.freeze({ from: 'now-6h', to: 'now' });

/**
 * Longest range: the explore query reads one row per window per series, and 90 days of 1-minute
 * windows is already ~130,000 rows per series before downsampling.
 */
export const MAX_RANGE_MS = 90 * DAY_MS;
/** Shortest range: one window of the smallest length. */
export const MIN_RANGE_MS = MINUTE_MS;

/**
 * Furthest a relative expression may reach from now. Longer offsets are typos, and bounding them
 * keeps every result a time a Date can hold.
 */
const MAX_OFFSET_MS = 3650 * DAY_MS;

/** `now`, `now-6h`, `now+1d`, `now-1d/d`, `now/h`; a count with a leading zero is a typo. */
const RELATIVE = /^now(?:([+-])([1-9]\d{0,5})([smhdw]))?(?:\/([dh]))?$/;
/** The largest count RELATIVE takes (6 digits). */
const MAX_COUNT = 999_999;
const EPOCH_MS = /^\d{1,15}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Epoch ms of one expression, or null when it is not one. Accepted, and nothing else (no
 * surrounding whitespace, no other units, no `NOW`):
 *
 * - `now`, `now-<n><unit>`, `now+<n><unit>` with unit s, m, h, d or w and n a positive integer
 *   (at most 6 digits, at most 10 years away);
 * - any of those followed by `/d` or `/h`: rounded down to the start of the day or hour **in
 *   UTC**, whatever zone the page shows (so `now/d` is "since 00:00 UTC", as on the server);
 * - epoch milliseconds, 1 to 15 digits;
 * - an RFC 3339 date-time with `Z` or an offset (`2026-12-05T10:00:00Z`,
 *   `2026-12-05T10:00:00.250+01:00`), or a date alone (`2026-12-05`), which is UTC midnight.
 *   Dates before 1970 are refused: no data is that old, and Date.UTC would read the years
 *   0–99 as 1900–1999.
 */
export function parseTimeExpr(text: string, now: number): number | null {
  const relative = RELATIVE.exec(text);
  if (relative) {
    const [, sign, count, unit, round] = relative;
    let ms = now;
    if (sign && count && unit) {
      const offset = Number(count) * UNIT_MS[unit as Unit];
      if (offset > MAX_OFFSET_MS) return null;
      ms += sign === '-' ? -offset : offset;
    }
    if (round) {
      const step = round === 'd' ? DAY_MS : HOUR_MS;
      ms = Math.floor(ms / step) * step;
    }
    return ms;
  }
  if (EPOCH_MS.test(text)) return Number(text);
  const iso = DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text;
  if (Number(iso.slice(0, 4)) < 1970) return null;
  const ms = parseRfc3339(iso);
  return ms === null || ms < 0 ? null : ms;
}

export type ResolvedRange =
  { ok: true; from: number; to: number } | { ok: false; field: 'from' | 'to'; error: string };

/** The forms {@link parseTimeExpr} accepts, for a message that ends "…: use <forms>." */
export const TIME_EXPR_FORMS =
  'now, now-6h or now+1d (units s, m, h, d and w; /d or /h after one rounds it down to the ' +
  'start of the UTC day or hour), epoch milliseconds, or an ISO 8601 date or date-time ' +
  'such as 2026-12-05 or 2026-12-05T10:00:00Z';

/**
 * Both ends in epoch ms, or why not. An unparseable end is reported on its own field; a range
 * that is backwards, too long or too short on `from`, the end a person usually moves.
 */
export function resolveRange(spec: RangeSpec, now: number): ResolvedRange {
  const from = parseTimeExpr(spec.from, now);
  if (from === null) {
    return { ok: false, field: 'from', error: `From is not a time: use ${TIME_EXPR_FORMS}.` };
  }
  const to = parseTimeExpr(spec.to, now);
  if (to === null)
    return { ok: false, field: 'to', error: `To is not a time: use ${TIME_EXPR_FORMS}.` };
  if (from >= to) return { ok: false, field: 'from', error: 'From must be earlier than to.' };
  if (to - from > MAX_RANGE_MS) {
    return { ok: false, field: 'from', error: 'The range must be at most 90 days long.' };
  }
  if (to - from < MIN_RANGE_MS) {
    return { ok: false, field: 'from', error: 'The range must be at least 1 minute long.' };
  }
  return { ok: true, from, to };
}

export interface Preset {
  key: string;
  label: string;
  from: string;
  to: 'now';
}

const preset = (count: number, unit: 'm' | 'h' | 'd'): Preset =>
  Object.freeze({
    key: `${count}${unit}`,
    label: lastLabel(count, unit),
    from: `now-${count}${unit}`,
    to: 'now',
  });

function lastLabel(count: number, unit: Unit): string {
  return `Last ${count} ${UNIT_WORD[unit]}${count === 1 ? '' : 's'}`;
}

/** The picker's quick ranges, shortest first. */
export const PRESETS: readonly Preset[] = Object.freeze([
  preset(15, 'm'),
  preset(1, 'h'),
  preset(3, 'h'),
  preset(6, 'h'),
  preset(12, 'h'),
  preset(24, 'h'),
  preset(2, 'd'),
  preset(7, 'd'),
  preset(30, 'd'),
]);

/**
 * True when the range ends at now (auto-refresh applies only then). Only `to=now` itself: a
 * range ending at `now+1h` or `now/h` is a fixed distance from now, not a live tail.
 */
export function isLive(spec: RangeSpec): boolean {
  return spec.to === 'now';
}

const LAST = /^now-([1-9]\d{0,5})([smhdw])$/;

/**
 * "Last 6 hours" for a range from `now-<n><unit>` to now; otherwise its ends in the zone, the
 * zone named once at the end (at both across a daylight-saving change): "Dec 5, 10:00 – 16:00 UTC", "Dec 5, 22:00 – Dec 6, 04:00 UTC",
 * "Dec 5, 10:00 UTC – now". The year shows when an end is not in the current year, seconds when
 * an end is not on a whole minute. A range that does not resolve reads "Invalid time range":
 * the URL's text is never echoed.
 */
export function describeRange(spec: RangeSpec, now: number, tz: TimeZoneMode): string {
  const range = resolveRange(spec, now);
  if (!range.ok) return 'Invalid time range';
  const last = isLive(spec) ? LAST.exec(spec.from) : null;
  if (last) return lastLabel(Number(last[1]), last[2] as Unit);
  const dayOf = (ms: number) => formatInZone(ms, tz, 'date', { year: true });
  const yearOf = (ms: number) => dayOf(ms).split(', ').pop();
  const live = isLive(spec);
  const opts = {
    year: yearOf(range.from) !== yearOf(now) || yearOf(range.to) !== yearOf(now),
    // A live range's end is written "now", so only its start decides.
    seconds: range.from % MINUTE_MS !== 0 || (!live && range.to % MINUTE_MS !== 0),
  };
  if (live) {
    return `${formatInZone(range.from, tz, 'datetime', { ...opts, zoneName: true })} – now`;
  }
  // Across a daylight-saving change the ends have different zone names: name both.
  const zoneChanges = zoneLabel(tz, range.from) !== zoneLabel(tz, range.to);
  const start = formatInZone(range.from, tz, 'datetime', { ...opts, zoneName: zoneChanges });
  const sameDay = dayOf(range.from) === dayOf(range.to);
  const end = formatInZone(range.to, tz, sameDay ? 'time' : 'datetime', {
    ...opts,
    zoneName: true,
  });
  return `${start} – ${end}`;
}

/** The largest epoch ms an expression can write (15 digits). */
const MAX_EPOCH_MS = 999_999_999_999_999;

/**
 * Absolute spec (epoch ms strings) for a zoom to [from, to] (used by drag-to-zoom). The ends
 * may come in either order. The result always resolves: a selection narrower than
 * {@link MIN_RANGE_MS} (a click with a twitch) widens to it around its centre, one wider than
 * {@link MAX_RANGE_MS} narrows to it, and it is moved inside what epoch ms can write. Ends that
 * are not finite give the default range.
 */
export function absoluteSpec(from: number, to: number): RangeSpec {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return { ...DEFAULT_RANGE };
  let start = Math.round(Math.min(from, to));
  let end = Math.round(Math.max(from, to));
  const span = Math.min(Math.max(end - start, MIN_RANGE_MS), MAX_RANGE_MS);
  if (span !== end - start) {
    start = Math.round((start + end) / 2 - span / 2);
    end = start + span;
  }
  if (start < 0) [start, end] = [0, span];
  if (end > MAX_EPOCH_MS) [start, end] = [MAX_EPOCH_MS - span, MAX_EPOCH_MS];
  return { from: String(start), to: String(end) };
}

/**
 * `now-<span>` in the largest of d, h, m and s that writes it exactly, in whole seconds (up),
 * or whole minutes (up) when the seconds would take more digits than an expression may have.
 * Rounding up never passes {@link MAX_RANGE_MS}, itself a whole number of minutes.
 */
function relativeFrom(spanMs: number): string {
  let seconds = Math.ceil(spanMs / SECOND_MS);
  if (seconds > MAX_COUNT) seconds = Math.ceil(seconds / 60) * 60;
  for (const unit of ['d', 'h', 'm'] as const) {
    const per = UNIT_MS[unit] / SECOND_MS;
    if (seconds % per === 0) return `now-${seconds / per}${unit}`;
  }
  return `now-${seconds}s`;
}

/** The live range of the last `spanMs` (`now-1h` to `now`), within the allowed lengths. */
export function lastSpan(spanMs: number): RangeSpec {
  return { from: relativeFrom(Math.min(Math.max(spanMs, MIN_RANGE_MS), MAX_RANGE_MS)), to: 'now' };
}

/**
 * Zoom out ×2, capped at {@link MAX_RANGE_MS}. A fixed range grows around its centre and
 * becomes absolute. A live range keeps ending at now and reaches twice as far back
 * (`now-6h` → `now-12h`): centring it would spend half the chart on the future, where there is
 * no data. A range that does not resolve is returned as it is (the page shows its error).
 */
export function zoomOut(spec: RangeSpec, now: number): RangeSpec {
  const range = resolveRange(spec, now);
  if (!range.ok) return { ...spec };
  const span = Math.min(2 * (range.to - range.from), MAX_RANGE_MS);
  if (isLive(spec)) return { from: relativeFrom(span), to: 'now' };
  const centre = (range.from + range.to) / 2;
  return absoluteSpec(centre - span / 2, centre + span / 2);
}

/**
 * Shift by half a span earlier (-1) or later (1), keeping the span. The result is absolute,
 * except that a live range shifted later stays as it is: its end would pass now, and the
 * newest data is already in view. A range that does not resolve is returned as it is.
 */
export function shiftRange(spec: RangeSpec, now: number, direction: -1 | 1): RangeSpec {
  const range = resolveRange(spec, now);
  if (!range.ok) return { ...spec };
  if (isLive(spec) && direction === 1) return { from: spec.from, to: 'now' };
  const delta = (direction * (range.to - range.from)) / 2;
  return absoluteSpec(range.from + delta, range.to + delta);
}
