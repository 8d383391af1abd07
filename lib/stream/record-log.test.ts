import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RecordLog } from './record-log';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('RecordLog', () => {
  it('gives back records given as bytes or text, in order, with their offsets', () => {
    const log = new RecordLog();
    log.pushBytes(bytes('{"a":1}'), 7);
    log.pushText('line \ud800 kept as is', 8);
    log.pushBytes(bytes('é€😀'), 2 ** 40);
    expect(log.length).toBe(3);
    expect(log.lines()).toEqual(['{"a":1}', 'line \ud800 kept as is', 'é€😀']);
    expect([0, 1, 2].map((i) => log.offset(i))).toEqual([7, 8, 2 ** 40]);
    expect(() => log.line(3)).toThrow(RangeError);
    expect(() => log.offset(-1)).toThrow(RangeError);
  });

  it('copies the bytes (the caller may reuse its buffer)', () => {
    const log = new RecordLog();
    const buffer = bytes('abc');
    log.pushBytes(buffer, 0);
    buffer[0] = 0x7a;
    expect(log.line(0)).toBe('abc');
  });

  it('grows past its first arrays and chunks, and holds a record larger than a chunk', () => {
    const log = new RecordLog();
    const big = 'x'.repeat(3 << 20);
    const expected: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const line = i === 2500 ? big : `{"i":${i},"pad":"${'p'.repeat(i % 900)}"}`;
      expected.push(line);
      if (i % 3 === 0) log.pushText(line, i);
      else log.pushBytes(bytes(line), i);
    }
    expect(log.length).toBe(5000);
    expect(log.lines()).toEqual(expected);
    expect(log.offset(4999)).toBe(4999);
  });

  it('decodes bytes as Buffer#toString does, invalid UTF-8 and byte order marks included', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const log = new RecordLog();
        log.pushBytes(raw, 0);
        log.pushBytes(Uint8Array.of(0xef, 0xbb, 0xbf, ...raw), 1);
        expect(log.line(0)).toBe(Buffer.from(raw).toString('utf8'));
        expect(log.line(1)).toBe(Buffer.from([0xef, 0xbb, 0xbf, ...raw]).toString('utf8'));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('RecordLog runs', () => {
  it('gives back every record and offset for any mix of kinds, gaps and repeats', () => {
    const record = fc.record({
      text: fc.string({ maxLength: 12 }),
      asBytes: fc.boolean(),
      // Mostly the next offset, sometimes a gap, a repeat or a step back.
      step: fc.oneof(fc.constant(1), fc.constant(1), fc.integer({ min: -3, max: 1000 })),
    });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 60 }), fc.nat(2 ** 40), (records, first) => {
        const log = new RecordLog();
        const expected: { line: string; offset: number }[] = [];
        let offset = first;
        for (const r of records) {
          // Bytes are given as UTF-8 of text without lone surrogates, so both read back alike.
          const line = r.asBytes ? Buffer.from(r.text, 'utf8').toString('utf8') : r.text;
          if (r.asBytes) log.pushBytes(bytes(line), offset);
          else log.pushText(line, offset);
          expected.push({ line, offset });
          offset += r.step;
        }
        expect(log.length).toBe(expected.length);
        expect(expected.map((_, i) => ({ line: log.line(i), offset: log.offset(i) }))).toEqual(
          expected,
        );
      }),
      { numRuns: 1000 },
    );
  });
});

describe('RecordLog.release', () => {
  it('empties the log; its chunks carry the next logs, which read only their own records', () => {
    const first = new RecordLog();
    first.pushBytes(bytes('old record'), 1);
    first.release();
    expect(first.length).toBe(0);
    expect(() => first.line(0)).toThrow(RangeError);
    const next = new RecordLog();
    next.pushBytes(bytes('new'), 2);
    next.pushText('text', 3);
    expect(next.lines()).toEqual(['new', 'text']);
    first.release(); // twice: harmless
    expect(next.line(0)).toBe('new');
  });
});
