/**
 * Dates and times on the explore page, in the viewer's zone or in UTC. Pure apart from the
 * runtime's idea of the local zone (Intl), which is what 'local' asks for. On the server that is
 * the server's zone, not the viewer's: text in 'local' must be rendered in the browser (after
 * hydration), or the two renders differ.
 *
 * The locale is fixed (English month names, 24-hour clock) rather than the runtime's: the server
 * renders the page and the browser hydrates it, and two locales would render two texts. The
 * parts are assembled here from `formatToParts` because ICU's own patterns change between
 * versions (ICU 72 turned the space before AM/PM into a narrow no-break space), and the
 * server's ICU is not the browser's.
 */

export type TimeZoneMode = 'local' | 'utc';

export type FormatStyle = 'time' | 'datetime' | 'date';

export interface FormatOptions {
  /** Show seconds ("14:03:07"). */
  seconds?: boolean;
  /** Append the zone: "UTC", or the local zone's short name ("CET", "GMT+1", "EST"). */
  zoneName?: boolean;
  /** Show the year with the date ("Dec 5, 2026"). */
  year?: boolean;
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** The furthest instant a JavaScript Date can hold, either side of 1970. */
const MAX_DATE_MS = 8.64e15;

/**
 * One formatter per mode, made on first use: building an Intl.DateTimeFormat costs far more than
 * using one, and an axis formats dozens of ticks per render. The local zone is therefore read
 * once per module instance.
 */
const formatters = new Map<TimeZoneMode, Intl.DateTimeFormat>();

function formatterFor(tz: TimeZoneMode): Intl.DateTimeFormat {
  let formatter = formatters.get(tz);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      ...(tz === 'utc' ? { timeZone: 'UTC' } : {}),
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      // h23, not hour12: false, which some ICU versions render as "24:05" after midnight.
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formatters.set(tz, formatter);
  }
  return formatter;
}

const DATE_FIELDS = new Set(['year', 'month', 'day', 'hour', 'minute', 'second']);

interface Parts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  zone: string;
}

function partsOf(ms: number, tz: TimeZoneMode): Parts {
  const parts: Parts = { year: '', month: '', day: '', hour: '', minute: '', second: '', zone: '' };
  for (const part of formatterFor(tz).formatToParts(ms)) {
    if (part.type === 'timeZoneName') {
      parts.zone = part.value;
    } else if (DATE_FIELDS.has(part.type)) {
      parts[part.type as Exclude<keyof Parts, 'zone'>] = part.value;
    }
  }
  const two = (text: string) => text.padStart(2, '0');
  return { ...parts, hour: two(parts.hour), minute: two(parts.minute), second: two(parts.second) };
}

/**
 * Epoch ms as the page shows it: "14:03" (time), "Dec 5, 14:03" (datetime), "Dec 5" (date),
 * with seconds, year and zone name on request ("Dec 5, 2026, 14:03:07 UTC"). An instant a Date
 * cannot hold reads "Invalid date" rather than throwing inside a render.
 */
export function formatInZone(
  ms: number,
  tz: TimeZoneMode,
  style: FormatStyle,
  opts: FormatOptions = {},
): string {
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return 'Invalid date';
  const p = partsOf(ms, tz);
  const time = `${p.hour}:${p.minute}${opts.seconds ? `:${p.second}` : ''}`;
  const date = `${p.month} ${p.day}${opts.year ? `, ${p.year}` : ''}`;
  const text = style === 'time' ? time : style === 'date' ? date : `${date}, ${time}`;
  if (!opts.zoneName) return text;
  // ICU names UTC "UTC" in en-US, but say it outright: the label must match the mode's name.
  return `${text} ${tz === 'utc' ? 'UTC' : p.zone}`;
}

/** The zone's name as {@link formatInZone} appends it, at the instant `ms` (for a legend). */
export function zoneLabel(tz: TimeZoneMode, ms: number): string {
  if (tz === 'utc') return 'UTC';
  if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) return '';
  return partsOf(ms, tz).zone;
}

/** Spans up to this long label ticks with seconds: a 1-minute range has ticks 10 s apart. */
const SECONDS_SPAN_MS = 10 * MINUTE_MS;

/**
 * Tick labels for a chart axis spanning `spanMs`: time only up to a day (with seconds up to
 * 10 minutes), date and time up to 7 days, the date beyond. No zone name: the axis shows it
 * once, apart.
 */
export function axisFormatter(spanMs: number, tz: TimeZoneMode): (ms: number) => string {
  if (spanMs <= DAY_MS) {
    const seconds = spanMs <= SECONDS_SPAN_MS;
    return (ms) => formatInZone(ms, tz, 'time', { seconds });
  }
  if (spanMs <= 7 * DAY_MS) return (ms) => formatInZone(ms, tz, 'datetime');
  return (ms) => formatInZone(ms, tz, 'date');
}
