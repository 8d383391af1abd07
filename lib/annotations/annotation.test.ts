import { describe, expect, it } from 'vitest';
import {
  ANNOTATION_LIMITS,
  AnnotationBody,
  concerns,
  overlaps,
  parseAnnotationTime,
  validateAnnotation,
} from './annotation';

const START = Date.UTC(2026, 11, 6, 14, 30);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const errorsOf = (input: unknown) => {
  const checked = validateAnnotation(input);
  if (checked.ok) throw new Error('expected errors');
  return checked.errors;
};
const valueOf = (input: unknown) => {
  const checked = validateAnnotation(input);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.annotation;
};

describe('validateAnnotation', () => {
  it('normalises a minimal instant: text empty, no end, every metric, no tags', () => {
    expect(valueOf({ title: '  Deploy v1.2.3 ', startsAt: START })).toEqual({
      title: 'Deploy v1.2.3',
      text: '',
      startsAt: START,
      endsAt: null,
      metrics: [],
      tags: [],
    });
    expect(valueOf({ title: 'x', startsAt: START, endsAt: null, text: null }).endsAt).toBeNull();
  });

  it('takes epoch ms and RFC 3339 times, and a span of up to 30 days', () => {
    const span = valueOf({
      title: 'Campaign',
      text: 'Line one\nline two\n',
      startsAt: '2026-12-06T15:30:00+01:00',
      endsAt: START + 30 * DAY,
      metrics: ['purchases', 'signups', 'purchases'],
      tags: ['campaign', 'q4.2026', 'campaign'],
    });
    expect(span).toEqual({
      title: 'Campaign',
      text: 'Line one\nline two',
      startsAt: START,
      endsAt: START + 30 * DAY,
      metrics: ['purchases', 'signups'],
      tags: ['campaign', 'q4.2026'],
    });
    // An end equal to the start is allowed (a span of nothing).
    expect(valueOf({ title: 'x', startsAt: START, endsAt: START }).endsAt).toBe(START);
  });

  it('names every wrong field in a sentence', () => {
    expect(errorsOf({})).toEqual({
      title: 'Give the annotation a title.',
      startsAt: expect.stringMatching(/^Say when it happened: epoch milliseconds or an ISO 8601/),
    });
    expect(errorsOf('not an object')).toMatchObject({ title: 'Give the annotation a title.' });
    expect(
      errorsOf({
        title: 'x'.repeat(121),
        text: 'y'.repeat(2001),
        startsAt: 'yesterday',
        endsAt: 1.5,
        metrics: 'purchases',
        tags: ['Deploy'],
      }),
    ).toEqual({
      title: 'Titles are at most 120 characters.',
      text: 'The text is at most 2000 characters.',
      startsAt:
        'Give the start as epoch milliseconds or an ISO 8601 date and time with its offset, such as 2026-12-06T14:30:00Z.',
      endsAt: 'The end in epoch milliseconds must be a whole number.',
      metrics:
        'List the keys of the metrics it concerns, such as ["purchases"] (none: every metric).',
      tags: '"Deploy" is not a tag: tags are lowercase letters, digits, _ . or -, starting with a letter or digit (at most 32 characters).',
    });
  });

  it('counts characters, not UTF-16 units', () => {
    expect(valueOf({ title: '🚀'.repeat(120), startsAt: START }).title).toHaveLength(240);
    expect(errorsOf({ title: '🚀'.repeat(121), startsAt: START }).title).toMatch(/at most 120/);
  });

  it('refuses an end before the start, and a span over 30 days', () => {
    expect(errorsOf({ title: 'x', startsAt: START, endsAt: START - 1 })).toEqual({
      endsAt: 'The end must not be before the start.',
    });
    expect(errorsOf({ title: 'x', startsAt: START, endsAt: START + 30 * DAY + 1 })).toEqual({
      endsAt: 'An annotation spans at most 30 days.',
    });
  });

  it('refuses metric keys and tags that break their pattern, and too many of them', () => {
    expect(errorsOf({ title: 'x', startsAt: START, metrics: ['Purchases'] }).metrics).toBe(
      '"Purchases" is not a metric key: keys are lowercase letters, digits, _ or -, starting with a letter (at most 48 characters).',
    );
    expect(errorsOf({ title: 'x', startsAt: START, metrics: [1] }).metrics).toMatch(/^List the/);
    expect(
      errorsOf({
        title: 'x',
        startsAt: START,
        metrics: Array.from({ length: 51 }, (_, i) => `m${i}`),
      }).metrics,
    ).toBe('Name at most 50 metrics (or none: every metric).');
    expect(
      errorsOf({ title: 'x', startsAt: START, tags: Array.from({ length: 11 }, (_, i) => `t${i}`) })
        .tags,
    ).toBe('Use at most 10 tags.');
    expect(errorsOf({ title: 'x', startsAt: START, tags: ['a'.repeat(33)] }).tags).toMatch(
      /is not a tag/,
    );
    expect(valueOf({ title: 'x', startsAt: START, tags: ['a'.repeat(32)] }).tags).toHaveLength(1);
    // A long bad value is cut in the message.
    expect(
      errorsOf({ title: 'x', startsAt: START, tags: ['X'.repeat(500)] }).tags!.length,
    ).toBeLessThan(200);
  });

  it('refuses control characters anywhere, line breaks outside the text', () => {
    expect(errorsOf({ title: 'a\nb', startsAt: START }).title).toMatch(/line break/i);
    expect(errorsOf({ title: 'a\u202eb', startsAt: START }).title).toBeDefined();
    expect(errorsOf({ title: 'x', text: 'a\u0000b', startsAt: START }).text).toBeDefined();
    expect(valueOf({ title: 'x', text: 'a\r\n\tb', startsAt: START }).text).toBe('a\r\n\tb');
    expect(errorsOf({ title: 'x', startsAt: START, tags: ['a\u202eb'] }).tags).not.toContain(
      '\u202e',
    );
  });
});

describe('parseAnnotationTime', () => {
  it('reads epoch ms (numbers and digit strings) and RFC 3339 with an offset', () => {
    expect(parseAnnotationTime(START, 'The start')).toEqual({ ok: true, value: START });
    expect(parseAnnotationTime(String(START), 'The start')).toEqual({ ok: true, value: START });
    expect(parseAnnotationTime('2026-12-06T14:30:00.000Z', 'The start')).toEqual({
      ok: true,
      value: START,
    });
  });

  it('refuses times without an offset, impossible dates, seconds and the far future', () => {
    for (const value of ['2026-12-06T14:30:00', '2026-02-30T00:00:00Z', '', true, {}, NaN]) {
      expect(parseAnnotationTime(value, 'The start').ok).toBe(false);
    }
    expect(parseAnnotationTime(1_765_000_000, 'The start')).toEqual({
      ok: false,
      error: 'The start is before 2000: give epoch milliseconds (not seconds) or an ISO 8601 time.',
    });
    expect(parseAnnotationTime(ANNOTATION_LIMITS.maxTime + 1, 'The end')).toEqual({
      ok: false,
      error: 'The end is after year 9999.',
    });
  });
});

describe('AnnotationBody', () => {
  it('refuses unknown fields and parses a good body to the normalised input', () => {
    const unknown = AnnotationBody.safeParse({ title: 'x', startsAt: START, evil: 1 });
    expect(unknown.success).toBe(false);
    expect(unknown.error!.issues[0]).toMatchObject({ code: 'unrecognized_keys', keys: ['evil'] });
    expect(AnnotationBody.parse({ title: 'x', startsAt: START })).toMatchObject({
      title: 'x',
      endsAt: null,
    });
  });

  it('reports one issue per field with its path', () => {
    const result = AnnotationBody.safeParse({ title: '', startsAt: START, endsAt: START - 1 });
    expect(result.error!.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['title', 'Give the annotation a title.'],
      ['endsAt', 'The end must not be before the start.'],
    ]);
  });
});

describe('overlaps and concerns', () => {
  it('an instant overlaps a range that holds it; a span one it intersects, ends included', () => {
    const instant = { startsAt: 100, endsAt: null };
    expect(overlaps(instant, 100, 200)).toBe(true);
    expect(overlaps(instant, 0, 100)).toBe(true);
    expect(overlaps(instant, 101, 200)).toBe(false);
    const span = { startsAt: 100, endsAt: 200 };
    expect(overlaps(span, 150, 160)).toBe(true);
    expect(overlaps(span, 0, 100)).toBe(true);
    expect(overlaps(span, 200, 300)).toBe(true);
    expect(overlaps(span, 201, 300)).toBe(false);
    expect(overlaps(span, 0, 99)).toBe(false);
  });

  it('no metrics concerns every metric', () => {
    expect(concerns({ metrics: [] }, 'purchases')).toBe(true);
    expect(concerns({ metrics: ['purchases'] }, 'purchases')).toBe(true);
    expect(concerns({ metrics: ['signups'] }, 'purchases')).toBe(false);
  });
});
