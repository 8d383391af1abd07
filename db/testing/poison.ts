/**
 * Test traffic for the "no input can stall a source" property tests (one per source): valid
 * events mixed with what a careless or hostile producer sends — text PostgreSQL cannot hold
 * (NUL, lone surrogates), control characters, huge and tiny numbers, oversized dimensions,
 * arbitrary JSON, arbitrary strings and bytes (invalid UTF-8 included) — and what each source
 * must make of it: the valid events (to compare the stored rollups with an independent fold)
 * and the counts.
 */
import fc from 'fast-check';
import { parseEventLine } from '@/lib/ingest/events';
import type { PulseEvent } from '@/lib/types';

/** Text that is hard to store or display: NUL, lone surrogates, controls, long runs. */
const nastyText = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.constantFrom('a\u0000b', '\u0000', 'x\ud800', '\udfffy', '\u0007\u001b[31m', 'line\nbreak'),
  fc.string({ unit: 'grapheme', minLength: 100, maxLength: 140 }),
  fc.constantFrom('"'.repeat(128), '\\'.repeat(128), '\u{10FFFF}'.repeat(64)),
);

/** Numbers at and beyond every edge a sum or a square can reach. */
const nastyNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(1e308, -1e308, Number.MAX_VALUE, 5e-324, 1e15, -1e15, 1e15 + 2, 1e154, 0, -0),
  fc.integer(),
);

/**
 * One record as a producer sends it (a line of NDJSON: never holds a raw line break). About
 * half are valid events at `now` (a few types, regions and devices, in the last `spreadMs`).
 */
export function poisonLine(now: number, spreadMs = 5_000): fc.Arbitrary<string> {
  const ts = fc.integer({ min: now - spreadMs, max: now });
  const valid = fc
    .record({
      ts,
      type: fc.constantFrom('checkout', 'page_view'),
      dims: fc.record(
        {
          region: fc.constantFrom('eu-west', 'us-east', 'ap-south'),
          device: fc.constantFrom('ios', 'android', 'web'),
        },
        { requiredKeys: ['region'] },
      ),
      measures: fc.record({ amount: fc.double({ min: 0, max: 5000, noNaN: true }) }),
    })
    .map((e) => JSON.stringify(e));
  const poisonDims = fc
    .record({
      ts,
      type: fc.constant('checkout'),
      dims: fc.dictionary(fc.constantFrom('region', 'device', 'note'), nastyText, {
        minKeys: 1,
        maxKeys: 3,
      }),
    })
    .map((e) => JSON.stringify(e));
  const poisonMeasures = fc
    .record({
      ts,
      type: fc.constant('checkout'),
      dims: fc.constant({ region: 'eu-west' }),
      measures: fc.dictionary(fc.constantFrom('amount', 'ms'), nastyNumber, { minKeys: 1 }),
    })
    .map((e) => JSON.stringify(e));
  const wideDims = fc.array(nastyText, { minLength: 16, maxLength: 16 }).chain((values) =>
    fc.constant(
      JSON.stringify({
        ts: now,
        type: 'checkout',
        dims: Object.fromEntries(values.map((v, i) => [`d${i}`, v.padEnd(120, 'é')])),
      }),
    ),
  );
  // Hostile values in the other fields: ids, types and timestamps.
  const poisonFields = fc
    .record({
      ts: fc.oneof(
        ts,
        fc.constantFrom(1e300, -1, 0, 2 ** 53, 8.64e15 + 1, 1.5, '2026-13-01T00:00:00Z', ''),
        fc.string({ unit: 'binary', maxLength: 30 }),
      ),
      type: fc.oneof(
        fc.constant('checkout'),
        fc.string({ unit: 'binary', maxLength: 70 }),
        fc.constantFrom('a'.repeat(65), 'Checkout', 'a\u0000'),
      ),
      id: nastyText,
    })
    .map((e) => JSON.stringify({ ...e, dims: { region: 'eu-west' } }));
  const junk = fc.oneof(
    fc.json({ maxDepth: 3 }),
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom('', '   ', '{', 'null', '[]', '{"ts":1}', '\u0000'),
  );
  return fc
    .oneof(
      { weight: 8, arbitrary: valid },
      { weight: 3, arbitrary: poisonDims },
      { weight: 2, arbitrary: poisonMeasures },
      { weight: 1, arbitrary: wideDims },
      { weight: 2, arbitrary: poisonFields },
      { weight: 2, arbitrary: junk },
    )
    .map((line) => line.replace(/[\r\n]/g, ' '));
}

/**
 * Raw bytes a byte-oriented source (Kafka values, stdin) may carry: a line from
 * {@link poisonLine} as UTF-8, or the same with bytes that are not UTF-8 spliced in.
 */
export function poisonBytes(now: number): fc.Arbitrary<Uint8Array> {
  const invalid = fc.constantFrom(
    [0xff],
    [0xc3, 0x28],
    [0xe2, 0x82],
    [0xed, 0xa0, 0x80], // an encoded surrogate
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0x00],
    [0xc0, 0x80], // overlong NUL
  );
  return fc.oneof(
    { weight: 6, arbitrary: poisonLine(now).map((line) => new Uint8Array(Buffer.from(line))) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(poisonLine(now), invalid, fc.nat())
        .map(([line, bytes, at]) => {
          const utf8 = Buffer.from(line);
          const cut = utf8.length === 0 ? 0 : at % utf8.length;
          return new Uint8Array(
            Buffer.concat([utf8.subarray(0, cut), Buffer.from(bytes), utf8.subarray(cut)]),
          );
        })
        .filter((bytes) => !bytes.includes(0x0a) && !bytes.includes(0x0d)),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 60 })
        .map((b) => b.map((x) => (x === 0x0a || x === 0x0d ? 0x20 : x))),
    },
  );
}

export interface Expected {
  /** The events validation accepts (in order): the stored rollups must equal their fold. */
  valid: PulseEvent[];
  /** Records a source counts as received (blank lines are not records). */
  received: number;
  quarantined: number;
}

/**
 * What a source must make of `lines` (decoded text, one record each) at `now`: validated with
 * the event contract, none late (the tests allow ample disorder).
 */
export function expectedOf(lines: readonly string[], now: number, source: string): Expected {
  const valid: PulseEvent[] = [];
  let received = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    received++;
    const parsed = parseEventLine(line, now, source);
    if (parsed.ok) valid.push(parsed.event);
  }
  return { valid, received, quarantined: received - valid.length };
}

/** Bytes decoded as every source decodes them: UTF-8, each invalid sequence as U+FFFD. */
export const decodeUtf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
