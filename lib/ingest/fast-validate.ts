/**
 * The fast path of event validation: see below. ./events.ts `validateEvent` and
 * `parseEventLine` try it first and ask the reference validation (./contract.ts) only when it
 * is not sure.
 */
import type { PulseEvent } from '@/lib/types';
import { EVENT_LIMITS } from './contract';
import { isStorableText, jsonTextBytes } from './text';

const DAY_MS = 86_400_000;

/*
 * Fast path. The hot path (parse → validate → fold) spends most of its time in zod and the
 * RFC 3339 regex, so valid events are checked by hand: plain loops and character tables, and
 * no allocation beyond the event itself (and, for a caller's object, copies of its records). It only ever says "valid, here is the event" or "not
 * sure": any problem, or any input shape it does not handle, goes to {@link validateEventSlow},
 * which words the rejection. So it may be stricter than the contract, never looser, and an
 * event it accepts equals the one the slow path returns (a parsed line's event is JSON.parse's
 * object itself, so only the order of its fields may differ). events.test.ts holds the two equal.
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

/**
 * Printable ASCII other than `"` and `\`: written as JSON, such a value takes its length plus
 * two quotes, which the regex engine tells faster than a loop (most dimension values are so).
 */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

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
  let bytes = 0;
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
    // Storable text (no NUL, no lone surrogate), and the leaf key within its bound.
    const valueBytes = PLAIN_TEXT.test(dim) ? dim.length + 2 : jsonTextBytes(dim);
    bytes += key.length + 2 + valueBytes;
    if (valueBytes < 0 || bytes > EVENT_LIMITS.maxDimsBytes) return null;
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
      !(measure <= EVENT_LIMITS.maxAbsMeasure && measure >= -EVENT_LIMITS.maxAbsMeasure) ||
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
 * `owned`: `raw` came from JSON.parse and nobody else holds it, so it becomes the event itself
 * (its fields then keep the line's order) and its records the event's own, instead of being
 * copied. Exported for the tests.
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
    (typeof id !== 'string' ||
      id.length === 0 ||
      id.length > EVENT_LIMITS.maxIdLength ||
      !isStorableText(id))
  ) {
    return undefined;
  }
  const ts = timestampFast(raw.ts, now);
  if (Number.isNaN(ts)) return undefined;
  const dims = dimsFast(raw.dims, owned);
  if (dims === null) return undefined;
  const measures = measuresFast(raw.measures, owned);
  if (measures === null) return undefined;
  if (owned) {
    // JSON.parse's object becomes the event: one allocation less per event on the hot path.
    raw.ts = ts;
    raw.dims = dims;
    raw.measures = measures;
    return raw as unknown as PulseEvent;
  }
  const event: PulseEvent = { ts, type, dims, measures };
  if (id !== undefined) event.id = id;
  return event;
}
