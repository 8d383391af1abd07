import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENT_LIMITS } from '@/lib/ingest/contract';
import { isStorableText } from '@/lib/ingest/text';
import { DEFINITION_LIMITS } from '@/lib/metrics/definition';
import { MAX_RANGE_MS, TIME_EXPR_FORMS, parseTimeExpr, resolveRange } from './time-range';
import {
  DEFAULT_STATE,
  MAX_FILTERS,
  exploreHref,
  exploreQuery,
  parseExploreState,
  parseRangeState,
  rangeAround,
  rangeHref,
  type ExploreState,
} from './view-state';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const NOW = Date.UTC(2026, 11, 5, 14, 3, 7, 250);

const parse = (query: string) => parseExploreState(new URLSearchParams(query));
const state = (over: Partial<ExploreState>): ExploreState => ({ ...DEFAULT_STATE, ...over });

describe('parseExploreState', () => {
  it('gives the defaults for an empty query', () => {
    expect(parse('')).toEqual({ state: DEFAULT_STATE, problems: [] });
    expect(DEFAULT_STATE).toEqual({
      range: { from: 'now-6h', to: 'now' },
      tz: 'local',
      split: null,
      top: 5,
      filter: {},
      compare: 'off',
    });
  });

  it('returns a state of its own, never the shared defaults', () => {
    const { state: parsed } = parse('');
    expect(parsed.range).not.toBe(DEFAULT_STATE.range);
    expect(parsed.filter).not.toBe(DEFAULT_STATE.filter);
    parsed.filter.region = 'eu';
    expect(DEFAULT_STATE.filter).toEqual({});
    expect(Object.isFrozen(DEFAULT_STATE.filter)).toBe(true);
  });

  it('reads every parameter', () => {
    const query =
      'from=2026-12-05T10:00:00Z&to=now-1h&tz=utc&split=region&top=12' +
      '&filter=device:ios&filter=url:https://x.test/a?b=c:d&compare=1w';
    expect(parse(query)).toEqual({
      state: {
        range: { from: '2026-12-05T10:00:00Z', to: 'now-1h' },
        tz: 'utc',
        split: 'region',
        top: 12,
        filter: { device: 'ios', url: 'https://x.test/a?b=c:d' },
        compare: '1w',
      },
      problems: [],
    });
  });

  it('takes the other end of the range from the default when one is absent', () => {
    expect(parse('from=now-1h').state.range).toEqual({ from: 'now-1h', to: 'now' });
    expect(parse('to=now-1h').state.range).toEqual({ from: 'now-6h', to: 'now-1h' });
  });

  it('leaves whether the ends make a range to resolveRange, which knows now', () => {
    expect(parse('from=now&to=now-1h')).toEqual({
      state: state({ range: { from: 'now', to: 'now-1h' } }),
      problems: [],
    });
  });

  it('falls back to the whole default range when either end is not a time', () => {
    const { state: parsed, problems } = parse('from=yesterday&to=1764928800000');
    expect(parsed.range).toEqual({ from: 'now-6h', to: 'now' });
    expect(problems).toEqual([`The parameter from is not a time: use ${TIME_EXPR_FORMS}.`]);
    expect(parse('from=x&to=y').problems).toHaveLength(2);
  });

  it.each([
    ['tz=UTC', 'The parameter tz must be local or utc.'],
    ['split=Region', 'The parameter split must be a dimension name (matching '],
    ['split=a:b', 'The parameter split must be a dimension name'],
    ['top=0', 'The parameter top must be a whole number from 1 to 20.'],
    ['top=21', 'The parameter top must be a whole number from 1 to 20.'],
    ['top=05', 'The parameter top must be a whole number'],
    ['top=2.5', 'The parameter top must be a whole number'],
    ['top=%203', 'The parameter top must be a whole number'],
    ['compare=1m', 'The parameter compare must be off, 1d or 1w.'],
    ['filter=region', 'The parameter filter must be a dimension name ('],
    ['filter=:eu', 'The parameter filter must be a dimension name ('],
    ['filter=Region:eu', 'The parameter filter must be a dimension name ('],
    ['filter=region:', 'The parameter filter for region needs a value of 1 to 128 characters'],
    ['filter=region:%00', 'The parameter filter for region needs a value'],
    [`filter=region:${'x'.repeat(129)}`, 'The parameter filter for region needs a value'],
  ])('%s: falls back to the default, and says so', (query, problem) => {
    const { state: parsed, problems } = parse(query);
    expect(parsed).toEqual(DEFAULT_STATE);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(problem);
    expect(problems[0]).toMatch(/\.$/);
  });

  it('keeps the valid parameters beside an invalid one', () => {
    expect(parse('tz=mars&split=region&top=99&compare=1d')).toEqual({
      state: state({ split: 'region', compare: '1d' }),
      problems: [
        'The parameter tz must be local or utc.',
        'The parameter top must be a whole number from 1 to 20.',
      ],
    });
  });

  it('reads the first value of a repeated parameter', () => {
    expect(parse('tz=utc&tz=bogus&top=3&top=7')).toEqual({
      state: state({ tz: 'utc', top: 3 }),
      problems: [],
    });
  });

  it('reads an empty parameter as absent', () => {
    expect(parse('from=&to=&tz=&split=&top=&filter=&compare=')).toEqual({
      state: DEFAULT_STATE,
      problems: [],
    });
  });

  it('ignores parameters it does not know', () => {
    expect(parse('utm_source=x&refresh=5s')).toEqual({ state: DEFAULT_STATE, problems: [] });
  });

  it('splits a filter at its first colon and keeps the value exactly', () => {
    const { state: parsed } = parse(
      `filter=path:${encodeURIComponent('a:b::c')}&filter=name:${encodeURIComponent(' x\u202e ')}`,
    );
    expect(parsed.filter).toEqual({ path: 'a:b::c', name: ' x\u202e ' });
  });

  it('keeps the first value of a dimension named twice', () => {
    expect(parse('filter=region:eu&filter=region:us')).toEqual({
      state: state({ filter: { region: 'eu' } }),
      problems: ['The parameter filter names region more than once; the first is kept.'],
    });
  });

  it(`keeps at most ${MAX_FILTERS} dimensions`, () => {
    const query = Array.from({ length: 11 }, (_, i) => `filter=d${i}:v`).join('&');
    const { state: parsed, problems } = parse(query);
    expect(Object.keys(parsed.filter)).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7']);
    expect(problems).toEqual([
      'The parameter filter may name at most 8 dimensions; 3 more were ignored.',
    ]);
  });

  it('takes dimension names that are also names on Object.prototype', () => {
    expect(parse('filter=constructor:a&filter=tostring:b').state.filter).toEqual({
      constructor: 'a',
      tostring: 'b',
    });
    expect(parse('filter=__proto__:x').problems).toHaveLength(1);
  });

  it('takes a value as long as the event contract allows', () => {
    const value = 'é'.repeat(EVENT_LIMITS.maxDimValueLength);
    expect(parse(`filter=city:${value}`).state.filter).toEqual({ city: value });
  });

  it('never echoes what the URL says', () => {
    const junk = '<script>alert(1)</script>';
    const query = ['from', 'to', 'tz', 'split', 'top', 'filter', 'compare']
      .map((name) => `${name}=${encodeURIComponent(junk)}`)
      .join('&');
    const { problems } = parse(`${query}&filter=region:${'y'.repeat(200)}`);
    expect(problems).toHaveLength(8);
    for (const problem of problems) {
      expect(problem).not.toContain('script');
      expect(problem).not.toContain('yyy');
    }
  });

  it('never throws, names a parameter in each problem, and settles after one pass', () => {
    const name = fc.constantFrom('from', 'to', 'tz', 'split', 'top', 'filter', 'compare', 'x');
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('now', 'now-1h', 'utc', 'region', '3', '1d', 'region:eu', 'a:', ':'),
    );
    const query = fc
      .array(fc.tuple(name, text), { maxLength: 14 })
      .map((pairs) => new URLSearchParams(pairs));
    fc.assert(
      fc.property(query, (params) => {
        const { state: parsed, problems } = parseExploreState(params);
        for (const problem of problems) {
          expect(problem).toMatch(/^The parameter (from|to|tz|split|top|filter|compare) /);
        }
        const again = parse(exploreQuery(parsed));
        expect(again).toEqual({ state: parsed, problems: [] });
      }),
    );
  });
});

describe('exploreQuery', () => {
  it('is empty for the defaults', () => {
    expect(exploreQuery(DEFAULT_STATE)).toBe('');
  });

  it('writes the parameters in a stable order, filters sorted by dimension', () => {
    const query = exploreQuery({
      compare: '1d',
      filter: { region: 'eu-west', device: 'ios' },
      top: 10,
      split: 'country',
      tz: 'utc',
      range: { from: 'now-24h', to: 'now-1h' },
    });
    expect(query).toBe(
      'from=now-24h&to=now-1h&tz=utc&split=country&top=10' +
        '&filter=device:ios&filter=region:eu-west&compare=1d',
    );
  });

  it('omits each default on its own', () => {
    expect(exploreQuery(state({ range: { from: 'now-1h', to: 'now' } }))).toBe('from=now-1h');
    expect(exploreQuery(state({ range: { from: 'now-6h', to: 'now/d' } }))).toBe('to=now/d');
  });

  it('keeps times and filters readable, and escapes what must be', () => {
    expect(exploreQuery(state({ range: { from: '2026-12-05T10:00:00+01:00', to: 'now' } }))).toBe(
      'from=2026-12-05T10:00:00%2B01:00',
    );
    expect(exploreQuery(state({ filter: { q: 'a&b=c d%/+#?' } }))).toBe(
      'filter=q:a%26b%3Dc%20d%25/%2B%23%3F',
    );
  });

  it('writes a lone surrogate as U+FFFD instead of throwing', () => {
    expect(exploreQuery(state({ filter: { q: 'a\ud800' } }))).toBe('filter=q:a%EF%BF%BD');
  });
});

describe('exploreHref', () => {
  it('links to the metric with no query for the defaults', () => {
    expect(exploreHref('checkout_errors')).toBe('/metrics/checkout_errors');
    expect(exploreHref('checkout_errors', {})).toBe('/metrics/checkout_errors');
  });

  it('encodes the key as one path segment', () => {
    expect(exploreHref('a/b c?')).toBe('/metrics/a%2Fb%20c%3F');
  });

  it('merges a partial state over the defaults', () => {
    expect(exploreHref('m', { split: 'region', compare: '1w' })).toBe(
      '/metrics/m?split=region&compare=1w',
    );
  });

  it('reads an undefined field as its default', () => {
    expect(exploreHref('m', { split: undefined, tz: undefined, top: 3 })).toBe('/metrics/m?top=3');
  });
});

describe('rangeAround', () => {
  const first = Date.UTC(2026, 11, 5, 10);
  const resolved = (spec: { from: string; to: string }) => [Number(spec.from), Number(spec.to)];

  it('pads a short anomaly by 30 minutes either side', () => {
    expect(resolved(rangeAround(first, first + 5 * M, NOW))).toEqual([
      first - 30 * M,
      first + 35 * M,
    ]);
  });

  it('pads a longer one by three times its length', () => {
    expect(resolved(rangeAround(first, first + H, NOW))).toEqual([first - 3 * H, first + 4 * H]);
  });

  it('stops at now, as for an open anomaly', () => {
    // 18 minutes long: padded by 54 minutes, which would end 52 minutes from now.
    const open = rangeAround(NOW - 20 * M, NOW - 2 * M, NOW);
    expect(resolved(open)).toEqual([NOW - 74 * M, NOW]);
  });

  it('never ends before the anomaly does', () => {
    // Its latest window is still open: 11 minutes, padded by 33.
    expect(resolved(rangeAround(NOW - 10 * M, NOW + M, NOW))).toEqual([NOW - 43 * M, NOW + M]);
  });

  it('shrinks the padding to stay within 90 days', () => {
    const [from, to] = resolved(rangeAround(first - 30 * D, first, first + 90 * D));
    expect([from, to]).toEqual([first - 60 * D, first + 30 * D]);
  });

  it('shows the latest 90 days of an anomaly longer than that', () => {
    const [from, to] = resolved(rangeAround(first - 200 * D, first, first + D));
    expect([from, to]).toEqual([first - 90 * D, first]);
  });

  it('always resolves and holds the anomaly up to now, within 90 days', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1e12, max: 2e12 }),
        fc.integer({ min: M, max: 120 * D }),
        fc.integer({ min: -D, max: 100 * D }),
        (start, length, after) => {
          const end = start + length;
          const now = end + after;
          const spec = rangeAround(start, end, now);
          const range = resolveRange(spec, now);
          if (!range.ok) throw new Error(range.error);
          expect(range.to - range.from).toBeLessThanOrEqual(MAX_RANGE_MS);
          expect(range.to).toBeGreaterThanOrEqual(Math.min(end, Math.max(now, end)));
          if (length < MAX_RANGE_MS) expect(range.from).toBeLessThan(start);
          else expect(range.to).toBe(end);
        },
      ),
    );
  });
});

describe('the URL round trip', () => {
  const dimName = fc.stringMatching(EVENT_LIMITS.keyPattern);
  const dimValue = fc
    .string({ unit: 'binary', minLength: 1, maxLength: EVENT_LIMITS.maxDimValueLength })
    .filter((v) => v.length <= EVENT_LIMITS.maxDimValueLength && isStorableText(v));
  const timeExpr = fc.oneof(
    fc.constant('now'),
    fc
      .tuple(
        fc.constantFrom('-', '+'),
        fc.integer({ min: 1, max: 500 }),
        fc.constantFrom('s', 'm', 'h', 'd', 'w'),
        fc.constantFrom('', '/d', '/h'),
      )
      .map(([sign, n, unit, round]) => `now${sign}${n}${unit}${round}`),
    fc.integer({ min: 0, max: 999_999_999_999_999 }).map(String),
    fc
      // From the second day of 1970: with an offset, the first can fall before 1970.
      .date({ min: new Date(D), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
      .chain((d) =>
        fc.constantFrom(
          d.toISOString(),
          d.toISOString().slice(0, 10),
          d.toISOString().replace('Z', '+05:30'),
        ),
      ),
  );
  const exploreState: fc.Arbitrary<ExploreState> = fc.record({
    range: fc.record({ from: timeExpr, to: timeExpr }),
    tz: fc.constantFrom('local' as const, 'utc' as const),
    split: fc.option(dimName, { nil: null }),
    top: fc.integer({ min: 1, max: 20 }),
    filter: fc.dictionary(dimName, dimValue, { maxKeys: MAX_FILTERS }),
    compare: fc.constantFrom('off' as const, '1d' as const, '1w' as const),
  });

  it('the generator makes only valid time expressions', () => {
    fc.assert(
      fc.property(timeExpr, (expr) => {
        expect(parseTimeExpr(expr, NOW)).not.toBeNull();
      }),
    );
  });

  it('parses the query of any valid state back to that state, with no problems', () => {
    fc.assert(
      fc.property(exploreState, (s) => {
        expect(parseExploreState(new URLSearchParams(exploreQuery(s)))).toEqual({
          state: s,
          problems: [],
        });
      }),
      { numRuns: 300 },
    );
  });

  it('writes the same query for the state it parsed', () => {
    fc.assert(
      fc.property(exploreState, (s) => {
        const query = exploreQuery(s);
        expect(exploreQuery(parse(query).state)).toBe(query);
      }),
    );
  });

  it('goes through an href too', () => {
    fc.assert(
      fc.property(fc.stringMatching(DEFINITION_LIMITS.keyPattern), exploreState, (key, s) => {
        const url = new URL(exploreHref(key, s), 'http://pulse.test');
        expect(decodeURIComponent(url.pathname)).toBe(`/metrics/${key}`);
        expect(parseExploreState(url.searchParams).state).toEqual(s);
      }),
    );
  });
});

describe('parseRangeState', () => {
  const parseRange = (query: string) => parseRangeState(new URLSearchParams(query));

  it('has no range when the URL names none, so the page keeps its own default', () => {
    expect(parseRange('')).toEqual({ state: { range: null, tz: 'local' }, problems: [] });
    expect(parseRange('tz=utc&from=')).toEqual({ state: { range: null, tz: 'utc' }, problems: [] });
  });

  it('reads both ends, and takes a missing end from the fallback', () => {
    expect(parseRange('from=now-1h&to=now').state.range).toEqual({ from: 'now-1h', to: 'now' });
    expect(parseRange('from=now-1d').state.range).toEqual({ from: 'now-1d', to: 'now' });
    expect(
      parseRangeState(new URLSearchParams('to=1764928800000'), { from: 'now-1h', to: 'now' }).state
        .range,
    ).toEqual({ from: 'now-1h', to: '1764928800000' });
  });

  it('names a bad end and keeps the page default instead of half a range', () => {
    const { state: s, problems } = parseRange('from=yesterday&to=now&tz=mars');
    expect(s).toEqual({ range: null, tz: 'local' });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toContain('The parameter from');
    expect(problems[1]).toContain('The parameter tz');
    expect(problems.join(' ')).not.toContain('yesterday');
    expect(problems.join(' ')).not.toContain('mars');
  });
});

describe('rangeHref', () => {
  it('writes nothing for the page default', () => {
    expect(rangeHref('/', { range: null, tz: 'local' })).toBe('/');
  });

  it('writes both ends and the zone, readable', () => {
    expect(
      rangeHref('/anomalies/7', { range: { from: '2026-12-05T10:00:00Z', to: 'now' }, tz: 'utc' }),
    ).toBe('/anomalies/7?from=2026-12-05T10:00:00Z&to=now&tz=utc');
  });

  it('round-trips through parseRangeState', () => {
    const timeExpr = fc.constantFrom('now', 'now-6h', 'now-1d/d', '1764928800000', '2026-12-05');
    fc.assert(
      fc.property(
        fc.option(fc.record({ from: timeExpr, to: timeExpr }), { nil: null }),
        fc.constantFrom('local' as const, 'utc' as const),
        (range, tz) => {
          const url = new URL(rangeHref('/', { range, tz }), 'http://pulse.test');
          expect(parseRangeState(url.searchParams)).toEqual({
            state: { range, tz },
            problems: [],
          });
        },
      ),
    );
  });
});
