import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RANGE,
  MAX_RANGE_MS,
  MIN_RANGE_MS,
  PRESETS,
  absoluteSpec,
  describeRange,
  isLive,
  lastSpan,
  parseTimeExpr,
  resolveRange,
  shiftRange,
  zoomOut,
  type RangeSpec,
} from './time-range';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const W = 7 * D;
/** Dec 5 2026, 14:03:07.250 UTC: not on a whole second, minute, hour or day. */
const NOW = Date.UTC(2026, 11, 5, 14, 3, 7, 250);
const UNITS = { s: S, m: M, h: H, d: D, w: W } as const;

const abs = (from: number, to: number): RangeSpec => ({ from: String(from), to: String(to) });
const span = (spec: RangeSpec, now = NOW) => {
  const range = resolveRange(spec, now);
  if (!range.ok) throw new Error(range.error);
  return range.to - range.from;
};

describe('parseTimeExpr', () => {
  it.each([
    ['now', NOW],
    ['now-6h', NOW - 6 * H],
    ['now+1d', NOW + D],
    ['now-15m', NOW - 15 * M],
    ['now-30s', NOW - 30 * S],
    ['now-2w', NOW - 2 * W],
    ['now/d', Date.UTC(2026, 11, 5)],
    ['now/h', Date.UTC(2026, 11, 5, 14)],
    ['now-1d/d', Date.UTC(2026, 11, 4)],
    ['now-15h/d', Date.UTC(2026, 11, 4)],
    ['now+10h/d', Date.UTC(2026, 11, 6)],
    ['now-90m/h', Date.UTC(2026, 11, 5, 12)],
    ['0', 0],
    ['1764928800000', 1764928800000],
    ['999999999999999', 999999999999999],
    ['2026-12-05T10:00:00Z', Date.UTC(2026, 11, 5, 10)],
    ['2026-12-05T10:00:00.5Z', Date.UTC(2026, 11, 5, 10, 0, 0, 500)],
    ['2026-12-05T10:00:00+01:00', Date.UTC(2026, 11, 5, 9)],
    ['2026-12-05T10:00:00-05:30', Date.UTC(2026, 11, 5, 15, 30)],
    ['2026-12-05', Date.UTC(2026, 11, 5)],
    ['2028-02-29', Date.UTC(2028, 1, 29)],
    ['1970-01-01', 0],
  ])('%s', (text, expected) => {
    expect(parseTimeExpr(text, NOW)).toBe(expected);
  });

  it.each([
    '',
    ' now',
    'now ',
    'now\n',
    'NOW',
    'Now',
    'now-',
    'now-h',
    'now-0h',
    'now-06h',
    'now-1.5h',
    'now-1y',
    'now-1M',
    'now - 1h',
    'now-1h-1h',
    'now/w',
    'now/m',
    'now/d/d',
    'now-1000000s',
    'now-522w', // more than ten years
    'now-3651d',
    '-1',
    '+1',
    '1e12',
    '0x10',
    '1234567890123456', // 16 digits
    ' 1764928800000',
    '2026-12-05T10:00:00', // no zone
    '2026-12-05T10:00Z', // no seconds
    '2026-12-05 10:00:00Z',
    '2026-02-30',
    '2026-13-01',
    '2026-12-05T24:00:00Z',
    '2026-12-5',
    '26-12-05',
    '0050-01-01', // Date.UTC would read 1950
    '1969-12-31T23:59:59Z',
    '1970-01-01T00:00:00+01:00',
    'Dec 5, 2026',
    'yesterday',
  ])('refuses %j', (text) => {
    expect(parseTimeExpr(text, NOW)).toBeNull();
  });

  const unit = fc.constantFrom('s', 'm', 'h', 'd', 'w');
  const withinTenYears = (n: number, u: keyof typeof UNITS) => n * UNITS[u] <= 3650 * D;

  it('moves now by n units, either way', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4e12 }),
        fc.constantFrom('-', '+'),
        fc.integer({ min: 1, max: 999_999 }),
        unit,
        (now, sign, n, u) => {
          const expected = withinTenYears(n, u)
            ? now + (sign === '-' ? -1 : 1) * n * UNITS[u]
            : null;
          expect(parseTimeExpr(`now${sign}${n}${u}`, now)).toBe(expected);
        },
      ),
    );
  });

  it('rounds down to the start of the UTC day or hour with /d and /h', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.constantFrom('d', 'h'), (now, round) => {
        const step = round === 'd' ? D : H;
        const rounded = parseTimeExpr(`now/${round}`, now)!;
        expect(rounded % step).toBe(0);
        expect(rounded).toBeLessThanOrEqual(now);
        expect(now - rounded).toBeLessThan(step);
        if (round === 'd') expect(new Date(rounded).toISOString()).toMatch(/T00:00:00\.000Z$/);
      }),
    );
  });

  it('reads epoch milliseconds as written', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999_999_999_999 }), (ms) => {
        expect(parseTimeExpr(String(ms), NOW)).toBe(ms);
      }),
    );
  });

  it('reads back any ISO date-time that toISOString writes, and its date alone', () => {
    const date = fc.date({
      min: new Date(0),
      max: new Date('9999-12-31T23:59:59.999Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(date, (d) => {
        const iso = d.toISOString();
        expect(parseTimeExpr(iso, NOW)).toBe(d.getTime());
        expect(parseTimeExpr(iso.slice(0, 10), NOW)).toBe(Math.floor(d.getTime() / D) * D);
      }),
    );
  });

  it('refuses any expression with whitespace around it', () => {
    const expr = fc.constantFrom('now', 'now-6h', '1764928800000', '2026-12-05');
    const space = fc.constantFrom(' ', '\t', '\n', '\r\n', '\u00a0', '\u2028');
    fc.assert(
      fc.property(expr, space, fc.boolean(), (e, s, before) => {
        expect(parseTimeExpr(before ? s + e : e + s, NOW)).toBeNull();
      }),
    );
  });

  it('answers a number or null for any text, without throwing', () => {
    // The grammar's own characters, so that near misses are common.
    const char = fc.constantFrom(...'now+-/smhdwMy0123456789T:Z.z \n\u00e9\ud83d\ude00'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: char, maxLength: 30 }), (text) => {
        const ms = parseTimeExpr(text, NOW);
        expect(ms === null || Number.isFinite(ms)).toBe(true);
      }),
    );
  });
});

describe('resolveRange', () => {
  it('resolves both ends', () => {
    expect(resolveRange(DEFAULT_RANGE, NOW)).toEqual({ ok: true, from: NOW - 6 * H, to: NOW });
    expect(resolveRange({ from: '2026-12-05', to: 'now/h' }, NOW)).toEqual({
      ok: true,
      from: Date.UTC(2026, 11, 5),
      to: Date.UTC(2026, 11, 5, 14),
    });
  });

  it('names the field that does not parse, and the forms it takes', () => {
    const from = resolveRange({ from: 'yesterday', to: 'now' }, NOW);
    expect(from).toMatchObject({ ok: false, field: 'from' });
    const to = resolveRange({ from: 'now-1h', to: 'now-' }, NOW);
    expect(to).toMatchObject({ ok: false, field: 'to' });
    for (const result of [from, to]) {
      if (result.ok) continue;
      expect(result.error).toMatch(/^(From|To) is not a time: use now, now-6h/);
      expect(result.error).toContain('epoch milliseconds');
      expect(result.error).toContain('2026-12-05T10:00:00Z');
      expect(result.error).toMatch(/\.$/);
    }
  });

  it('reports a bad from before a bad to', () => {
    expect(resolveRange({ from: 'x', to: 'y' }, NOW)).toMatchObject({ field: 'from' });
  });

  it('refuses a range that is empty or backwards', () => {
    for (const spec of [
      { from: 'now', to: 'now' },
      { from: 'now', to: 'now-1h' },
    ]) {
      expect(resolveRange(spec, NOW)).toEqual({
        ok: false,
        field: 'from',
        error: 'From must be earlier than to.',
      });
    }
  });

  it('takes exactly 90 days and 1 minute, and nothing outside', () => {
    expect(resolveRange(abs(0, MAX_RANGE_MS), NOW).ok).toBe(true);
    expect(resolveRange(abs(0, MIN_RANGE_MS), NOW).ok).toBe(true);
    expect(resolveRange({ from: 'now-90d', to: 'now' }, NOW).ok).toBe(true);
    expect(resolveRange(abs(0, MAX_RANGE_MS + 1), NOW)).toEqual({
      ok: false,
      field: 'from',
      error: 'The range must be at most 90 days long.',
    });
    expect(resolveRange(abs(0, MIN_RANGE_MS - 1), NOW)).toEqual({
      ok: false,
      field: 'from',
      error: 'The range must be at least 1 minute long.',
    });
    expect(resolveRange({ from: 'now-59s', to: 'now' }, NOW).ok).toBe(false);
  });

  it('answers ok only with from < to and a span inside the bounds', () => {
    const expr = fc.oneof(
      fc.constant('now'),
      fc
        .tuple(fc.integer({ min: 1, max: 200 }), fc.constantFrom('s', 'm', 'h', 'd', 'w'))
        .map(([n, u]) => `now-${n}${u}`),
      fc.integer({ min: NOW - 200 * D, max: NOW + D }).map(String),
    );
    fc.assert(
      fc.property(expr, expr, (from, to) => {
        const range = resolveRange({ from, to }, NOW);
        if (!range.ok) return;
        expect(range.to - range.from).toBeGreaterThanOrEqual(MIN_RANGE_MS);
        expect(range.to - range.from).toBeLessThanOrEqual(MAX_RANGE_MS);
      }),
    );
  });
});

describe('presets', () => {
  it('are the last 15 min, 1 h, 3 h, 6 h, 12 h, 24 h, 2 days, 7 days and 30 days', () => {
    expect(PRESETS.map((p) => [p.key, p.label, p.from, p.to])).toEqual([
      ['15m', 'Last 15 minutes', 'now-15m', 'now'],
      ['1h', 'Last 1 hour', 'now-1h', 'now'],
      ['3h', 'Last 3 hours', 'now-3h', 'now'],
      ['6h', 'Last 6 hours', 'now-6h', 'now'],
      ['12h', 'Last 12 hours', 'now-12h', 'now'],
      ['24h', 'Last 24 hours', 'now-24h', 'now'],
      ['2d', 'Last 2 days', 'now-2d', 'now'],
      ['7d', 'Last 7 days', 'now-7d', 'now'],
      ['30d', 'Last 30 days', 'now-30d', 'now'],
    ]);
  });

  it('each resolve, are live, and are described by their label', () => {
    for (const preset of PRESETS) {
      expect(resolveRange(preset, NOW).ok).toBe(true);
      expect(isLive(preset)).toBe(true);
      expect(describeRange(preset, NOW, 'utc')).toBe(preset.label);
    }
  });

  it('include the default range', () => {
    expect(PRESETS.some((p) => p.from === DEFAULT_RANGE.from && p.to === DEFAULT_RANGE.to)).toBe(
      true,
    );
  });
});

describe('isLive', () => {
  it('is true only when the range ends at now itself', () => {
    expect(isLive({ from: 'now-1h', to: 'now' })).toBe(true);
    expect(isLive({ from: '0', to: 'now' })).toBe(true);
    expect(isLive({ from: 'now-2h', to: 'now-1h' })).toBe(false);
    expect(isLive({ from: 'now-2h', to: 'now+1h' })).toBe(false);
    expect(isLive({ from: 'now/d', to: 'now/h' })).toBe(false);
    expect(isLive(abs(NOW - H, NOW))).toBe(false);
  });
});

describe('describeRange', () => {
  it('says "Last …" for a relative range that ends at now', () => {
    expect(describeRange({ from: 'now-90m', to: 'now' }, NOW, 'utc')).toBe('Last 90 minutes');
    expect(describeRange({ from: 'now-1w', to: 'now' }, NOW, 'local')).toBe('Last 1 week');
    expect(describeRange({ from: 'now-90s', to: 'now' }, NOW, 'utc')).toBe('Last 90 seconds');
  });

  it('writes the day once for a range within one day', () => {
    const spec = abs(Date.UTC(2026, 11, 5, 10), Date.UTC(2026, 11, 5, 16));
    expect(describeRange(spec, NOW, 'utc')).toBe('Dec 5, 10:00 – 16:00 UTC');
  });

  it('writes both days for a range across midnight', () => {
    const spec = abs(Date.UTC(2026, 11, 5, 22), Date.UTC(2026, 11, 6, 4));
    expect(describeRange(spec, NOW, 'utc')).toBe('Dec 5, 22:00 – Dec 6, 04:00 UTC');
  });

  it('shows the year when an end is not in the current year', () => {
    const spec = { from: '2025-12-30', to: '2026-01-02' };
    expect(describeRange(spec, NOW, 'utc')).toBe('Dec 30, 2025, 00:00 – Jan 2, 2026, 00:00 UTC');
  });

  it('shows seconds when an end is not on a whole minute', () => {
    const spec = abs(Date.UTC(2026, 11, 5, 10, 0, 30), Date.UTC(2026, 11, 5, 11));
    expect(describeRange(spec, NOW, 'utc')).toBe('Dec 5, 10:00:30 – 11:00:00 UTC');
  });

  it('describes other ranges that end at now from their start', () => {
    expect(describeRange({ from: 'now-1h/h', to: 'now' }, NOW, 'utc')).toBe(
      'Dec 5, 13:00 UTC – now',
    );
    expect(describeRange({ from: '2026-12-05T09:30:15Z', to: 'now' }, NOW, 'utc')).toBe(
      'Dec 5, 09:30:15 UTC – now',
    );
    expect(describeRange({ from: 'now/d', to: 'now' }, NOW, 'utc')).toBe('Dec 5, 00:00 UTC – now');
    expect(describeRange({ from: '2026-12-05T09:30:00Z', to: 'now' }, NOW, 'utc')).toBe(
      'Dec 5, 09:30 UTC – now',
    );
  });

  it('describes relative ranges that do not end at now by their ends', () => {
    expect(describeRange({ from: 'now-2h/h', to: 'now-1h/h' }, NOW, 'utc')).toBe(
      'Dec 5, 12:00 – 13:00 UTC',
    );
  });

  it('never echoes a range that does not resolve', () => {
    expect(describeRange({ from: '<script>', to: 'now' }, NOW, 'utc')).toBe('Invalid time range');
    expect(describeRange({ from: 'now-999999w', to: 'now' }, NOW, 'utc')).toBe(
      'Invalid time range',
    );
    expect(describeRange({ from: 'now', to: 'now-1h' }, NOW, 'utc')).toBe('Invalid time range');
  });
});

describe('absoluteSpec', () => {
  it('writes the ends as epoch ms, in order', () => {
    expect(absoluteSpec(1000 * M, 1060 * M)).toEqual(abs(1000 * M, 1060 * M));
    expect(absoluteSpec(1060 * M, 1000 * M)).toEqual(abs(1000 * M, 1060 * M));
    expect(absoluteSpec(1000.4 * M, 1060.6 * M)).toEqual(abs(60_024_000, 63_636_000));
  });

  it('widens a selection narrower than a minute around its centre', () => {
    expect(absoluteSpec(NOW, NOW)).toEqual(abs(NOW - 30 * S, NOW + 30 * S));
    expect(absoluteSpec(NOW, NOW + 10 * S)).toEqual(abs(NOW - 25 * S, NOW + 35 * S));
  });

  it('narrows a selection wider than 90 days around its centre', () => {
    expect(absoluteSpec(NOW - 100 * D, NOW)).toEqual(abs(NOW - 95 * D, NOW - 5 * D));
  });

  it('stays inside what epoch ms can write', () => {
    expect(absoluteSpec(-5 * M, 10 * S)).toEqual(abs(0, 5 * M + 10 * S));
    expect(absoluteSpec(1e16, 1e16 + H)).toEqual(abs(999_999_999_999_999 - H, 999_999_999_999_999));
  });

  it('gives the default range for ends that are not finite', () => {
    expect(absoluteSpec(NaN, NOW)).toEqual(DEFAULT_RANGE);
    expect(absoluteSpec(0, Infinity)).toEqual(DEFAULT_RANGE);
  });

  it('always resolves, and keeps a selection inside the bounds exactly', () => {
    const ms = fc.integer({ min: 0, max: 4e12 });
    fc.assert(
      fc.property(ms, ms, (a, b) => {
        const spec = absoluteSpec(a, b);
        expect(resolveRange(spec, NOW).ok).toBe(true);
        const width = Math.abs(a - b);
        if (width >= MIN_RANGE_MS && width <= MAX_RANGE_MS) {
          expect(spec).toEqual(abs(Math.min(a, b), Math.max(a, b)));
        }
      }),
    );
  });
});

describe('zoomOut', () => {
  it('keeps a live range live and reaches twice as far back', () => {
    expect(zoomOut({ from: 'now-6h', to: 'now' }, NOW)).toEqual({ from: 'now-12h', to: 'now' });
    expect(zoomOut({ from: 'now-15m', to: 'now' }, NOW)).toEqual({ from: 'now-30m', to: 'now' });
    expect(zoomOut({ from: 'now-12h', to: 'now' }, NOW)).toEqual({ from: 'now-1d', to: 'now' });
    expect(zoomOut({ from: 'now-90s', to: 'now' }, NOW)).toEqual({ from: 'now-3m', to: 'now' });
    expect(zoomOut({ from: 'now-75s', to: 'now' }, NOW)).toEqual({ from: 'now-150s', to: 'now' });
  });

  it('caps a live range at 90 days', () => {
    expect(zoomOut({ from: 'now-60d', to: 'now' }, NOW)).toEqual({ from: 'now-90d', to: 'now' });
    expect(zoomOut({ from: 'now-90d', to: 'now' }, NOW)).toEqual({ from: 'now-90d', to: 'now' });
  });

  it('writes the span of an odd live range in whole seconds', () => {
    // now/d is 14:03:07.250 before NOW: doubled, 28:06:14.5, up to the next second.
    expect(zoomOut({ from: 'now/d', to: 'now' }, NOW)).toEqual({
      from: `now-${28 * 3600 + 6 * 60 + 15}s`,
      to: 'now',
    });
  });

  it('writes in minutes a span whose seconds would take more than six digits', () => {
    // 1,000,000 s is 16,666 2/3 minutes.
    expect(zoomOut({ from: 'now-500000s', to: 'now' }, NOW)).toEqual({
      from: 'now-16667m',
      to: 'now',
    });
  });

  it('doubles a fixed range around its centre, as an absolute one', () => {
    const from = Date.UTC(2026, 11, 1, 10);
    expect(zoomOut(abs(from, from + 2 * H), NOW)).toEqual(abs(from - H, from + 3 * H));
    expect(zoomOut({ from: 'now-2h', to: 'now-1h' }, NOW)).toEqual(
      abs(NOW - 2.5 * H, NOW - 0.5 * H),
    );
  });

  it('caps a fixed range at 90 days around its centre', () => {
    const from = Date.UTC(2026, 0, 1);
    expect(zoomOut(abs(from, from + 60 * D), NOW)).toEqual(abs(from - 15 * D, from + 75 * D));
  });

  it('returns a range that does not resolve as it is', () => {
    const spec = { from: 'nope', to: 'now' };
    expect(zoomOut(spec, NOW)).toEqual(spec);
    expect(zoomOut(spec, NOW)).not.toBe(spec);
  });

  const validSpec = fc.oneof(
    fc.integer({ min: 1, max: 90 * 24 }).map((hours) => ({ from: `now-${hours}h`, to: 'now' })),
    fc.integer({ min: 61, max: 999_999 }).map((s) => ({ from: `now-${s}s`, to: 'now' })),
    fc
      .tuple(
        fc.integer({ min: 0, max: 4e12 }),
        fc.integer({ min: MIN_RANGE_MS, max: MAX_RANGE_MS }),
      )
      .map(([from, width]) => abs(from, from + width)),
  );

  it('always resolves, contains the range it zoomed out of, and doubles it up to 90 days', () => {
    fc.assert(
      fc.property(validSpec, (spec) => {
        const before = resolveRange(spec, NOW);
        const after = resolveRange(zoomOut(spec, NOW), NOW);
        if (!before.ok || !after.ok) throw new Error('does not resolve');
        const width = before.to - before.from;
        const expected = Math.min(2 * width, MAX_RANGE_MS);
        if (isLive(spec)) {
          // Written in whole seconds, or whole minutes past 999,999 s, rounded up.
          expect(after.to - after.from).toBeGreaterThanOrEqual(expected);
          expect(after.to - after.from).toBeLessThan(expected + M);
        } else {
          expect(after.to - after.from).toBe(expected);
        }
        if (2 * width <= MAX_RANGE_MS) {
          expect(after.from).toBeLessThanOrEqual(before.from);
          expect(after.to).toBeGreaterThanOrEqual(before.to);
        }
        expect(isLive(zoomOut(spec, NOW))).toBe(isLive(spec));
      }),
    );
  });
});

describe('shiftRange', () => {
  it('leaves a live range shifted later as it is', () => {
    expect(shiftRange({ from: 'now-6h', to: 'now' }, NOW, 1)).toEqual({
      from: 'now-6h',
      to: 'now',
    });
    expect(shiftRange({ from: 'now/d', to: 'now' }, NOW, 1)).toEqual({ from: 'now/d', to: 'now' });
  });

  it('fixes a live range shifted earlier', () => {
    expect(shiftRange({ from: 'now-6h', to: 'now' }, NOW, -1)).toEqual(
      abs(NOW - 9 * H, NOW - 3 * H),
    );
  });

  it('moves a fixed range by half its span, either way, even past now', () => {
    const from = Date.UTC(2026, 11, 5, 10);
    expect(shiftRange(abs(from, from + 2 * H), NOW, -1)).toEqual(abs(from - H, from + H));
    expect(shiftRange(abs(from, from + 2 * H), NOW, 1)).toEqual(abs(from + H, from + 3 * H));
    expect(shiftRange(abs(NOW - H, NOW), NOW, 1)).toEqual(abs(NOW - 0.5 * H, NOW + 0.5 * H));
  });

  it('returns a range that does not resolve as it is', () => {
    expect(shiftRange({ from: 'now', to: 'now-1h' }, NOW, -1)).toEqual({
      from: 'now',
      to: 'now-1h',
    });
  });

  it('keeps the span, and a shift back then forth lands where it began (to the ms)', () => {
    const fixed = fc
      .tuple(
        fc.integer({ min: 100 * D, max: 4e12 }),
        fc.integer({ min: MIN_RANGE_MS, max: MAX_RANGE_MS }),
      )
      .map(([from, width]) => abs(from, from + width));
    fc.assert(
      fc.property(fixed, fc.constantFrom(-1 as const, 1 as const), (spec, direction) => {
        const moved = shiftRange(spec, NOW, direction);
        expect(span(moved)).toBe(span(spec));
        const back = resolveRange(shiftRange(moved, NOW, direction === 1 ? -1 : 1), NOW);
        const start = resolveRange(spec, NOW);
        if (!back.ok || !start.ok) throw new Error('does not resolve');
        expect(Math.abs(back.from - start.from)).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('lastSpan', () => {
  it('writes the span in its largest exact unit, ending at now', () => {
    expect(lastSpan(3_600_000)).toEqual({ from: 'now-1h', to: 'now' });
    expect(lastSpan(600_000)).toEqual({ from: 'now-10m', to: 'now' });
    expect(lastSpan(90_000)).toEqual({ from: 'now-90s', to: 'now' });
  });

  it('stays within the lengths a range may have', () => {
    expect(lastSpan(1)).toEqual({ from: 'now-1m', to: 'now' });
    expect(lastSpan(10 ** 12)).toEqual({ from: 'now-90d', to: 'now' });
  });
});
