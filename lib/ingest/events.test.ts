import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  dimsBytes,
  EVENT_LIMITS,
  parseRfc3339,
  validateEventSlow,
  type ParseResult,
  type ValidationResult,
} from './contract';
import { parseEventLine, utf8ByteLength, validateEvent } from './events';
import { parseRfc3339Fast, validateEventFast } from './fast-validate';
import { isStorableText, storableText } from './text';
import { QUARANTINE_REASONS } from '@/lib/types';

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const valid = {
  ts: NOW - 1000,
  type: 'api_request',
  dims: { region: 'eu-west', device: 'android' },
  measures: { latency_ms: 123.5 },
  id: 'evt-1',
};

function rejection(raw: unknown): { reason: string; detail: string } {
  const result = validateEvent(raw, NOW);
  if (result.ok) throw new Error(`expected rejection, got ${JSON.stringify(result.event)}`);
  return { reason: result.reason, detail: result.detail };
}

describe('validateEvent: accepted', () => {
  it('accepts a full event and keeps every field', () => {
    expect(validateEvent(valid, NOW)).toEqual({ ok: true, event: valid });
  });

  it('defaults dims and measures to empty objects and omits a missing id', () => {
    const result = validateEvent({ ts: NOW, type: 'page_view' }, NOW);
    expect(result).toEqual({
      ok: true,
      event: { ts: NOW, type: 'page_view', dims: {}, measures: {} },
    });
    expect(result.ok && 'id' in result.event).toBe(false);
  });

  it.each([
    ['2025-06-01T11:59:00Z', NOW - MINUTE],
    ['2025-06-01T11:59:00.250Z', NOW - MINUTE + 250],
    ['2025-06-01T11:59:00.123456789Z', NOW - MINUTE + 123],
    ['2025-06-01t11:59:00z', NOW - MINUTE],
    ['2025-06-01T13:59:00+02:00', NOW - MINUTE],
    ['2025-06-01T06:29:00-05:30', NOW - MINUTE],
  ])('parses RFC 3339 timestamp %s', (ts, expected) => {
    const result = validateEvent({ ts, type: 'page_view' }, NOW);
    expect(result.ok && result.event.ts).toBe(expected);
  });

  it('accepts the exact bounds of the time window', () => {
    for (const ts of [NOW - 7 * DAY, NOW + 5 * MINUTE]) {
      expect(validateEvent({ ts, type: 'x' }, NOW).ok).toBe(true);
    }
  });

  it('accepts names and values at their limits', () => {
    // 16 names d0…d15 (70 bytes quoted) and values of 15 × 130 + 28 bytes quoted: 2,048 in all.
    const dims = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxDims }, (_, i) => [
        `d${i}`,
        'v'.repeat(i < 15 ? 128 : 26),
      ]),
    );
    expect(dimsBytes(dims)).toBe(EVENT_LIMITS.maxDimsBytes);
    const measures = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxMeasures }, (_, i) => [`m${i}`, -i * 1.5]),
    );
    const raw = {
      ts: NOW,
      type: `a${'b'.repeat(63)}`,
      dims: { ...dims },
      measures,
      id: 'i'.repeat(128),
    };
    expect(validateEvent(raw, NOW).ok).toBe(true);
    expect(
      validateEvent({ ts: NOW, type: 'app.v2_x-y', dims: { [`k${'_'.repeat(31)}`]: 'v' } }, NOW).ok,
    ).toBe(true);
  });
});

describe('validateEvent: rejected', () => {
  it.each<[string, unknown, string, string]>([
    ['not an object', 42, 'schema', 'event: expected a JSON object'],
    ['null', null, 'schema', 'event: expected a JSON object'],
    ['an array', [], 'schema', 'event: expected a JSON object'],
    ['missing ts', { type: 'x' }, 'schema', 'ts: is required'],
    [
      'ts of the wrong type',
      { ts: true, type: 'x' },
      'schema',
      'ts: expected an RFC 3339 string or epoch milliseconds',
    ],
    ['missing type', { ts: NOW }, 'schema', 'type: is required'],
    ['type not a string', { ts: NOW, type: 7 }, 'schema', 'type: expected string'],
    ['type with upper case', { ts: NOW, type: 'Purchase' }, 'schema', 'type: must match'],
    ['type starting with a digit', { ts: NOW, type: '1x' }, 'schema', 'type: must match'],
    ['type too long', { ts: NOW, type: `a${'b'.repeat(64)}` }, 'schema', 'type: must match'],
    ['empty type', { ts: NOW, type: '' }, 'schema', 'type: must match'],
    [
      'unknown top-level key',
      { ts: NOW, type: 'x', user: 'u' },
      'schema',
      'event: unknown field "user"',
    ],
    [
      'two unknown keys',
      { ts: NOW, type: 'x', a: 1, b: 2 },
      'schema',
      'event: unknown fields "a", "b"',
    ],
    [
      'dims not an object',
      { ts: NOW, type: 'x', dims: 'eu' },
      'schema',
      'dims: expected an object of strings',
    ],
    [
      'dims null',
      { ts: NOW, type: 'x', dims: null },
      'schema',
      'dims: expected an object of strings',
    ],
    [
      'dim value a number',
      { ts: NOW, type: 'x', dims: { region: 1 } },
      'schema',
      'dims.region: expected string',
    ],
    [
      'dim value empty',
      { ts: NOW, type: 'x', dims: { region: '' } },
      'schema',
      'dims.region: must not be empty',
    ],
    [
      'dim value too long',
      { ts: NOW, type: 'x', dims: { region: 'r'.repeat(129) } },
      'schema',
      'dims.region: must be at most 128 characters',
    ],
    [
      'dim key with upper case',
      { ts: NOW, type: 'x', dims: { Region: 'a' } },
      'schema',
      'dims.Region: name must match',
    ],
    [
      'dim key too long',
      { ts: NOW, type: 'x', dims: { [`k${'a'.repeat(32)}`]: 'a' } },
      'schema',
      'name must match',
    ],
    [
      'dim key "*"',
      { ts: NOW, type: 'x', dims: { '*': 'a' } },
      'schema',
      'dims.*: name must match',
    ],
    [
      'measure a string',
      { ts: NOW, type: 'x', measures: { latency_ms: '12' } },
      'schema',
      'measures.latency_ms: must be a finite number',
    ],
    [
      'measure infinite',
      { ts: NOW, type: 'x', measures: { latency_ms: Infinity } },
      'schema',
      'measures.latency_ms: must be a finite number',
    ],
    [
      'measure NaN',
      { ts: NOW, type: 'x', measures: { latency_ms: NaN } },
      'schema',
      'measures.latency_ms: must be a finite number',
    ],
    [
      'measure key invalid',
      { ts: NOW, type: 'x', measures: { 'a-b': 1 } },
      'schema',
      'measures.a-b: name must match',
    ],
    [
      'measures an array',
      { ts: NOW, type: 'x', measures: [1] },
      'schema',
      'measures: expected an object of numbers',
    ],
    ['id a number', { ts: NOW, type: 'x', id: 5 }, 'schema', 'id: expected string'],
    ['id empty', { ts: NOW, type: 'x', id: '' }, 'schema', 'id: must not be empty'],
    [
      'dim value holding NUL',
      { ts: NOW, type: 'x', dims: { k: 'a\u0000b' } },
      'schema',
      'dims.k: must not contain NUL (U+0000) or an unpaired surrogate',
    ],
    [
      'dim value holding a lone surrogate',
      { ts: NOW, type: 'x', dims: { k: 'a\ud800' } },
      'schema',
      'dims.k: must not contain NUL (U+0000) or an unpaired surrogate',
    ],
    [
      'id holding NUL',
      { ts: NOW, type: 'x', id: '\u0000' },
      'schema',
      'id: must not contain NUL (U+0000) or an unpaired surrogate',
    ],
    [
      'dims over 2,048 bytes as JSON',
      {
        ts: NOW,
        type: 'x',
        dims: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`d${i}`, '"'.repeat(64)])),
      },
      'schema',
      'dims: at most 2048 bytes in all, written as JSON',
    ],
    [
      'measure whose square would overflow a sum',
      { ts: NOW, type: 'x', measures: { m: 1e308 } },
      'schema',
      'measures.m: must be between -1e15 and 1e15',
    ],
    [
      'measure below -1e15',
      { ts: NOW, type: 'x', measures: { m: -1e15 - 1 } },
      'schema',
      'measures.m: must be between -1e15 and 1e15',
    ],
    [
      'id too long',
      { ts: NOW, type: 'x', id: 'i'.repeat(129) },
      'schema',
      'id: must be at most 128 characters',
    ],
    [
      'ts not RFC 3339',
      { ts: '1 June 2025', type: 'x' },
      'bad_timestamp',
      'ts: not an RFC 3339 date-time',
    ],
    [
      'ts without offset',
      { ts: '2025-06-01T12:00:00', type: 'x' },
      'bad_timestamp',
      'ts: not an RFC 3339',
    ],
    ['ts date only', { ts: '2025-06-01', type: 'x' }, 'bad_timestamp', 'ts: not an RFC 3339'],
    ['ts numeric string', { ts: String(NOW), type: 'x' }, 'bad_timestamp', 'ts: not an RFC 3339'],
    [
      'ts on Feb 30',
      { ts: '2025-02-30T00:00:00Z', type: 'x' },
      'bad_timestamp',
      'ts: not an RFC 3339',
    ],
    [
      'ts at hour 24',
      { ts: '2025-06-01T24:00:00Z', type: 'x' },
      'bad_timestamp',
      'ts: not an RFC 3339',
    ],
    [
      'ts fractional ms',
      { ts: NOW + 0.5, type: 'x' },
      'bad_timestamp',
      'ts: epoch milliseconds must be an integer',
    ],
    ['ts infinite', { ts: Infinity, type: 'x' }, 'schema', 'ts: expected an RFC 3339 string'],
    [
      'ts too old',
      { ts: NOW - 7 * DAY - 1, type: 'x' },
      'bad_timestamp',
      'ts: too old (7d before now',
    ],
    ['ts in seconds', { ts: Math.floor(NOW / 1000), type: 'x' }, 'bad_timestamp', 'ts: too old'],
    [
      'ts too far ahead',
      { ts: NOW + 5 * MINUTE + 1, type: 'x' },
      'future',
      'ts: too far in the future (5m after now',
    ],
    [
      'ts string in the future',
      { ts: '2025-06-02T12:00:00Z', type: 'x' },
      'future',
      'ts: too far in the future (1d',
    ],
  ])('rejects %s', (_name, raw, reason, detail) => {
    const result = rejection(raw);
    expect(result.reason).toBe(reason);
    expect(result.detail).toContain(detail);
  });

  it('rejects more than 16 dims or measures', () => {
    const many = (n: number, value: unknown) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
    expect(rejection({ ts: NOW, type: 'x', dims: many(17, 'v') })).toEqual({
      reason: 'schema',
      detail: 'dims: at most 16 dimensions',
    });
    expect(rejection({ ts: NOW, type: 'x', measures: many(17, 1) })).toEqual({
      reason: 'schema',
      detail: 'measures: at most 16 measures',
    });
  });

  it('reports schema errors before timestamp errors, several at once, bounded', () => {
    const { reason, detail } = rejection({
      ts: 'garbage',
      type: 'X',
      dims: { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 },
    });
    expect(reason).toBe('schema');
    expect(detail).toMatch(/^type: must match .*; dims\.a: expected string; .* \(\+2 more\)$/);
  });

  it('bounds long key names in the detail', () => {
    const { detail } = rejection({ ts: NOW, type: 'x', ['k'.repeat(5000)]: 1 });
    expect(detail.length).toBeLessThan(120);
    expect(detail).toContain('…');
  });

  it('rejects a __proto__ key instead of letting it through', () => {
    const raw: unknown = JSON.parse(`{"ts":${NOW},"type":"x","__proto__":{"polluted":1}}`);
    expect(rejection(raw)).toEqual({
      reason: 'schema',
      detail: 'event: unknown field "__proto__"',
    });
    expect(rejection(JSON.parse(`{"ts":${NOW},"type":"x","dims":{"__proto__":"a"}}`)).detail).toBe(
      'dims.__proto__: name must match ^[a-z][a-z0-9_]{0,31}$',
    );
  });
});

describe('parseRfc3339', () => {
  it('handles leap days and offsets', () => {
    expect(parseRfc3339('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseRfc3339('2023-02-29T00:00:00Z')).toBeNull();
    expect(parseRfc3339('2024-01-01T00:00:00+23:59')).toBe(
      Date.UTC(2024, 0, 1) - (23 * 60 + 59) * MINUTE,
    );
    expect(parseRfc3339('2024-01-01T00:00:00+24:00')).toBeNull();
    expect(parseRfc3339('2024-01-01T00:00:60Z')).toBeNull();
    expect(parseRfc3339('2024-01-01 00:00:00Z')).toBeNull();
  });
});

describe('utf8ByteLength', () => {
  it('matches Buffer.byteLength for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
      }),
    );
    expect(utf8ByteLength('\ud800x')).toBe(Buffer.byteLength('\ud800x'));
    expect(utf8ByteLength('x\udc00')).toBe(Buffer.byteLength('x\udc00'));
  });
});

describe('parseEventLine', () => {
  it('returns the validated event for a good line', () => {
    expect(parseEventLine(JSON.stringify(valid), NOW, 'http')).toEqual({ ok: true, event: valid });
  });

  it('quarantines malformed JSON with the parser message', () => {
    const result = parseEventLine('{"ts": 1,', NOW, 'file:a.jsonl');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.quarantined).toMatchObject({
      reason: 'malformed_json',
      raw: '{"ts": 1,',
      rawSize: 9,
      source: 'file:a.jsonl',
    });
    expect(result.quarantined.detail).toMatch(/^event: /);
  });

  it.each(['', '   ', 'null', '[1,2]', '"str"', '12'])(
    'quarantines the non-event line %j',
    (line) => {
      const result = parseEventLine(line, NOW, 's');
      expect(result.ok).toBe(false);
    },
  );

  it('quarantines validation failures with their reason and detail', () => {
    const result = parseEventLine(
      JSON.stringify({ ...valid, ts: NOW + DAY }),
      NOW,
      'kafka:events/0',
    );
    expect(!result.ok && result.quarantined.reason).toBe('future');
    expect(!result.ok && result.quarantined.detail).toContain('ts: too far in the future');
  });

  it('checks the byte size before parsing, counting multi-byte characters', () => {
    const line = (value: string) => `{"ts":${NOW},"type":"x","dims":{"a":"${value}"}}`;
    const room = 8192 - utf8ByteLength(line(''));
    const twoByte = Math.floor(room / 2);
    const fits = line('é'.repeat(twoByte) + 'a'.repeat(room - 2 * twoByte));
    expect(utf8ByteLength(fits)).toBe(8192);
    expect(parseEventLine(fits, NOW, 's')).toMatchObject({
      ok: false,
      quarantined: { reason: 'schema' },
    });
    const over = `${fits} `;
    const result = parseEventLine(over, NOW, 's');
    expect(result).toMatchObject({
      ok: false,
      quarantined: { reason: 'too_large', rawSize: 8193 },
    });
    expect(!result.ok && result.quarantined.detail).toBe('event: 8193 bytes exceeds 8192');
    expect(parseEventLine('x'.repeat(100_000), NOW, 's')).toMatchObject({
      ok: false,
      quarantined: { reason: 'too_large', rawSize: 100_000 },
    });
  });

  it('truncates the stored raw payload to 2048 characters without splitting a surrogate pair', () => {
    const line = `${'a'.repeat(2047)}😀${'b'.repeat(10)}`;
    const result = parseEventLine(line, NOW, 's');
    if (result.ok) throw new Error('expected quarantine');
    expect(result.quarantined.raw).toBe('a'.repeat(2047));
    expect(result.quarantined.rawSize).toBe(2047 + 4 + 10);
    const plain = parseEventLine('z'.repeat(5000), NOW, 's');
    expect(!plain.ok && plain.quarantined.raw.length).toBe(2048);
  });

  it('replaces NUL characters, which PostgreSQL text cannot store', () => {
    const result = parseEventLine('{"ts":1,\u0000}', NOW, 's');
    if (result.ok) throw new Error('expected quarantine');
    expect(result.quarantined.raw).toBe('{"ts":1,\uFFFD}');
    expect(result.quarantined.detail).not.toContain('\u0000');
    const key = parseEventLine(`{"ts":${NOW},"type":"x","a\\u0000":1}`, NOW, 's');
    expect(!key.ok && key.quarantined.detail).toBe('event: unknown field "a\\u0000"');
  });

  function checkOutcome(line: string): void {
    const result = parseEventLine(line, NOW, 'fuzz');
    if (result.ok) {
      expect(Object.keys(result)).toEqual(['ok', 'event']);
      expect(typeof result.event.ts).toBe('number');
    } else {
      expect(Object.keys(result)).toEqual(['ok', 'quarantined']);
      const q = result.quarantined;
      expect(QUARANTINE_REASONS).toContain(q.reason);
      expect(q.raw.length).toBeLessThanOrEqual(EVENT_LIMITS.maxQuarantinedRawChars);
      expect(q.rawSize).toBe(Buffer.byteLength(line, 'utf8'));
      expect(q.detail.length).toBeGreaterThan(0);
      expect(q.source).toBe('fuzz');
    }
  }

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkOutcome), {
      numRuns: 500,
    });
  });

  it('never throws on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => checkOutcome(JSON.stringify(value))),
      {
        numRuns: 500,
      },
    );
  });

  it('never throws on near-valid events', () => {
    const scalar = fc.oneof(
      fc.string(),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    const anything = fc.oneof(scalar, fc.dictionary(fc.string(), scalar), fc.array(scalar));
    const event = fc.record(
      {
        ts: fc.oneof(
          fc.integer({ min: NOW - 8 * DAY, max: NOW + 10 * MINUTE }),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          anything,
        ),
        type: fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_.-]{0,70}$/), anything),
        dims: fc.oneof(
          fc.dictionary(fc.stringMatching(/^[a-zA-Z_*]{1,40}$/), fc.oneof(fc.string(), anything)),
          anything,
        ),
        measures: fc.oneof(
          fc.dictionary(fc.stringMatching(/^[a-z]{1,5}$/), fc.oneof(fc.double(), anything)),
          anything,
        ),
        id: anything,
        extra: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(event, (value) => {
        checkOutcome(JSON.stringify(value));
        const direct = validateEvent(value, NOW);
        expect(direct.ok || (direct.reason.length > 0 && direct.detail.length > 0)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('fast path agrees with the zod path', () => {
  type Raw = Record<string, unknown>;
  type Mutation = (raw: Raw) => unknown;

  const YEAR_0 = Date.parse('0000-01-01T00:00:00Z');
  const YEAR_100 = Date.UTC(100, 0, 1);
  const YEAR_10000 = Date.UTC(10000, 0, 1);

  function isRecord(value: unknown): value is Raw {
    return typeof value === 'object' && value !== null;
  }

  /**
   * toStrictEqual, and what it does not see: key order and the sign of zero. `lineOrder`: the
   * event of a line is JSON.parse's own object (one allocation less per event on the hot path),
   * so its fields keep the line's order rather than the contract's; its records' keys keep
   * theirs either way.
   */
  function expectSameResult(
    actual: ValidationResult,
    expected: ValidationResult,
    lineOrder = false,
  ): void {
    expect(actual).toStrictEqual(expected);
    if (!actual.ok || !expected.ok) return;
    const shape = (event: typeof actual.event) => ({
      keys: lineOrder ? Object.keys(event).sort() : Object.keys(event),
      dims: Object.keys(event.dims),
      measures: Object.keys(event.measures),
      negativeZeros: [event.ts, ...Object.values(event.measures)].map((n) => Object.is(n, -0)),
    });
    expect(shape(actual.event)).toEqual(shape(expected.event));
  }

  /** validateEvent and parseEventLine on `raw` give what the zod path gives. */
  function expectAgreement(raw: unknown, now: number): void {
    const direct = validateEvent(raw, now);
    expectSameResult(direct, validateEventSlow(raw, now));
    if (direct.ok && isRecord(raw)) {
      // Like zod, the direct path copies: the event does not alias the caller's records.
      if (isRecord(raw.dims)) expect(direct.event.dims).not.toBe(raw.dims);
      if (isRecord(raw.measures)) expect(direct.event.measures).not.toBe(raw.measures);
    }
    let line: string | undefined;
    try {
      line = JSON.stringify(raw);
    } catch {
      return; // BigInt
    }
    if (line === undefined || utf8ByteLength(line) > EVENT_LIMITS.maxRawBytes) return;
    const expected = validateEventSlow(JSON.parse(line), now);
    const parsed = parseEventLine(line, now, 'prop');
    if (parsed.ok) {
      expectSameResult(parsed, expected, true);
    } else {
      const { reason, detail } = parsed.quarantined;
      expect({ ok: false, reason, detail }).toStrictEqual(
        expected.ok ? expected : { ...expected, detail: storableText(expected.detail) },
      );
    }
  }

  // Timestamps.

  const digits = (maxLength: number) =>
    fc.string({ unit: fc.constantFrom(...'0123456789'), maxLength });

  /** RFC 3339 renderings of an instant: any offset, fraction length and letter case. */
  function rfc3339(instant: fc.Arbitrary<number>): fc.Arbitrary<string> {
    return fc
      .record({
        instant,
        offset: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 })),
        // Kept digits of the milliseconds (1–3, the rest truncated), then extra digits.
        fraction: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), digits(9)), { nil: null }),
        t: fc.constantFrom('T', 't'),
        utc: fc.constantFrom('Z', 'z', '+00:00', '-00:00'),
      })
      .map(({ instant, offset, fraction, t, utc }) => {
        const local = new Date(instant + offset * MINUTE).toISOString();
        let text = `${local.slice(0, 10)}${t}${local.slice(11, 19)}`;
        if (fraction) text += `.${local.slice(20, 20 + fraction[0])}${fraction[1]}`;
        if (offset === 0) return text + utc;
        const abs = Math.abs(offset);
        const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        return `${text}${offset < 0 ? '-' : '+'}${hhmm}`;
      });
  }

  /** Instants from year 100 to 9999; month ends, Februaries, leap and century years weighted up. */
  const instantFrom100 = fc.oneof(
    fc.integer({ min: YEAR_100 + DAY, max: YEAR_10000 - 2 * DAY }),
    fc
      .tuple(
        fc.oneof(
          fc.integer({ min: 101, max: 9998 }),
          fc.integer({ min: 2, max: 99 }).map((century) => century * 100),
          fc.integer({ min: 26, max: 2499 }).map((quad) => quad * 4),
        ),
        fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 11 })),
      )
      .chain(([year, month]) =>
        fc.integer({ min: Date.UTC(year, month, 26), max: Date.UTC(year, month + 1, 2) }),
      ),
  );
  /** Any instant rendered with 4-digit years, the years Date.UTC maps onto the 1900s included. */
  const anyInstant = fc.oneof(
    instantFrom100,
    fc.integer({ min: YEAR_0 + DAY, max: YEAR_100 + 365 * DAY }),
  );

  const TS_CHARS = [...'0123456789TtZz+-:. x'];
  /** One character replaced, inserted or deleted. */
  const editText = fc
    .tuple(fc.nat(), fc.constantFrom(...TS_CHARS), fc.constantFrom('replace', 'insert', 'delete'))
    .map(([index, char, op]) => (text: string) => {
      const at = index % (text.length + 1);
      const tail = text.slice(op === 'insert' ? at : at + 1);
      return text.slice(0, at) + (op === 'delete' ? '' : char) + tail;
    });
  /** One numeric field set to any two digits: Feb 30, hour 24, second 60, offset 24:00… */
  const editField = fc
    .tuple(
      fc.constantFrom(0, 2, 5, 8, 11, 14, 17, -5, -2),
      fc.oneof(
        fc.integer({ min: 0, max: 99 }),
        fc.constantFrom(0, 1, 12, 13, 23, 24, 28, 29, 30, 31, 32, 59, 60),
      ),
    )
    .map(([field, value]) => (text: string) => {
      const hasOffset = /[+-]\d\d:\d\d$/.test(text);
      if (field < 0 && !hasOffset) return text;
      const at = field < 0 ? text.length + field : field;
      return text.slice(0, at) + String(value).padStart(2, '0') + text.slice(at + 2);
    });
  const nearRfc3339 = fc.oneof(
    rfc3339(anyInstant),
    fc.tuple(rfc3339(anyInstant), editText).map(([text, edit]) => edit(text)),
    fc.tuple(rfc3339(anyInstant), editField).map(([text, edit]) => edit(text)),
    fc.string({ unit: fc.constantFrom(...TS_CHARS), maxLength: 32 }),
    fc.string(),
  );

  it('parseRfc3339Fast answers as parseRfc3339 does, or not at all', () => {
    fc.assert(
      fc.property(nearRfc3339, (text) => {
        const fast = parseRfc3339Fast(text);
        if (!Number.isNaN(fast)) expect(fast).toBe(parseRfc3339(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('parseRfc3339Fast answers every well-formed date-time from year 100 on', () => {
    fc.assert(
      fc.property(rfc3339(instantFrom100), (text) => {
        expect(parseRfc3339(text)).not.toBeNull();
        expect(parseRfc3339Fast(text)).toBe(parseRfc3339(text));
      }),
      { numRuns: 2000 },
    );
    expect(parseRfc3339Fast('0099-12-31T23:59:59Z')).toBeNaN();
    expect(parseRfc3339Fast('0100-03-01T00:00:00Z')).toBe(parseRfc3339('0100-03-01T00:00:00Z'));
  });

  it('parseRfc3339Fast knows the calendar: month ends of leap, common and century years', () => {
    const years = Array.from({ length: 9900 }, (_, i) => 100 + i);
    const dates = (year: number) => {
      const months = year % 100 === 0 || (year >= 1890 && year <= 2110) ? 12 : 2;
      return Array.from({ length: months }, (_, m) =>
        [28, 29, 30, 31, 32].map(
          (day) =>
            `${String(year).padStart(4, '0')}-${String(m + 1).padStart(2, '0')}-${day}T23:59:59Z`,
        ),
      ).flat();
    };
    // Every date from year 100 is answered, and answered as parseRfc3339 answers it.
    const mismatches = years
      .flatMap(dates)
      .filter((text) => !Object.is(parseRfc3339Fast(text), parseRfc3339(text) ?? NaN));
    expect(mismatches).toEqual([]);
  });

  it.each([
    '2025-06-01T12:00:00Z',
    '2025-06-01T12:00:00.Z',
    '2025-06-01T12:00:00.5Z',
    '2025-06-01T12:00:00.05Z',
    '2025-06-01T12:00:00.1234567890123Z',
    '2025-06-01T24:00:00Z',
    '2025-06-01T23:60:00Z',
    '2025-06-01T23:59:60Z',
    '2025-00-01T12:00:00Z',
    '2025-13-01T12:00:00Z',
    '2025-06-00T12:00:00Z',
    '2025-06-31T12:00:00Z',
    '2025-06-01T12:00:00+24:00',
    '2025-06-01T12:00:00+23:60',
    '2025-06-01T12:00:00+23:59',
    '2025-06-01T12:00:00-23:59',
    '2025-06-01T12:00:00-00:00',
    '2025-06-01T12:00:00+0530',
    '2025-06-01T12:00:00+05:3',
    '2025-06-01T12:00:00+05:300',
    '2025-06-01T12:00:00ZZ',
    '2025-06-01T12:00:00Z ',
    ' 2025-06-01T12:00:00Z',
    '2025-06-01T12:00:00',
    '2025-06-01T12:00:00.000',
    '2025-06-01 12:00:00Z',
    '2025-06-01t12:00:00z',
    '2025-6-01T12:00:00Z',
    '+02025-06-01T12:00:00Z',
    '２025-06-01T12:00:00Z',
    '0000-01-01T00:00:00Z',
    '0099-12-31T23:59:59Z',
    '0100-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '1900-02-29T00:00:00Z',
    '2000-02-29T00:00:00Z',
    '2100-02-29T00:00:00Z',
  ])('parseRfc3339Fast answers %j as parseRfc3339 does, or not at all', (text) => {
    const fast = parseRfc3339Fast(text);
    if (!Number.isNaN(fast)) expect(fast).toBe(parseRfc3339(text));
    const ms = parseRfc3339(text) ?? NaN;
    // Accepted (or not) alike in an event, with `now` at the time the text would mean.
    for (const now of [NOW, ms, ms + DAY, Date.parse(text)].filter(Number.isFinite)) {
      expectAgreement({ ts: text, type: 'x' }, now);
    }
  });

  // Events.

  const typeName = fc.oneof(
    fc.stringMatching(/^[a-z][a-z0-9_.-]{0,63}$/),
    fc.constantFrom('api_request', 'a', `a${'b'.repeat(63)}`, 'app.v2_x-y'),
  );
  const keyName = fc.oneof(
    fc.stringMatching(/^[a-z][a-z0-9_]{0,31}$/),
    fc.constantFrom('region', 'constructor', `k${'_'.repeat(31)}`),
  );
  // Valid values only: storable text (binary strings may hold NUL or a lone surrogate).
  const dimValue = fc.oneof(
    fc.string({ minLength: 1, maxLength: 128 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).filter(isStorableText),
    fc.constantFrom('v'.repeat(128), '\uFFFD', ' ', '\t"\\'),
  );
  const measureValue = fc.oneof(
    fc.double({ noNaN: true, min: -EVENT_LIMITS.maxAbsMeasure, max: EVENT_LIMITS.maxAbsMeasure }),
    fc.integer(),
    fc.constantFrom(0, -0, 1e15, -1e15, -Number.MIN_VALUE),
  );
  const idValue = fc.oneof(
    fc.uuid(),
    fc.string({ minLength: 1, maxLength: 128 }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }).filter(isStorableText),
    fc.constantFrom('i'.repeat(128), undefined),
  );
  const nowValue = fc.oneof(
    fc.constant(NOW),
    fc.integer({ min: YEAR_100 + 8 * DAY, max: YEAR_10000 - 8 * DAY }),
    instantFrom100.filter((now) => now > YEAR_100 + 8 * DAY),
    fc.integer({ min: YEAR_0 + 8 * DAY, max: YEAR_100 + 365 * DAY }),
  );

  /** Valid events at `now` (save truncated fractions that fall just outside the window). */
  function validEvent(now: number): fc.Arbitrary<Raw> {
    const instant = fc.oneof(
      fc.integer({ min: now - 7 * DAY, max: now + 5 * MINUTE }),
      fc.constantFrom(now - 7 * DAY, now + 5 * MINUTE, now),
    );
    return fc.record(
      {
        ts: fc.oneof(instant, rfc3339(instant)),
        type: typeName,
        dims: fc
          .dictionary(keyName, dimValue, { maxKeys: 16, noNullPrototype: true })
          .filter((dims) => dimsBytes(dims) <= EVENT_LIMITS.maxDimsBytes),
        measures: fc.dictionary(keyName, measureValue, { maxKeys: 16, noNullPrototype: true }),
        id: idValue,
      },
      { requiredKeys: ['ts', 'type'], noNullPrototype: true },
    );
  }
  const atNow = nowValue.chain((now) => fc.tuple(fc.constant(now), validEvent(now)));

  it('accepts valid events on the fast path, exactly as the zod path does', () => {
    let accepted = 0;
    fc.assert(
      fc.property(atNow, ([now, raw]) => {
        expectAgreement(raw, now);
        const slow = validateEventSlow(raw, now);
        if (!slow.ok) return;
        accepted++;
        const year = new Date(slow.event.ts).getUTCFullYear();
        if (typeof raw.ts === 'string' && year < 101) return; // Date.UTC's 1900s: slow path
        // A caller's record with its own "constructor" goes to zod, which reads it.
        const ownsConstructor = [raw.dims, raw.measures].some(
          (record) => isRecord(record) && Object.hasOwn(record, 'constructor'),
        );
        expect(validateEventFast(raw, now, false)).toStrictEqual(
          ownsConstructor ? undefined : slow.event,
        );
        const parsed: unknown = JSON.parse(JSON.stringify(raw));
        const fromJson = validateEventSlow(parsed, now);
        expect(fromJson.ok).toBe(true);
        if (fromJson.ok) expect(validateEventFast(parsed, now, true)).toStrictEqual(fromJson.event);
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });

  const junk = fc.oneof(
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constantFrom(null, undefined, NaN, Infinity, -0),
    fc.array(fc.integer(), { maxLength: 2 }),
    fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
  );
  const anyKey = fc.oneof(
    fc.string(),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'toString',
      'Region',
      'a-b',
      'a.b',
      '*',
      '1a',
      '',
      `k${'a'.repeat(31)}`,
      `k${'a'.repeat(32)}`,
      'ts',
      'type',
      'extra',
      'user',
    ),
  );
  const nearLimit = fc.constantFrom(
    '',
    'v'.repeat(129),
    '😀'.repeat(64),
    '😀'.repeat(128),
    '😀'.repeat(129),
    `${'😀'.repeat(64)}v`,
    `${'v'.repeat(127)}\ud800`,
    `${'v'.repeat(128)}\ud800`,
  );
  /** One character of a name replaced or inserted: any ASCII, or a few look-alikes. */
  const editName = fc
    .tuple(
      fc.nat(),
      fc.oneof(
        fc.integer({ min: 0, max: 0x7f }).map((code) => String.fromCharCode(code)),
        // Neighbours of the allowed ranges, and look-alikes.
        fc.constantFrom(...'`{@[/:^,+AZaz09_.-', 'é', 'ı', '\u212a', '😀', '\ud800'),
      ),
      fc.boolean(),
    )
    .map(([index, char, insert]) => (name: string) => {
      const at = index % (name.length + (insert ? 1 : 0));
      return name.slice(0, at) + char + name.slice(insert ? at : at + 1);
    });
  const renameKey = (field: 'dims' | 'measures', value: unknown) =>
    editName.map((edit): Mutation => (raw) => {
      const entries = Object.entries((raw[field] as Raw | undefined) ?? {});
      const [key, v] = entries[0] ?? ['region', value];
      return { ...raw, [field]: Object.fromEntries([[edit(key), v], ...entries.slice(1)]) };
    });
  const many = (n: number, value: unknown): Raw =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value]));
  const withRecord = (field: 'dims' | 'measures', value: fc.Arbitrary<unknown>) =>
    fc.tuple(anyKey, value).map(([key, v]): Mutation => (raw) => ({
      ...raw,
      [field]: { ...(raw[field] as Raw | undefined), [key]: v },
    }));

  /** One field of a valid event broken (or pushed to its limit), the rest left alone. */
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    // ts
    junk.map((ts): Mutation => (raw) => ({ ...raw, ts })),
    fc
      .constantFrom(-1, 1, 0.5, -0.5, 1e-9, 5 * MINUTE, -7 * DAY)
      .map((delta): Mutation => (raw) => {
        const ms = typeof raw.ts === 'number' ? raw.ts : (parseRfc3339(String(raw.ts)) ?? NOW);
        return { ...raw, ts: ms + delta };
      }),
    fc
      .constantFrom<(ts: number) => unknown>(
        (ts) => String(ts),
        (ts) => Math.floor(ts / 1000),
        (ts) => new Date(ts).toISOString().slice(0, 19),
        (ts) => new Date(ts).toISOString().slice(0, 10),
        (ts) => new Date(ts).toISOString().replace('T', ' '),
        (ts) => new Date(ts).toUTCString(),
        (ts) => new Date(ts),
        () => Number.MAX_SAFE_INTEGER + 2,
      )
      .map((render): Mutation => (raw) => {
        const ms = typeof raw.ts === 'number' ? raw.ts : (parseRfc3339(String(raw.ts)) ?? NOW);
        return { ...raw, ts: render(ms) };
      }),
    fc.oneof(editText, editField).map(
      (edit): Mutation =>
        (raw) =>
          typeof raw.ts === 'string' ? { ...raw, ts: edit(raw.ts) } : raw,
    ),
    // type
    fc.oneof(junk, anyKey, nearLimit).map((type): Mutation => (raw) => ({ ...raw, type })),
    fc
      .constantFrom<(type: string) => string>(
        (type) => type.toUpperCase(),
        (type) => `${type}${'x'.repeat(64)}`.slice(0, 65),
        (type) => `${type} `,
        (type) => `1${type}`,
        (type) => `${type}\n`,
      )
      .map((edit): Mutation => (raw) => ({ ...raw, type: edit(String(raw.type)) })),
    editName.map((edit): Mutation => (raw) => ({ ...raw, type: edit(String(raw.type)) })),
    renameKey('dims', 'v'),
    renameKey('measures', 1),
    // dims and measures
    fc.oneof(junk, nearLimit).map((dims): Mutation => (raw) => ({ ...raw, dims })),
    withRecord('dims', fc.oneof(dimValue, junk, nearLimit)),
    junk.map((measures): Mutation => (raw) => ({ ...raw, measures })),
    withRecord('measures', fc.oneof(measureValue, junk)),
    fc.constantFrom<Mutation>(
      (raw) => ({ ...raw, dims: many(16, 'v') }),
      (raw) => ({ ...raw, dims: many(17, 'v') }),
      (raw) => ({ ...raw, measures: many(16, 1) }),
      (raw) => ({ ...raw, measures: many(17, 1) }),
      (raw) => ({ ...raw, dims: Object.assign(Object.create(null), raw.dims) }),
      (raw) => ({ ...raw, measures: Object.assign(Object.create(null), raw.measures) }),
      (raw) => ({ ...raw, dims: Object.values(raw.dims ?? {}) }),
      (raw) => ({ ...raw, dims: new Map(Object.entries(raw.dims ?? {})) }),
    ),
    // id
    fc.oneof(junk, nearLimit).map((id): Mutation => (raw) => ({ ...raw, id })),
    // an extra field, or the event itself
    fc.tuple(anyKey, junk).map(([key, value]): Mutation => (raw) => ({ ...raw, [key]: value })),
    fc.constantFrom<Mutation>(
      (raw) => [raw],
      (raw) => JSON.stringify(raw),
      (raw) => Object.assign(Object.create(null), raw),
      (raw) => Object.assign(new (class Event {})(), raw),
    ),
  );

  it('rejects and accepts mutated events exactly as the zod path does', () => {
    fc.assert(
      fc.property(atNow, mutation, ([now, raw], mutate) => expectAgreement(mutate(raw), now)),
      { numRuns: 3000 },
    );
  });

  it('checks names exactly as the patterns do', () => {
    const event = fc.record({
      type: fc.oneof(
        typeName,
        fc.tuple(typeName, editName).map(([name, edit]) => edit(name)),
      ),
      key: fc.oneof(
        keyName,
        fc.tuple(keyName, editName).map(([name, edit]) => edit(name)),
      ),
      measure: fc.oneof(
        keyName,
        fc.tuple(keyName, editName).map(([name, edit]) => edit(name)),
      ),
    });
    fc.assert(
      fc.property(event, ({ type, key, measure }) =>
        expectAgreement({ ts: NOW, type, dims: { [key]: 'v' }, measures: { [measure]: 1 } }, NOW),
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees on arbitrary values', () => {
    const anything = fc.anything({
      withBoxedValues: true,
      withMap: true,
      withSet: true,
      withObjectString: true,
      withNullPrototype: true,
      withDate: true,
      withTypedArray: true,
      withSparseArray: true,
      withBigInt: true,
    });
    const eventLike = fc.record(
      {
        ts: fc.oneof(
          fc.integer({ min: NOW - 8 * DAY, max: NOW + 10 * MINUTE }),
          nearRfc3339,
          anything,
        ),
        type: fc.oneof(typeName, anything),
        dims: fc.oneof(fc.dictionary(anyKey, fc.oneof(dimValue, anything)), anything),
        measures: fc.oneof(fc.dictionary(anyKey, fc.oneof(measureValue, anything)), anything),
        id: fc.oneof(idValue, anything),
        extra: anything,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(anything, fc.jsonValue(), eventLike), (raw) =>
        expectAgreement(raw, NOW),
      ),
      { numRuns: 2000 },
    );
  });

  it('agrees on objects that JSON cannot make', () => {
    const base = { ts: NOW, type: 'x', dims: { region: 'eu' }, measures: { n: 1 } };
    const hidden = (target: object, key: PropertyKey, value: unknown) =>
      Object.defineProperty(target, key, { value, enumerable: false });
    const cases: unknown[] = [
      { ...base, dims: { region: 'eu', [Symbol('s')]: 'x' } },
      { ...base, measures: { n: 1, [Symbol('s')]: 2 } },
      { ...base, [Symbol('s')]: 'x' },
      hidden({ ...base }, '__proto__', { polluted: 1 }),
      { ...base, dims: hidden({ region: 'eu' }, '__proto__', 'x') },
      { ...base, measures: hidden({ n: 1 }, '__proto__', 2) },
      { ...base, dims: hidden({ region: 'eu' }, 'constructor', class Dims {}) },
      { ...base, dims: hidden({ region: 'eu' }, 'hidden', 'x') },
      { ...base, dims: { region: 'eu', constructor: 'c' } },
      hidden({ ...base }, 'extra', 'x'),
      {
        ...base,
        get dims() {
          return { region: 'eu' };
        },
      },
      { ...base, dims: Object.create({ inherited: 'x' }) },
      Object.create(base),
      { ...base, dims: { region: '😀'.repeat(100) }, id: '😀'.repeat(128) },
    ];
    for (const raw of cases) expectAgreement(raw, NOW);
  });

  it('agrees when Object.prototype has enumerable keys', () => {
    const event = { ts: NOW, type: 'x', id: 'a' };
    const cases: [string, unknown, Raw][] = [
      ['polluted', 'x', { ...event, dims: { region: 'eu' } }],
      ['type', 'x', { ...event, dims: { region: 'eu' } }],
      ['id', 1, { ...event, measures: { n: 1 } }],
    ];
    const results: [unknown, ValidationResult, ValidationResult, ParseResult][] = [];
    for (const [key, value, raw] of cases) {
      // Enumerable on every object for a moment: unknown at the top level unless shadowed there,
      // and inherited, not own, in dims and measures.
      Object.defineProperty(Object.prototype, key, {
        value,
        enumerable: true,
        configurable: true,
        writable: true,
      });
      try {
        const line = JSON.stringify(raw);
        results.push([
          key,
          validateEvent(raw, NOW),
          validateEventSlow(raw, NOW),
          parseEventLine(line, NOW, 's'),
        ]);
      } finally {
        delete (Object.prototype as Record<string, unknown>)[key];
      }
    }
    for (const [, direct, slow, line] of results) {
      expectSameResult(direct, slow);
      const fromLine: ValidationResult = line.ok
        ? line
        : { ok: false, reason: line.quarantined.reason, detail: line.quarantined.detail };
      expectSameResult(fromLine, slow, true);
    }
    expect(results.map(([key, , slow]) => [key, slow.ok])).toEqual([
      ['polluted', false],
      ['type', true],
      ['id', true],
    ]);
  });

  it('copies the records of a caller-owned event', () => {
    const raw = { ts: NOW, type: 'x', dims: { region: 'eu' }, measures: { n: 1 } };
    const result = validateEvent(raw, NOW);
    raw.dims.region = 'us';
    raw.measures.n = 2;
    expect(result).toEqual({
      ok: true,
      event: { ts: NOW, type: 'x', dims: { region: 'eu' }, measures: { n: 1 } },
    });
  });
});
