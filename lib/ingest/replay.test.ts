import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEventLine } from './events';
import { Pipeline } from '@/lib/stream/pipeline';
import {
  clockSeed,
  csvRowToLine,
  CsvHeaderError,
  CsvRecordReader,
  eventsToCsv,
  jsonLineTime,
  LineSplitter,
  Pacer,
  parseCsvHeader,
  RunTotals,
  validationNow,
  windowsOf,
  type ReplayRecord,
} from './replay';
import type { PulseEvent } from '@/lib/types';

const T = Date.UTC(2025, 5, 1, 12, 0);
const HOUR = 3_600_000;

/** Reads CSV text fed in byte chunks of the given sizes (splitting UTF-8 sequences too). */
async function readCsv(text: string, chunkSizes: number[] = [1 << 20]): Promise<ReplayRecord[]> {
  const reader = new CsvRecordReader();
  const records: ReplayRecord[] = [];
  const bytes = Buffer.from(text);
  let at = 0;
  for (let i = 0; at < bytes.length; i++) {
    const size = Math.max(1, chunkSizes[i % chunkSizes.length]!);
    records.push(...reader.push(bytes.subarray(at, at + size)));
    at += size;
  }
  records.push(...(await reader.end()));
  return records;
}

describe('CSV header', () => {
  it('maps ts, type, id, dims.* and measures.* to their columns', () => {
    expect(
      parseCsvHeader(['ts', ' type ', 'dims.region', 'id', 'measures.revenue', 'dims.device']),
    ).toEqual({
      width: 6,
      ts: 0,
      type: 1,
      id: 3,
      dims: [
        ['region', 2],
        ['device', 5],
      ],
      measures: [['revenue', 4]],
    });
  });

  it.each([
    [['ts', 'type', 'region'], /unknown column "region"/],
    [['ts', 'type', 'dims.a', 'dims.a'], /"dims.a" appears twice/],
    [['type', 'dims.a'], /needs the columns ts and type/],
    [['ts', 'type', 'dims.Region'], /"dims.Region": name must match/],
    [['ts', 'type', 'measures.'], /"measures.": name must match/],
  ])('refuses %j', (fields, message) => {
    expect(() => parseCsvHeader(fields)).toThrow(CsvHeaderError);
    expect(() => parseCsvHeader(fields)).toThrow(message);
  });
});

describe('CSV row → event line', () => {
  const header = parseCsvHeader(['ts', 'type', 'id', 'dims.region', 'measures.revenue']);

  it('maps a row to the event it stands for', () => {
    const row = csvRowToLine(header, ['2025-06-01T12:00:00.5Z', 'purchase', 'e1', 'eu', ' 42.5 ']);
    expect(row).toEqual({
      ok: true,
      line: '{"ts":"2025-06-01T12:00:00.5Z","type":"purchase","dims":{"region":"eu"},"measures":{"revenue":42.5},"id":"e1"}',
      ts: T + 500,
    });
  });

  it('reads digits as epoch ms, and leaves empty cells out', () => {
    const row = csvRowToLine(header, [` ${T} `, 'purchase', '', '', '']);
    expect(row).toEqual({
      ok: true,
      line: `{"ts":${T},"type":"purchase","dims":{},"measures":{}}`,
      ts: T,
    });
  });

  it('lets validation name what is wrong with a mapped row', () => {
    const cases: [string[], string, string][] = [
      [['', 'purchase', '', 'eu', '1'], 'schema', 'ts: is required'],
      [['yesterday', 'purchase', '', 'eu', '1'], 'bad_timestamp', 'ts: not an RFC 3339 date-time'],
      [[String(T), 'Purchase!', '', 'eu', '1'], 'schema', 'type: must match'],
      [[String(T), 'purchase', '', 'eu', 'lots'], 'schema', 'measures.revenue: must be a finite'],
      [[String(T), 'purchase', '', 'eu', '1e999'], 'schema', 'measures.revenue: must be a finite'],
      [[String(T), '', '', 'eu', '1'], 'schema', 'type: is required'],
    ];
    for (const [fields, reason, detail] of cases) {
      const row = csvRowToLine(header, fields);
      if (!row.ok) throw new Error('expected a mapped row');
      const parsed = parseEventLine(row.line, T, 'replay:t');
      expect(parsed.ok).toBe(false);
      if (parsed.ok) continue;
      expect(parsed.quarantined.reason).toBe(reason);
      expect(parsed.quarantined.detail).toContain(detail);
    }
  });

  it('cannot map a row with the wrong number of fields', () => {
    expect(csvRowToLine(header, ['1', 'a'])).toEqual({
      ok: false,
      detail: '2 fields, the header has 5',
    });
  });
});

describe('CsvRecordReader', () => {
  it('reads rows, skips empty lines, handles BOM, CRLF and quoted newlines', async () => {
    const text = `\uFEFFts,type,dims.note\r\n${T},a,"x\r\ny"\r\n\r\n${T + 1},b,"q ""z"""\r\n${T + 2},c,plain`;
    const records = await readCsv(text);
    expect(records.map((r) => (r.kind === 'line' ? JSON.parse(r.line) : r))).toEqual([
      { ts: T, type: 'a', dims: { note: 'x\r\ny' }, measures: {} },
      { ts: T + 1, type: 'b', dims: { note: 'q "z"' }, measures: {} },
      { ts: T + 2, type: 'c', dims: { note: 'plain' }, measures: {} },
    ]);
  });

  it('turns rows it cannot read into malformed records, in file order', async () => {
    const text = `ts,type,dims.r\n${T},a,x\n${T},b\n${T},c,x,extra\n${T},d,x\n${T},e,"open\n${T},f,x\n`;
    const records = await readCsv(text);
    expect(records.map((r) => r.kind)).toEqual([
      'line',
      'malformed',
      'malformed',
      'line',
      'malformed',
    ]);
    expect(records[1]).toEqual({
      kind: 'malformed',
      raw: `${T},b`,
      reason: 'malformed_json',
      detail: 'csv line 3: 2 fields, the header has 3',
    });
    expect(records[2]).toMatchObject({ detail: 'csv line 4: 4 fields, the header has 3' });
    // An unclosed quote takes the rest of the file.
    expect(records[4]).toMatchObject({ raw: `${T},e,"open\n${T},f,x`, reason: 'malformed_json' });
    expect((records[4] as { detail: string }).detail).toMatch(/^csv: Quote Not Closed/);
  });

  it('refuses a bad header before any row', async () => {
    await expect(readCsv(`when,type\n${T},a\n`)).rejects.toThrow(/unknown column "when"/);
  });

  it('reads nothing from an empty file', async () => {
    expect(await readCsv('')).toEqual([]);
    expect(await readCsv('ts,type\n')).toEqual([]);
  });

  it('property: chunk boundaries do not change the records', async () => {
    const text =
      `ts,type,dims.a,measures.m\n${T},x,"a,b",1\n${T},y,"c""d",2.5\n${T},z\n` +
      `${T},w,"multi\nline",\n${T},v,é€😀,3\n`;
    const whole = await readCsv(text);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1 }),
        async (sizes) => {
          expect(await readCsv(text, sizes)).toEqual(whole);
        },
      ),
    );
  });
});

const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/);
const validEvent: fc.Arbitrary<PulseEvent> = fc
  .record({
    ts: fc.integer({ min: T - 86_400_000, max: T + 86_400_000 }),
    type: fc.stringMatching(/^[a-z][a-z0-9_.-]{0,10}$/),
    dims: fc.dictionary(name, fc.string({ minLength: 1, maxLength: 20, unit: 'grapheme' }), {
      maxKeys: 4,
    }),
    measures: fc.dictionary(name, fc.double({ noNaN: true, min: -1e15, max: 1e15 }), {
      maxKeys: 3,
    }),
    id: fc.option(fc.string({ minLength: 1, maxLength: 10 }), { nil: undefined }),
  })
  .map((e) => {
    const event: PulseEvent = { ts: e.ts, type: e.type, dims: e.dims, measures: {} };
    for (const [k, v] of Object.entries(e.measures)) event.measures[k] = Object.is(v, -0) ? 0 : v;
    if (e.id !== undefined) event.id = e.id;
    return event;
  });

describe('CSV round trip', () => {
  it('property: events written as CSV read back as the same events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(validEvent, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1 }),
        async (events, sizes) => {
          const records = await readCsv(eventsToCsv(events), sizes);
          const back = records.map((r) => {
            if (r.kind !== 'line') throw new Error(`malformed: ${r.detail}`);
            // NaN "now": no time-range check (the clock is not what this property is about).
            const parsed = parseEventLine(r.line, NaN, 'replay:t');
            if (!parsed.ok) throw new Error(parsed.quarantined.detail);
            expect(r.ts).toBe(parsed.event.ts);
            return parsed.event;
          });
          // An id column written for some events is empty (left out) for the others.
          expect(back).toEqual(events);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('LineSplitter', () => {
  const split = (chunks: string[]) => {
    const splitter = new LineSplitter();
    return [...chunks.flatMap((c) => splitter.push(c)), ...splitter.end()];
  };

  it('splits on \\n and \\r\\n, keeps blank lines, counts a last line without newline', () => {
    expect(split(['a\r\nb\n\nc'])).toEqual(['a', 'b', '', 'c']);
    expect(split(['a\n', '\n'])).toEqual(['a', '']);
    expect(split(['a\r', '\nb\r'])).toEqual(['a', 'b']);
    expect(split([''])).toEqual([]);
  });

  it('property: any chunking gives the lines of the whole text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '\n', '\r\n', '{}', ' ')),
        fc.array(fc.integer({ min: 0, max: 5 })),
        (parts, cuts) => {
          const text = parts.join('');
          const chunks: string[] = [];
          let at = 0;
          for (const cut of cuts) {
            chunks.push(text.slice(at, at + cut));
            at += cut;
          }
          chunks.push(text.slice(at));
          expect(split(chunks)).toEqual(split([text]));
          const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
          if (lines.at(-1) === '') lines.pop();
          expect(split([text])).toEqual(lines);
        },
      ),
    );
  });
});

describe('the replay clock', () => {
  it('seeds from the median of the first records, ignoring records without a time', () => {
    expect(clockSeed([])).toBeNull();
    expect(clockSeed([null, null])).toBeNull();
    expect(clockSeed([T + 10, null, T, T + 5, T + 7])).toBe(T + 5);
    expect(clockSeed([T, T + 10, 0, T + 5])).toBe(T); // the lower median
    // A bogus first line (epoch seconds, or a far future) does not set it.
    expect(clockSeed([T / 1000, T, T + 1, T + 2, 4_102_444_800_000])).toBe(T + 1);
  });

  it('"now" is the newest accepted event (or the seed) plus the largest gap', () => {
    expect(validationNow(null, null, HOUR)).toBeNaN();
    expect(validationNow(T, null, HOUR)).toBe(T + HOUR);
    expect(validationNow(T, T + 5, HOUR)).toBe(T + 5 + HOUR);
    expect(validationNow(T + 9, T + 5, 0)).toBe(T + 9);
  });

  it('through the pipeline: crosses quiet gaps, quarantines a skewed clock as future', () => {
    const pipeline = new Pipeline({
      source: 'replay:t',
      partition: 0,
      windowMs: 60_000,
      outOfOrderMs: 2000,
      allowedLatenessMs: 0,
      maxValuesPerDim: 10,
    });
    const line = (ts: number) => JSON.stringify({ ts, type: 'x' });
    const times = [T, T + 1000, T + 50 * 60_000, T + 50 * 60_000 + 2 * HOUR, T + 51 * 60_000];
    const seed = clockSeed(times);
    for (const ts of times) {
      pipeline.ingestLine(line(ts), validationNow(seed, pipeline.newestEventTime(), HOUR));
    }
    const drained = pipeline.drain();
    expect(drained.folded).toBe(4);
    expect(drained.quarantined.map((q) => q.reason)).toEqual(['future']);
    expect(pipeline.newestEventTime()).toBe(T + 51 * 60_000);
  });

  it('reads the time of a JSON line for pacing, or null', () => {
    expect(jsonLineTime(`{"ts":${T},"type":"a"}`)).toBe(T);
    expect(jsonLineTime('{"ts":"2025-06-01T12:00:00Z"}')).toBe(T);
    expect(jsonLineTime('{"ts":"noon"}')).toBeNull();
    expect(jsonLineTime('{bad')).toBeNull();
    expect(jsonLineTime('[1]')).toBeNull();
  });
});

describe('Pacer', () => {
  it('waits out the gaps between event times, divided by the speed', () => {
    const pacer = new Pacer({ speed: 10, reachMs: HOUR, startTime: null });
    expect([T, T + 1000, T + 500, null, T + 5000].map((ts) => pacer.due(ts))).toEqual([
      0, 100, 100, 100, 500,
    ]);
  });

  it('is due at once with --fast, and does not follow a record beyond its reach', () => {
    const fast = new Pacer({ speed: Infinity, reachMs: HOUR, startTime: T });
    expect([T + 10_000, T + 20_000].map((ts) => fast.due(ts))).toEqual([0, 0]);
    // A record from two days ahead (to be quarantined as future) does not stall the replay.
    const pacer = new Pacer({ speed: 1, reachMs: 1000, startTime: T });
    expect([T + 1000, T + 2 * 86_400_000, T + 1500, T + 2600].map((ts) => pacer.due(ts))).toEqual([
      1000, 1000, 1500, 1500,
    ]);
  });

  it('starts from the resumed clock: earlier records are due at once', () => {
    const pacer = new Pacer({ speed: 1, reachMs: HOUR, startTime: T });
    expect([T - 5000, T + 2000].map((ts) => pacer.due(ts))).toEqual([0, 2000]);
  });

  it('property: due times never decrease, never jump by more than reach/speed, are 0 when fast', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: T - HOUR, max: T + 10 * HOUR }), { nil: null })),
        fc.oneof(fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.constant(Infinity)),
        fc.integer({ min: 0, max: 2 * HOUR }),
        fc.option(fc.integer({ min: T - HOUR, max: T + HOUR }), { nil: null }),
        (times, speed, reachMs, startTime) => {
          const pacer = new Pacer({ speed, reachMs, startTime });
          let previous = 0;
          for (const ts of times) {
            const due = pacer.due(ts);
            expect(due).toBeGreaterThanOrEqual(previous);
            expect(due - previous).toBeLessThanOrEqual(reachMs / speed + 1e-6);
            if (speed === Infinity) expect(due).toBe(0);
            previous = due;
          }
        },
      ),
    );
  });

  it('property: sorted times without long gaps are due at (ts − first) / speed', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 60_000 }), { minLength: 1 }),
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        (steps, speed) => {
          const pacer = new Pacer({ speed, reachMs: 60_000, startTime: null });
          let ts = T;
          for (const step of steps) {
            ts += step;
            expect(pacer.due(ts)).toBeCloseTo((ts - T - steps[0]!) / speed, 6);
          }
        },
      ),
    );
  });
});

describe('RunTotals', () => {
  it('adds drained batches: accounting, reasons and windows', () => {
    const totals = new RunTotals();
    const q = (reason: 'late' | 'schema') => ({
      reason,
      detail: '',
      raw: '',
      rawSize: 0,
      source: 's',
    });
    const cell = (windowStart: number) => ({
      windowStart,
      eventType: 'x',
      dim: '*',
      value: '*',
      measure: '',
      count: 1,
      sum: 0,
      sumsq: 0,
      min: 0,
      max: 0,
    });
    expect(totals.windowRange()).toBeNull();
    totals.add({
      received: 3,
      folded: 1,
      quarantined: [q('schema'), q('late')],
      deltas: [cell(60)],
    });
    totals.add({ received: 2, folded: 1, quarantined: [q('schema')], deltas: [cell(0), cell(60)] });
    expect(totals).toMatchObject({ received: 5, folded: 2 });
    expect(totals.quarantinedTotal()).toBe(3);
    expect(totals.byReason()).toEqual({ late: 1, schema: 2 });
    expect(totals.windowRange()).toEqual({ count: 2, first: 0, last: 60 });
    expect(windowsOf({ first: T + 59_999, last: T + 60_000 }, 60_000)).toEqual({
      first: T,
      last: T + 60_000,
    });
  });
});
