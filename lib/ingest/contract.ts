/**
 * Event contract v1: the shape producers send, its limits, and the reference validation into a
 * {@link PulseEvent} or a rejection with its reason and a readable detail (zod). The hot path
 * validates with ./fast-validate.ts first and falls back to this one for the wording
 * (./events.ts). Pure: the caller passes `now`.
 */
import { z } from 'zod';
import type { PulseEvent, QuarantineReason, QuarantinedEvent } from '@/lib/types';
import { isStorableText, jsonTextBytes, UNSTORABLE_TEXT } from './text';

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
  /**
   * Largest size of an event's dimensions written as JSON (names and values, quoted and
   * escaped): the leaf key of the cube, which PostgreSQL indexes, stays well below a B-tree
   * entry's limit (2,704 bytes).
   */
  maxDimsBytes: 2048,
  maxMeasures: 16,
  /**
   * Largest magnitude of a measure. Rollups keep sums and sums of squares in doubles: with
   * |x| ≤ 1e15 a square is at most 1e30, so no realistic number of events can overflow a sum
   * (and PostgreSQL refuses float8 arithmetic that would). 1e15 also keeps integers exact.
   */
  maxAbsMeasure: 1e15,
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
/** Longest rejection detail kept. */
export const MAX_DETAIL_CHARS = 512;

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
      })
      .refine(isStorableText, { error: UNSTORABLE_TEXT }),
    { error: typeError('an object of strings') },
  )
  .refine((dims) => Object.keys(dims).length <= EVENT_LIMITS.maxDims, {
    error: `at most ${EVENT_LIMITS.maxDims} dimensions`,
  })
  .refine((dims) => dimsBytes(dims) <= EVENT_LIMITS.maxDimsBytes, {
    error: `at most ${EVENT_LIMITS.maxDimsBytes} bytes in all, written as JSON`,
  });

/** UTF-8 bytes of `dims` written as JSON (names and values, with quotes and escapes). */
export function dimsBytes(dims: Record<string, string>): number {
  let bytes = 0;
  for (const [key, value] of Object.entries(dims)) {
    const valueBytes = jsonTextBytes(value);
    if (valueBytes < 0) return Infinity;
    bytes += key.length + 2 + valueBytes;
  }
  return bytes;
}

const measuresSchema = z
  .record(
    keySchema,
    z
      .number({ error: 'must be a finite number' })
      .refine((x) => Math.abs(x) <= EVENT_LIMITS.maxAbsMeasure, {
        error: 'must be between -1e15 and 1e15',
      }),
    { error: typeError('an object of numbers') },
  )
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
      .refine(isStorableText, { error: UNSTORABLE_TEXT })
      .optional(),
  },
  { error: typeError('a JSON object') },
);

/** Shortens `text` to `max` characters, marking the cut. */
/** `text`, cut to `max` characters with an ellipsis. */
export function clip(text: string, max: number): string {
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
