/**
 * Annotations: what people and services mark on the timeline (a deploy, a campaign, an outage at
 * a vendor), shown on the charts of the metrics they concern and on the anomalies they overlap.
 * Validation and normalisation of one as created (the same messages in a form and from the
 * API: POST /api/annotations), and the times the API takes. Pure.
 *
 * - title: 1–120 characters on one line; text: 0–2000 characters, line breaks allowed;
 * - startsAt, endsAt: epoch milliseconds or an RFC 3339 date and time (ISO 8601 with its offset,
 *   lib/ingest/contract.ts `parseRfc3339`); no endsAt (or null): an instant; an end not before
 *   the start, at most 30 days after it;
 * - metrics: metric keys (lib/metrics/definition.ts DEFINITION_LIMITS.keyPattern), none: every
 *   metric; tags: at most 10 slugs of at most 32 characters. Both lose their duplicates.
 */
import { z } from 'zod';
import { parseRfc3339 } from '@/lib/ingest/contract';
import { DEFINITION_LIMITS } from '@/lib/metrics/definition';
import { unsafeTextMessage } from '@/lib/text/input';

const DAY_MS = 24 * 3_600_000;

export const ANNOTATION_LIMITS = {
  maxTitle: 120,
  maxText: 2000,
  maxMetrics: 50,
  maxTags: 10,
  tagPattern: /^[a-z0-9][a-z0-9_.-]{0,31}$/,
  /** Longest span. The database checks it too, and overlap reads rely on it (an index bound). */
  maxSpanMs: 30 * DAY_MS,
  /**
   * Earliest time taken (2000-01-01): an earlier epoch number is most likely in seconds
   * (`date +%s`), not milliseconds, and Pulse holds nothing that old.
   */
  minTime: Date.UTC(2000, 0, 1),
  /** Latest time taken (the end of year 9999): beyond, a Date cannot hold it. */
  maxTime: Date.UTC(10000, 0, 1) - 1,
  /** Most annotations one read answers (db/queries/annotations.ts). */
  maxRead: 500,
} as const;

/** Fields of the create body, in the order a form asks for them. */
export const ANNOTATION_FIELDS = [
  'title',
  'text',
  'startsAt',
  'endsAt',
  'metrics',
  'tags',
] as const;
export type AnnotationField = (typeof ANNOTATION_FIELDS)[number];

/** First message per field. */
export type AnnotationErrors = Partial<Record<AnnotationField, string>>;

/** An annotation as created, normalised. Times are epoch ms. */
export interface AnnotationInput {
  title: string;
  /** '' when none was given. */
  text: string;
  startsAt: number;
  /** Null for an instant. */
  endsAt: number | null;
  /** Metric keys; empty: every metric. */
  metrics: string[];
  tags: string[];
}

type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

const TIME_FORMAT =
  'epoch milliseconds or an ISO 8601 date and time with its offset, such as 2026-12-06T14:30:00Z';
const METRIC_KEY_RULE =
  'lowercase letters, digits, _ or -, starting with a letter (at most 48 characters)';
const TAG_RULE =
  'lowercase letters, digits, _ . or -, starting with a letter or digit (at most 32 characters)';

/** Length in characters (code points), as PostgreSQL's char_length counts. */
const length = (text: string) => [...text].length;

/**
 * A time given as epoch milliseconds (an integer) or an RFC 3339 string, in epoch ms. A string
 * of digits is taken as milliseconds too (query parameters are strings). `what` names it in
 * the messages ("The start").
 */
export function parseAnnotationTime(value: unknown, what: string): Checked<number> {
  let ms: number | null = null;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      return { ok: false, error: `${what} in epoch milliseconds must be a whole number.` };
    }
    ms = value;
  } else if (typeof value === 'string') {
    ms = /^\d{1,16}$/.test(value) ? Number(value) : parseRfc3339(value);
  }
  if (ms === null) return { ok: false, error: `Give ${lower(what)} as ${TIME_FORMAT}.` };
  if (ms < ANNOTATION_LIMITS.minTime) {
    return {
      ok: false,
      error: `${what} is before 2000: give epoch milliseconds (not seconds) or an ISO 8601 time.`,
    };
  }
  if (ms > ANNOTATION_LIMITS.maxTime) return { ok: false, error: `${what} is after year 9999.` };
  return { ok: true, value: ms };
}

const lower = (what: string) => what.charAt(0).toLowerCase() + what.slice(1);

function checkTitle(value: unknown): Checked<string> {
  if (typeof value !== 'string') return { ok: false, error: 'Give the annotation a title.' };
  const unsafe = unsafeTextMessage(value);
  if (unsafe) return { ok: false, error: unsafe };
  const title = value.trim();
  if (title === '') return { ok: false, error: 'Give the annotation a title.' };
  if (length(title) > ANNOTATION_LIMITS.maxTitle) {
    return { ok: false, error: `Titles are at most ${ANNOTATION_LIMITS.maxTitle} characters.` };
  }
  return { ok: true, value: title };
}

function checkText(value: unknown): Checked<string> {
  if (value === undefined || value === null) return { ok: true, value: '' };
  if (typeof value !== 'string') return { ok: false, error: 'The text must be text.' };
  const unsafe = unsafeTextMessage(value, { multiline: true });
  if (unsafe) return { ok: false, error: unsafe };
  const text = value.trim();
  if (length(text) > ANNOTATION_LIMITS.maxText) {
    return { ok: false, error: `The text is at most ${ANNOTATION_LIMITS.maxText} characters.` };
  }
  return { ok: true, value: text };
}

/** A list of distinct strings, each matching `pattern`, at most `max` of them. */
function checkList(
  value: unknown,
  rules: {
    pattern: RegExp;
    max: number;
    notList: string;
    bad: (item: string) => string;
    tooMany: string;
  },
): Checked<string[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  if (!Array.isArray(value)) return { ok: false, error: rules.notList };
  const items: string[] = [];
  for (const item of value) {
    if (typeof item !== 'string') return { ok: false, error: rules.notList };
    const unsafe = unsafeTextMessage(item);
    if (unsafe) return { ok: false, error: unsafe };
    if (!rules.pattern.test(item)) return { ok: false, error: rules.bad(item) };
    if (!items.includes(item)) items.push(item);
  }
  if (items.length > rules.max) return { ok: false, error: rules.tooMany };
  return { ok: true, value: items };
}

/** Shown inside a message: cut, and with what it holds made harmless (quotes, escapes). */
const quoted = (item: string) => JSON.stringify(item.length > 40 ? `${item.slice(0, 39)}…` : item);

const checkMetrics = (value: unknown) =>
  checkList(value, {
    pattern: DEFINITION_LIMITS.keyPattern,
    max: ANNOTATION_LIMITS.maxMetrics,
    notList:
      'List the keys of the metrics it concerns, such as ["purchases"] (none: every metric).',
    bad: (key) => `${quoted(key)} is not a metric key: keys are ${METRIC_KEY_RULE}.`,
    tooMany: `Name at most ${ANNOTATION_LIMITS.maxMetrics} metrics (or none: every metric).`,
  });

const checkTags = (value: unknown) =>
  checkList(value, {
    pattern: ANNOTATION_LIMITS.tagPattern,
    max: ANNOTATION_LIMITS.maxTags,
    notList: 'List the tags as text, such as ["deploy"].',
    bad: (tag) => `${quoted(tag)} is not a tag: tags are ${TAG_RULE}.`,
    tooMany: `Use at most ${ANNOTATION_LIMITS.maxTags} tags.`,
  });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Validates an annotation from user input and normalises it (title and text trimmed, times in
 * epoch ms, duplicate metrics and tags dropped). Returns the first message per field, written to
 * be shown beside it; a non-object input is an empty form. Whether the metrics exist is for the
 * caller to check (app/_server/use-cases/create-annotation.ts).
 */
export function validateAnnotation(
  input: unknown,
): { ok: true; annotation: AnnotationInput } | { ok: false; errors: AnnotationErrors } {
  const raw = isRecord(input) ? input : {};
  const errors: AnnotationErrors = {};
  const take = <T>(field: AnnotationField, result: Checked<T>): T | undefined => {
    if (result.ok) return result.value;
    errors[field] ??= result.error;
    return undefined;
  };
  const title = take('title', checkTitle(raw.title));
  const text = take('text', checkText(raw.text));
  const startsAt =
    raw.startsAt === undefined || raw.startsAt === null
      ? take<number>('startsAt', { ok: false, error: `Say when it happened: ${TIME_FORMAT}.` })
      : take('startsAt', parseAnnotationTime(raw.startsAt, 'The start'));
  const endsAt =
    raw.endsAt === undefined || raw.endsAt === null
      ? null
      : take('endsAt', parseAnnotationTime(raw.endsAt, 'The end'));
  if (startsAt !== undefined && endsAt !== undefined && endsAt !== null) {
    if (endsAt < startsAt) errors.endsAt = 'The end must not be before the start.';
    else if (endsAt - startsAt > ANNOTATION_LIMITS.maxSpanMs) {
      errors.endsAt = 'An annotation spans at most 30 days.';
    }
  }
  const metrics = take('metrics', checkMetrics(raw.metrics));
  const tags = take('tags', checkTags(raw.tags));
  if (
    Object.keys(errors).length > 0 ||
    title === undefined ||
    text === undefined ||
    startsAt === undefined ||
    endsAt === undefined ||
    metrics === undefined ||
    tags === undefined
  ) {
    return { ok: false, errors };
  }
  return { ok: true, annotation: { title, text, startsAt, endsAt, metrics, tags } };
}

const field = z.unknown().optional();

/**
 * POST /api/annotations: `{ title, text?, startsAt, endsAt?, metrics?, tags? }`, strict (an
 * unknown field is refused), parsed to the normalised {@link AnnotationInput} with one issue
 * per field, the messages of {@link validateAnnotation}.
 */
export const AnnotationBody = z
  .strictObject({
    title: field,
    text: field,
    startsAt: field,
    endsAt: field,
    metrics: field,
    tags: field,
  })
  .transform((body, ctx): AnnotationInput => {
    const checked = validateAnnotation(body);
    if (checked.ok) return checked.annotation;
    for (const [path, message] of Object.entries(checked.errors)) {
      ctx.addIssue({ code: 'custom', path: [path], message });
    }
    return z.NEVER;
  });

/** True when an annotation covering [startsAt, endsAt ?? startsAt] overlaps [from, to]. */
export function overlaps(
  annotation: { startsAt: number; endsAt: number | null },
  from: number,
  to: number,
): boolean {
  return annotation.startsAt <= to && (annotation.endsAt ?? annotation.startsAt) >= from;
}

/** True when an annotation with these metric keys concerns `metricKey` (none: every metric). */
export function concerns(annotation: { metrics: readonly string[] }, metricKey: string): boolean {
  return annotation.metrics.length === 0 || annotation.metrics.includes(metricKey);
}
