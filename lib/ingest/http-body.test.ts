import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admit,
  BodyCollector,
  checkContentLength,
  parseBearer,
  splitBody,
  type AdmissionState,
} from './http-body';

const KEY = `pk_${'A'.repeat(20)}-_${'z'.repeat(21)}`;
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('parseBearer', () => {
  it('takes a well-formed key from a Bearer header', () => {
    expect(parseBearer(`Bearer ${KEY}`)).toBe(KEY);
    expect(parseBearer(`bearer   ${KEY}  `)).toBe(KEY);
  });

  it('refuses missing headers, other schemes and anything that cannot be a key', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${KEY}`,
      KEY,
      `Bearer ${KEY} extra`,
      `Bearer ${KEY.slice(0, -1)}`,
      `Bearer ${KEY}A`,
      `Bearer sk_${KEY.slice(3)}`,
      `Bearer ${KEY.slice(0, -1)}=`,
      `Bearer ${KEY.slice(0, -1)}\n`,
      [`Bearer ${KEY}`],
    ]) {
      expect(parseBearer(header)).toBeNull();
    }
  });

  it('never throws and only ever answers a string shaped like a key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (header) => {
        const key = parseBearer(header);
        expect(key === null || /^pk_[A-Za-z0-9_-]{43}$/.test(key)).toBe(true);
      }),
    );
  });
});

describe('checkContentLength', () => {
  it('passes no header and lengths within the limit', () => {
    expect(checkContentLength(undefined, 100)).toEqual({ ok: true, length: null });
    expect(checkContentLength('0', 100)).toEqual({ ok: true, length: 0 });
    expect(checkContentLength('100', 100)).toEqual({ ok: true, length: 100 });
  });

  it('answers 413 over the limit and 400 for nonsense', () => {
    expect(checkContentLength('101', 100)).toMatchObject({ ok: false, status: 413 });
    expect(checkContentLength('99999999999999', 100)).toMatchObject({ ok: false, status: 413 });
    for (const bad of ['-1', '1.5', 'abc', '', '1e3', ['1', '2']]) {
      expect(checkContentLength(bad, 100)).toMatchObject({ ok: false, status: 400 });
    }
  });
});

describe('BodyCollector', () => {
  it('keeps a body up to the limit exactly and refuses the chunk that crosses it', () => {
    const c = new BodyCollector(10);
    expect(c.push(utf8('12345'))).toBe(true);
    expect(c.push(utf8('67890'))).toBe(true);
    expect(c.text()).toBe('1234567890');
    expect(c.push(utf8('x'))).toBe(false);
    expect(c.tooLarge).toBe(true);
    expect(c.push(utf8(''))).toBe(false);
    expect(() => c.text()).toThrow();
  });

  it('decodes UTF-8 split across chunks, drops a BOM, replaces invalid bytes', () => {
    const bytes = utf8('\ufeff{"v":"é€😀"}');
    const c = new BodyCollector(1000);
    for (const byte of bytes) c.push(new Uint8Array([byte]));
    expect(c.text()).toBe('{"v":"é€😀"}');
    const bad = new BodyCollector(10);
    bad.push(new Uint8Array([0x61, 0xff, 0x62]));
    expect(bad.text()).toBe('a\ufffdb');
  });

  it('accepts a body iff its total size is within the limit, however it is chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.nat({ max: 700 }),
        (chunks, limit) => {
          const c = new BodyCollector(limit);
          const total = chunks.reduce((n, chunk) => n + chunk.byteLength, 0);
          const verdicts = chunks.map((chunk) => c.push(chunk));
          expect(c.tooLarge).toBe(total > limit);
          // Once refused, always refused: nothing after the crossing chunk is kept.
          const firstRefused = verdicts.indexOf(false);
          if (firstRefused >= 0) expect(verdicts.slice(firstRefused).every((v) => !v)).toBe(true);
        },
      ),
    );
  });
});

describe('splitBody', () => {
  it('calls blank bodies empty', () => {
    for (const body of ['', ' ', '\n\r\n\t ', '\ufeff', '\ufeff \n']) {
      expect(splitBody(body)).toEqual({ kind: 'empty' });
    }
  });

  it('splits NDJSON into non-blank lines, LF or CRLF, last newline optional', () => {
    expect(splitBody('{"a":1}\n{"b":2}')).toEqual({
      kind: 'records',
      format: 'ndjson',
      records: ['{"a":1}', '{"b":2}'],
    });
    expect(splitBody('\ufeff{"a":1}\r\n\r\n  \n{"b":2}\r\n')).toMatchObject({
      records: ['{"a":1}', '{"b":2}'],
    });
    // Lines are kept as sent: the pipeline judges them (and keeps their raw text).
    expect(splitBody('not json\n {"x": 1} ')).toMatchObject({
      records: ['not json', ' {"x": 1} '],
    });
  });

  it('re-serialises each element of a JSON array as one record', () => {
    const events = [{ ts: 1, type: 'a' }, 5, 'text', null, [1, 2], { __proto__: 1 }];
    const body = ` \n${JSON.stringify(events)}\n`;
    const split = splitBody(body);
    expect(split).toMatchObject({ kind: 'records', format: 'json-array' });
    if (split.kind !== 'records') return;
    expect(split.records).toHaveLength(events.length);
    expect(split.records.map((r) => JSON.parse(r) as unknown)).toEqual(
      JSON.parse(JSON.stringify(events)),
    );
    // An own "__proto__" key survives (the event validator rejects it by name).
    expect(splitBody('[{"__proto__":{"x":1}}]')).toMatchObject({
      records: ['{"__proto__":{"x":1}}'],
    });
    expect(splitBody('[]')).toEqual({ kind: 'records', format: 'json-array', records: [] });
  });

  it('calls a body that starts with [ but is no JSON array malformed, with the parser’s reason', () => {
    for (const body of ['[', '[{"ts":1}', '[1,]', '[1] [2]', '[1]\n[2]', '[{"a":1}]x']) {
      const split = splitBody(body);
      expect(split.kind).toBe('malformed');
      if (split.kind === 'malformed') {
        expect(split.detail).toMatch(/^body: not a valid JSON array/);
        expect(split.detail.length).toBeLessThanOrEqual(300);
      }
    }
  });

  it('refuses an element too deeply nested to re-serialise', () => {
    const depth = 200_000;
    const split = splitBody(`[${'['.repeat(depth)}${']'.repeat(depth)}]`);
    expect(split).toEqual({ kind: 'malformed', detail: 'body: element 0 is nested too deeply' });
  });

  it('NDJSON: every non-blank line is one record, in order, unchanged', () => {
    const line = fc
      .string({ unit: 'binary', maxLength: 40 })
      .map((s) => s.replace(/[\r\n]/g, ''))
      .filter((s) => !s.trimStart().startsWith('[') && !s.startsWith('\ufeff'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.boolean(), (lines, crlf) => {
        const body = lines.join(crlf ? '\r\n' : '\n');
        // Blank as splitBody (and the pipeline) mean it: what String#trim strips, which
        // includes \v, \f and Unicode spaces, not just [ \t\r\n].
        const expected = lines.filter((l) => l.trim() !== '');
        const split = splitBody(body);
        if (expected.length === 0) expect(split).toEqual({ kind: 'empty' });
        else if (body.trimStart().startsWith('[')) expect(split.kind).not.toBe('empty');
        else expect(split).toEqual({ kind: 'records', format: 'ndjson', records: expected });
      }),
    );
  });

  it('JSON arrays: one record per element, each parsing back to the element', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), (values) => {
        const split = splitBody(JSON.stringify(values));
        expect(split).toMatchObject({ kind: 'records', format: 'json-array' });
        if (split.kind !== 'records') return;
        expect(split.records.map((r) => JSON.parse(r) as unknown)).toEqual(
          JSON.parse(JSON.stringify(values)),
        );
      }),
    );
  });

  it('never throws, on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const split = splitBody(text);
        expect(['empty', 'records', 'malformed']).toContain(split.kind);
        if (split.kind === 'records') {
          for (const record of split.records) expect(record.trim()).not.toBe('');
        }
      }),
    );
  });
});

describe('admit', () => {
  const state: AdmissionState = {
    pendingEvents: 0,
    maxPendingEvents: 100,
    backlogged: false,
    retryDelayMs: 0,
  };

  it('admits up to the limit of waiting events, then asks to retry in a second', () => {
    expect(admit(state, 100)).toEqual({ ok: true });
    expect(admit({ ...state, pendingEvents: 60 }, 40)).toEqual({ ok: true });
    expect(admit({ ...state, pendingEvents: 60 }, 41)).toMatchObject({
      ok: false,
      status: 429,
      retryAfterSeconds: 1,
    });
    expect(admit({ ...state, pendingEvents: 99 }, 0)).toEqual({ ok: true });
    expect(admit({ ...state, pendingEvents: 100 }, 0)).toMatchObject({ status: 429 });
  });

  it('refuses everything while a failed flush is held, for as long as its retry delay', () => {
    expect(admit({ ...state, backlogged: true, retryDelayMs: 0 }, 1)).toMatchObject({
      status: 429,
      retryAfterSeconds: 1,
    });
    expect(admit({ ...state, backlogged: true, retryDelayMs: 4001 }, 0)).toMatchObject({
      status: 429,
      retryAfterSeconds: 5,
    });
  });

  it('answers 413 to a request that could never fit', () => {
    expect(admit(state, 101)).toMatchObject({ ok: false, status: 413 });
  });

  it('never admits past the limit, and always gives a positive Retry-After', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.boolean(),
        fc.nat({ max: 20_000 }),
        fc.nat({ max: 1000 }),
        (pending, max, backlogged, retryDelayMs, incoming) => {
          const verdict = admit(
            { pendingEvents: pending, maxPendingEvents: max, backlogged, retryDelayMs },
            incoming,
          );
          if (verdict.ok) {
            expect(backlogged).toBe(false);
            if (incoming > 0) expect(pending + incoming).toBeLessThanOrEqual(max);
            else expect(pending).toBeLessThan(max);
          } else if (verdict.status === 429) {
            expect(verdict.retryAfterSeconds).toBeGreaterThanOrEqual(1);
            expect(Number.isInteger(verdict.retryAfterSeconds)).toBe(true);
          } else {
            expect(incoming).toBeGreaterThan(max);
          }
        },
      ),
    );
  });
});
