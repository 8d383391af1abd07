import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  EVENT_LIMITS,
  parseEventLine,
  parseRfc3339,
  utf8ByteLength,
  validateEvent,
} from './events';
import { QUARANTINE_REASONS } from './types';

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
    const dims = Object.fromEntries(
      Array.from({ length: EVENT_LIMITS.maxDims }, (_, i) => [`d${i}`, 'v'.repeat(128)]),
    );
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
