/**
 * Event contract v1: the shape producers send, its limits, and validation into a
 * {@link PulseEvent} or a {@link QuarantinedEvent}. Pure: the caller passes `now`.
 */
import { z } from 'zod';
import type { PulseEvent, QuarantineReason, QuarantinedEvent } from '@/lib/types';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Limits of event contract v1. */
export const EVENT_LIMITS = {
  /** Maximum UTF-8 byte length of one raw event (one line of JSON). */
  maxRawBytes: 8192,
  typePattern: /^[a-z][a-z0-9_.-]{0,63}$/,
  maxDims: 16,
  /** Pattern of dimension and measure names. */
  keyPattern: /^[a-z][a-z0-9_]{0,31}$/,
  maxDimValueLength: 128,
  maxMeasures: 16,
  maxIdLength: 128,
  /** Oldest accepted event time, relative to now. */
  maxAgeMs: 7 * DAY_MS,
  /** Furthest accepted event time in the future, relative to now (clock skew). */
  maxFutureMs: 5 * MINUTE_MS,
  /** Characters of the raw payload kept in quarantine. */
  maxQuarantinedRawChars: 2048,
} as const;

/** Bounds on the human-readable detail of a rejection. */
const MAX_DETAIL_ISSUES = 5;
const MAX_PATH_SEGMENT_CHARS = 64;
const MAX_DETAIL_CHARS = 512;

export type ValidationResult =
  { ok: true; event: PulseEvent } | { ok: false; reason: QuarantineReason; detail: string };

export type ParseResult =
  { ok: true; event: PulseEvent } | { ok: false; quarantined: QuarantinedEvent };

/** Message for a value of the wrong type: "is required" when absent, else "expected …". */
function typeError(expected: string): (issue: { input?: unknown }) => string {
  return (issue) => (issue.input === undefined ? 'is required' : `expected ${expected}`);
}

const keySchema = z
  .string()
  .regex(EVENT_LIMITS.keyPattern, { error: `name must match ${EVENT_LIMITS.keyPattern.source}` });

const dimsSchema = z
  .record(
    keySchema,
    z
      .string({ error: typeError('string') })
      .min(1, { error: 'must not be empty' })
      .max(EVENT_LIMITS.maxDimValueLength, {
        error: `must be at most ${EVENT_LIMITS.maxDimValueLength} characters`,
      }),
    { error: typeError('an object of strings') },
  )
  .refine((dims) => Object.keys(dims).length <= EVENT_LIMITS.maxDims, {
    error: `at most ${EVENT_LIMITS.maxDims} dimensions`,
  });

const measuresSchema = z
  .record(keySchema, z.number({ error: 'must be a finite number' }), {
    error: typeError('an object of numbers'),
  })
  .refine((measures) => Object.keys(measures).length <= EVENT_LIMITS.maxMeasures, {
    error: `at most ${EVENT_LIMITS.maxMeasures} measures`,
  });

/** Structural schema of event contract v1. Timestamps are checked separately (own reasons). */
export const rawEventSchema = z.strictObject(
  {
    ts: z.union([z.string(), z.number()], {
      error: typeError('an RFC 3339 string or epoch milliseconds'),
    }),
    type: z
      .string({ error: typeError('string') })
      .regex(EVENT_LIMITS.typePattern, { error: `must match ${EVENT_LIMITS.typePattern.source}` }),
    dims: dimsSchema.optional(),
    measures: measuresSchema.optional(),
    id: z
      .string({ error: typeError('string') })
      .min(1, { error: 'must not be empty' })
      .max(EVENT_LIMITS.maxIdLength, {
        error: `must be at most ${EVENT_LIMITS.maxIdLength} characters`,
      })
      .optional(),
  },
  { error: typeError('a JSON object') },
);

/** Shortens `text` to `max` characters, marking the cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'event';
  return path.map((key) => clip(String(key), MAX_PATH_SEGMENT_CHARS)).join('.');
}

function formatIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((key) => JSON.stringify(clip(key, MAX_PATH_SEGMENT_CHARS)));
    return `${formatPath(issue.path)}: unknown field${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
  }
  const message =
    issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return `${formatPath(issue.path)}: ${message}`;
}

/** Joins the first few issues into one bounded, human-readable detail string. */
function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_DETAIL_ISSUES).map(formatIssue);
  const more = issues.length - shown.length;
  const detail = shown.join('; ') + (more > 0 ? ` (+${more} more)` : '');
  return clip(detail, MAX_DETAIL_CHARS);
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses an RFC 3339 date-time (with explicit offset) to epoch milliseconds, or null.
 * Rejects calendar-impossible values that `Date.parse` would roll over (Feb 30, 24:00).
 * Fractional seconds beyond milliseconds are truncated; leap seconds are not accepted.
 */
export function parseRfc3339(text: string): number | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const part = (index: number): number => Number(m[index] ?? 0);
  const [year, month, day, hour, minute, second] = [
    part(1),
    part(2),
    part(3),
    part(4),
    part(5),
    part(6),
  ];
  const millis = Number((m[7] ?? '').slice(0, 3).padEnd(3, '0'));
  const offsetSign = m[9] === '-' ? -1 : 1;
  const [offsetHour, offsetMinute] = [part(10), part(11)];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; such timestamps are far outside the window anyway.
  return local - offsetSign * (offsetHour * 60 + offsetMinute) * MINUTE_MS;
}

type TimestampResult =
  { ok: true; ts: number } | { ok: false; reason: QuarantineReason; detail: string };

/** Resolves `ts` to epoch ms and checks it lies in [now − maxAge, now + maxFuture]. */
function checkTimestamp(ts: string | number, now: number): TimestampResult {
  const ms = typeof ts === 'number' ? ts : parseRfc3339(ts);
  if (ms === null) {
    return { ok: false, reason: 'bad_timestamp', detail: 'ts: not an RFC 3339 date-time' };
  }
  if (!Number.isSafeInteger(ms)) {
    return {
      ok: false,
      reason: 'bad_timestamp',
      detail: 'ts: epoch milliseconds must be an integer',
    };
  }
  if (ms < now - EVENT_LIMITS.maxAgeMs) {
    return {
      ok: false,
      reason: 'bad_timestamp',
      detail: `ts: too old (${formatDuration(now - ms)} before now, limit 7 days)`,
    };
  }
  if (ms > now + EVENT_LIMITS.maxFutureMs) {
    return {
      ok: false,
      reason: 'future',
      detail: `ts: too far in the future (${formatDuration(ms - now)} after now, limit 5 minutes)`,
    };
  }
  return { ok: true, ts: ms };
}

function formatDuration(ms: number): string {
  if (ms >= DAY_MS) return `${Math.floor(ms / DAY_MS)}d`;
  if (ms >= 3_600_000) return `${Math.floor(ms / 3_600_000)}h`;
  if (ms >= MINUTE_MS) return `${Math.floor(ms / MINUTE_MS)}m`;
  return `${Math.ceil(ms / 1000)}s`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * JSON.parse makes "__proto__" an own key, which zod silently drops; the contract rejects it
 * like any other unknown field or invalid name.
 */
function protoKeyIssue(raw: unknown): string | null {
  if (!isObject(raw)) return null;
  if (Object.hasOwn(raw, '__proto__')) return 'event: unknown field "__proto__"';
  for (const field of ['dims', 'measures']) {
    const record = raw[field];
    if (isObject(record) && Object.hasOwn(record, '__proto__')) {
      return `${field}.__proto__: name must match ${EVENT_LIMITS.keyPattern.source}`;
    }
  }
  return null;
}

/**
 * The reference validator (zod): the one source of reasons and details. {@link validateEvent}
 * answers valid events without it; exported for the tests that hold the two paths equal.
 * @internal
 */
export function validateEventSlow(raw: unknown, now: number): ValidationResult {
  const protoKey = protoKeyIssue(raw);
  if (protoKey) return { ok: false, reason: 'schema', detail: protoKey };
  const parsed = rawEventSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, reason: 'schema', detail: formatIssues(parsed.error.issues) };
  }
  const { ts, type, dims, measures, id } = parsed.data;
  const time = checkTimestamp(ts, now);
  if (!time.ok) return time;
  const event: PulseEvent = { ts: time.ts, type, dims: dims ?? {}, measures: measures ?? {} };
  if (id !== undefined) event.id = id;
  return { ok: true, event };
}

/*
 * Fast path. The hot path (parse → validate → fold) spends most of its time in zod and the
 * RFC 3339 regex, so valid events are checked by hand: plain loops and character tables, and
 * no allocation beyond the event itself (and, for a caller's object, copies of its records). It only ever says "valid, here is the event" or "not
 * sure": any problem, or any input shape it does not handle, goes to {@link validateEventSlow},
 * which words the rejection. So it may be stricter than the contract, never looser, and an
 * event it accepts equals the one the slow path returns. events.test.ts holds the two equal.
 */

/** Character classes of names: bit flags per ASCII code. */
const LOWER = 1;
const DIGIT_OR_UNDERSCORE = 2;
const DOT_OR_DASH = 4;
const NAME_CHARS = new Uint8Array(128);
for (let code = 0x61; code <= 0x7a; code++) NAME_CHARS[code] = LOWER;
for (let code = 0x30; code <= 0x39; code++) NAME_CHARS[code] = DIGIT_OR_UNDERSCORE;
NAME_CHARS[0x5f] = DIGIT_OR_UNDERSCORE;
NAME_CHARS[0x2e] = DOT_OR_DASH;
NAME_CHARS[0x2d] = DOT_OR_DASH;

/** `^[a-z][a-z0-9_.-]{0,63}$`, as {@link EVENT_LIMITS.typePattern}. */
const TYPE_MAX_LENGTH = 64;
const TYPE_REST = LOWER | DIGIT_OR_UNDERSCORE | DOT_OR_DASH;
/** `^[a-z][a-z0-9_]{0,31}$`, as {@link EVENT_LIMITS.keyPattern}. */
const KEY_MAX_LENGTH = 32;
const KEY_REST = LOWER | DIGIT_OR_UNDERSCORE;

/** True when `text` is a lower-case letter followed by up to `maxLength - 1` `rest` characters. */
function isName(text: string, maxLength: number, rest: number): boolean {
  const length = text.length;
  if (length === 0 || length > maxLength) return false;
  const first = text.charCodeAt(0);
  if (first >= 0x80 || NAME_CHARS[first] !== LOWER) return false;
  for (let i = 1; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 || (NAME_CHARS[code]! & rest) === 0) return false;
  }
  return true;
}

/** Value of the two ASCII digits at `at` (0–99), or -1. `text` must be long enough. */
function twoDigits(text: string, at: number): number {
  const tens = text.charCodeAt(at) - 0x30;
  const ones = text.charCodeAt(at + 1) - 0x30;
  if (tens < 0 || tens > 9 || ones < 0 || ones > 9) return -1;
  return tens * 10 + ones;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * {@link parseRfc3339} without the regex, or NaN when it cannot say (malformed, or a year
 * before 100, which `Date.UTC` maps onto the 1900s). Where it answers, it answers the same.
 * @internal
 */
export function parseRfc3339Fast(text: string): number {
  const length = text.length;
  // YYYY-MM-DDTHH:MM:SS and at least one more character (Z, offset or fraction).
  if (length < 20) return NaN;
  const century = twoDigits(text, 0);
  const yearOfCentury = twoDigits(text, 2);
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  const hour = twoDigits(text, 11);
  const minute = twoDigits(text, 14);
  const second = twoDigits(text, 17);
  if (
    century < 1 ||
    yearOfCentury < 0 ||
    text.charCodeAt(4) !== 0x2d || // -
    text.charCodeAt(7) !== 0x2d ||
    (text.charCodeAt(10) | 0x20) !== 0x74 || // T or t
    text.charCodeAt(13) !== 0x3a || // :
    text.charCodeAt(16) !== 0x3a ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return NaN;
  }
  const year = century * 100 + yearOfCentury;
  const leap = yearOfCentury === 0 ? century % 4 === 0 : yearOfCentury % 4 === 0;
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month]!)) return NaN;

  let at = 19;
  let millis = 0;
  if (text.charCodeAt(at) === 0x2e) {
    // Fraction: at least one digit; milliseconds are its first three, the rest truncated.
    at++;
    const start = at;
    while (at < length && isDigit(text.charCodeAt(at))) {
      if (at - start < 3) millis = millis * 10 + (text.charCodeAt(at) - 0x30);
      at++;
    }
    const digits = at - start;
    if (digits === 0) return NaN;
    if (digits === 1) millis *= 100;
    else if (digits === 2) millis *= 10;
  }

  let offsetMinutes = 0;
  const zone = text.charCodeAt(at);
  if ((zone | 0x20) === 0x7a) {
    // Z or z
    if (at + 1 !== length) return NaN;
  } else if (zone === 0x2b || zone === 0x2d) {
    // +HH:MM or -HH:MM
    if (at + 6 !== length || text.charCodeAt(at + 3) !== 0x3a) return NaN;
    const offsetHour = twoDigits(text, at + 1);
    const offsetMinute = twoDigits(text, at + 4);
    if (offsetHour < 0 || offsetHour > 23 || offsetMinute < 0 || offsetMinute > 59) return NaN;
    offsetMinutes = offsetHour * 60 + offsetMinute;
    if (zone === 0x2d) offsetMinutes = -offsetMinutes;
  } else {
    return NaN;
  }

  const seconds = hour * 3600 + minute * 60 + second - offsetMinutes * 60;
  return daysFromCivil(year, month, day) * DAY_MS + seconds * 1000 + millis;
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm), for year ≥ 1.
 * Exact integer arithmetic: with the time of day it equals `Date.UTC`.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Epoch ms of a `ts` that lies in the window at `now`, or NaN (invalid, or not sure). */
function timestampFast(ts: unknown, now: number): number {
  let ms: number;
  if (typeof ts === 'string') ms = parseRfc3339Fast(ts);
  else if (typeof ts === 'number' && Number.isSafeInteger(ts)) ms = ts;
  else return NaN;
  // The same comparisons as checkTimestamp, so that a NaN `now` decides alike.
  if (ms < now - EVENT_LIMITS.maxAgeMs || ms > now + EVENT_LIMITS.maxFutureMs) return NaN;
  return ms;
}

/** A plain object (not an array, not a class instance) that the fast path may read. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype
  );
}

/**
 * True when a caller's record may hold what for…in does not list but zod or the `__proto__`
 * check would see: symbol keys, a non-enumerable `__proto__`, or an own `constructor`, which
 * zod's plain-object test reads. Objects made by JSON.parse hold none of these.
 */
function hidesKeys(record: object): boolean {
  return (
    Object.hasOwn(record, '__proto__') ||
    Object.hasOwn(record, 'constructor') ||
    Object.getOwnPropertySymbols(record).length > 0
  );
}

/**
 * Valid dims as the event's record, else null. An `owned` record is returned as is; any other
 * is copied, as zod copies, so that the event does not alias the caller's object. (for…in also
 * lists inherited keys; zod reads own keys only, so those count as a problem, except in an
 * owned record, returned as is with its prototype like zod's fresh object.)
 */
function dimsFast(value: unknown, owned: boolean): Record<string, string> | null {
  if (value === undefined) return {};
  if (!isPlainRecord(value) || (!owned && hidesKeys(value))) return null;
  const copy: Record<string, string> | null = owned ? null : {};
  let count = 0;
  for (const key in value) {
    const dim = value[key];
    if (
      ++count > EVENT_LIMITS.maxDims ||
      typeof dim !== 'string' ||
      dim.length === 0 ||
      // zod counts code points above 128 UTF-16 units: leave those to it.
      dim.length > EVENT_LIMITS.maxDimValueLength ||
      !isName(key, KEY_MAX_LENGTH, KEY_REST)
    ) {
      return null;
    }
    if (copy !== null) {
      if (!Object.hasOwn(value, key)) return null;
      copy[key] = dim;
    }
  }
  return copy ?? (value as Record<string, string>);
}

/** Valid measures as the event's record, else null; see {@link dimsFast}. */
function measuresFast(value: unknown, owned: boolean): Record<string, number> | null {
  if (value === undefined) return {};
  if (!isPlainRecord(value) || (!owned && hidesKeys(value))) return null;
  const copy: Record<string, number> | null = owned ? null : {};
  let count = 0;
  for (const key in value) {
    const measure = value[key];
    if (
      ++count > EVENT_LIMITS.maxMeasures ||
      typeof measure !== 'number' ||
      !Number.isFinite(measure) ||
      !isName(key, KEY_MAX_LENGTH, KEY_REST)
    ) {
      return null;
    }
    if (copy !== null) {
      if (!Object.hasOwn(value, key)) return null;
      copy[key] = measure;
    }
  }
  return copy ?? (value as Record<string, number>);
}

/**
 * The event when `raw` is certainly valid at `now`, else undefined (ask the slow path).
 * `owned`: `raw` came from JSON.parse and nobody else holds it, so its records become the
 * event's own instead of being copied. Exported for the tests.
 * @internal
 */
export function validateEventFast(
  raw: unknown,
  now: number,
  owned: boolean,
): PulseEvent | undefined {
  if (!isPlainRecord(raw)) return undefined;
  // Any other field, own "__proto__" included, is a rejection. zod's strict object lists the
  // keys with for…in too, inherited enumerable ones included.
  for (const key in raw) {
    if (key !== 'ts' && key !== 'type' && key !== 'dims' && key !== 'measures' && key !== 'id') {
      return undefined;
    }
  }
  if (!owned && Object.hasOwn(raw, '__proto__')) return undefined;
  const type = raw.type;
  if (typeof type !== 'string' || !isName(type, TYPE_MAX_LENGTH, TYPE_REST)) return undefined;
  const id = raw.id;
  if (
    id !== undefined &&
    (typeof id !== 'string' || id.length === 0 || id.length > EVENT_LIMITS.maxIdLength)
  ) {
    return undefined;
  }
  const ts = timestampFast(raw.ts, now);
  if (Number.isNaN(ts)) return undefined;
  const dims = dimsFast(raw.dims, owned);
  if (dims === null) return undefined;
  const measures = measuresFast(raw.measures, owned);
  if (measures === null) return undefined;
  const event: PulseEvent = { ts, type, dims, measures };
  if (id !== undefined) event.id = id;
  return event;
}

/**
 * Validates an already-parsed event against contract v1 at time `now` (epoch ms).
 * Structure is checked first (reason `schema`), then the timestamp (`bad_timestamp`, `future`).
 */
export function validateEvent(raw: unknown, now: number): ValidationResult {
  const event = validateEventFast(raw, now, false);
  if (event !== undefined) return { ok: true, event };
  return validateEventSlow(raw, now);
}

/** UTF-8 byte length of a string (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** True when the UTF-8 length of `text` exceeds `limit`, without measuring short strings. */
function exceedsBytes(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8ByteLength(text) > limit;
}

/**
 * Makes text safe for a PostgreSQL `text` column: NUL characters (which PostgreSQL rejects)
 * become U+FFFD.
 */
function storable(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

/** Truncates the raw payload for quarantine without splitting a surrogate pair. */
function truncateRaw(line: string): string {
  const max = EVENT_LIMITS.maxQuarantinedRawChars;
  if (line.length <= max) return storable(line);
  const cut = isLowSurrogate(line.charCodeAt(max)) ? max - 1 : max;
  return storable(line.slice(0, cut));
}

function quarantine(
  line: string,
  rawSize: number,
  source: string,
  reason: QuarantineReason,
  detail: string,
): ParseResult {
  return {
    ok: false,
    quarantined: { reason, detail: storable(detail), raw: truncateRaw(line), rawSize, source },
  };
}

/**
 * Parses one line of JSON into a validated event, or a quarantine record. The size limit
 * is checked before parsing (`too_large`), then JSON (`malformed_json`), then
 * {@link validateEvent}. Never throws.
 */
export function parseEventLine(line: string, now: number, source: string): ParseResult {
  const limit = EVENT_LIMITS.maxRawBytes;
  if (exceedsBytes(line, limit)) {
    const size = utf8ByteLength(line);
    return quarantine(line, size, source, 'too_large', `event: ${size} bytes exceeds ${limit}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return quarantine(
      line,
      utf8ByteLength(line),
      source,
      'malformed_json',
      clip(`event: ${message}`, MAX_DETAIL_CHARS),
    );
  }
  const event = validateEventFast(value, now, true);
  if (event !== undefined) return { ok: true, event };
  const result = validateEventSlow(value, now);
  if (result.ok) return result;
  return quarantine(line, utf8ByteLength(line), source, result.reason, result.detail);
}
