import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  findAllUnsafeText,
  findUnsafeText,
  firstRefused,
  isSafeText,
  unsafeTextMessage,
} from './input';

/** The rule of ./input.ts restated code point by code point (`[...text]` pairs surrogates). */
function refusedCodePoint(cp: number, multiline: boolean): boolean {
  if (multiline && (cp === 0x09 || cp === 0x0a || cp === 0x0d || cp === 0x2028 || cp === 0x2029)) {
    return false;
  }
  return (
    cp <= 0x1f ||
    (cp >= 0x7f && cp <= 0x9f) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069) ||
    (cp >= 0xd800 && cp <= 0xdfff) // iterated alone: an unpaired surrogate
  );
}

const clean = (text: string, multiline = false) =>
  [...text].filter((c) => !refusedCodePoint(c.codePointAt(0)!, multiline)).join('');

/** One of every class refused in a single-line field. */
const REFUSED_SAMPLES = [
  0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1b, 0x1f, 0x7f, 0x80, 0x85, 0x9b, 0x9f, 0x2028, 0x2029, 0x202a,
  0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0xd800, 0xdbff, 0xdc00, 0xdfff,
];

const anyText = fc.string({ unit: 'binary', maxLength: 60 });
const refusedChar = fc.constantFrom(...REFUSED_SAMPLES);

describe('one text', () => {
  it.each([
    ['NUL', 'a\u0000b', 'Must not contain control characters (U+0000).'],
    ['ESC', '\u001b[2J', 'Must not contain control characters (U+001B).'],
    ['a tab', 'a\tb', 'Must not contain control characters (U+0009).'],
    ['a line feed', 'ana\nforged', 'Must not contain line breaks (U+000A).'],
    ['a carriage return', 'a\rb', 'Must not contain line breaks (U+000D).'],
    ['DEL', 'a\u007f', 'Must not contain control characters (U+007F).'],
    ['CSI (C1)', '\u009b31m', 'Must not contain control characters (U+009B).'],
    ['NEL (C1)', 'a\u0085b', 'Must not contain control characters (U+0085).'],
    ['a line separator', 'a\u2028b', 'Must not contain line breaks (U+2028).'],
    [
      'RLO',
      'invoice\u202egnp.exe',
      'Must not contain bidirectional formatting characters (U+202E).',
    ],
    ['LRE', '\u202aa', 'Must not contain bidirectional formatting characters (U+202A).'],
    ['RLI', 'a\u2067b', 'Must not contain bidirectional formatting characters (U+2067).'],
    ['PDI', 'a\u2069', 'Must not contain bidirectional formatting characters (U+2069).'],
    ['a lone high surrogate', 'a\ud800', 'Must not contain unpaired surrogates (U+D800).'],
    ['a lone low surrogate', '\udc00a', 'Must not contain unpaired surrogates (U+DC00).'],
    ['a reversed pair', '\ude00\ud83d', 'Must not contain unpaired surrogates (U+DE00).'],
  ])('refuses %s', (_, text, message) => {
    expect(unsafeTextMessage(text)).toBe(message);
    expect(isSafeText(text)).toBe(false);
  });

  it.each([
    ['plain ASCII', 'checkout service'],
    ['the empty string', ''],
    ['a character above U+FFFF', 'a😀b'],
    ['Hebrew with RLM', 'שלום\u200f!'],
    ['LRM and ALM', 'a\u200eb\u061cc'],
    ['a zero-width joiner in an emoji', '👩\u200d💻'],
    ['U+FFFD', '\ufffd'],
    ['Latin-1 above C1', 'café ñ ©'],
    ['backslash escapes written out', 'a\\u0000b\\n'],
  ])('accepts %s', (_, text) => {
    expect(unsafeTextMessage(text)).toBeNull();
  });

  it('allows tab and line breaks in a multi-line text only', () => {
    const note = 'line one\r\nline two\twith a tab\u2028and a separator';
    expect(unsafeTextMessage(note)).not.toBeNull();
    expect(unsafeTextMessage(note, { multiline: true })).toBeNull();
    expect(unsafeTextMessage('a\nb\u0000', { multiline: true })).toBe(
      'Must not contain control characters (U+0000).',
    );
    expect(unsafeTextMessage('a\n\u202e', { multiline: true })).toMatch(/U\+202E/);
  });

  it('property: text without the refused characters passes', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, multiline) => {
        expect(unsafeTextMessage(clean(text, multiline), { multiline })).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it('property: agrees with the rule restated per code point', () => {
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, multiline) => {
        const expected = [...text].find((c) => refusedCodePoint(c.codePointAt(0)!, multiline));
        const refused = firstRefused(text, multiline);
        expect(refused?.codePoint ?? null).toBe(
          expected === undefined ? null : expected.charCodeAt(0),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('property: one refused character anywhere in clean text is refused, and named', () => {
    fc.assert(
      fc.property(anyText, refusedChar, fc.nat(), (text, code, at) => {
        const base = clean(text);
        // Between two code points, so a lone surrogate stays alone.
        const points = [...base];
        const cut = at % (points.length + 1);
        const before = points.slice(0, cut).join('');
        let inserted = String.fromCharCode(code);
        // A high surrogate before a low one would pair: keep the sample lone.
        if (code >= 0xd800 && code <= 0xdbff) inserted += 'x';
        if (code >= 0xdc00 && code <= 0xdfff) inserted = `x${inserted}`;
        const text2 = before + inserted + points.slice(cut).join('');
        const refused = firstRefused(text2);
        expect(refused).not.toBeNull();
        expect(refused!.codePoint).toBe(code);
        expect(unsafeTextMessage(text2)).toContain(
          `(U+${code.toString(16).toUpperCase().padStart(4, '0')})`,
        );
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a JSON value', () => {
  it('names the first field in document order, dotted, with array indexes', () => {
    const body = {
      name: 'ok',
      filters: { region: ['eu', 'us\u0000'], device: ['ios\u202e'] },
      unit: 'ms\n',
    };
    expect(findUnsafeText(body)).toEqual({
      path: 'filters.region.1',
      message: 'Must not contain control characters (U+0000).',
    });
    expect(findAllUnsafeText(body)).toEqual([
      { path: 'filters.region.1', message: 'Must not contain control characters (U+0000).' },
      {
        path: 'filters.device.0',
        message: 'Must not contain bidirectional formatting characters (U+202E).',
      },
      { path: 'unit', message: 'Must not contain line breaks (U+000A).' },
    ]);
  });

  it('names the root `body` (or the given root) for a bare string', () => {
    expect(findUnsafeText('a\u0000')?.path).toBe('body');
    expect(findUnsafeText(['a\u0000'])?.path).toBe('0');
    expect(findUnsafeText('a\u0000', { root: 'query' })?.path).toBe('query');
  });

  it('checks field names, reported at the object that holds them', () => {
    expect(findUnsafeText({ filters: { 'reg\u0000ion': ['eu'] } })).toEqual({
      path: 'filters',
      message: 'Field names must not contain control characters (U+0000).',
    });
    expect(findUnsafeText({ 'evil\u202e': 1 })).toEqual({
      path: 'body',
      message: 'Field names must not contain bidirectional formatting characters (U+202E).',
    });
    // The value under a refused name is not looked at (its path would hold the name).
    expect(findAllUnsafeText({ 'a\n': 'b\u0000', c: 'd\u0001' }).map((f) => f.path)).toEqual([
      'body',
      'c',
    ]);
  });

  it('allows line breaks in the multi-line fields named, by their dotted path', () => {
    const body = { action: 'ack', note: 'first line\nsecond line', nested: { note: 'a\nb' } };
    expect(findUnsafeText(body)?.path).toBe('note');
    expect(findUnsafeText(body, { multiline: ['note'] })).toEqual({
      path: 'nested.note',
      message: 'Must not contain line breaks (U+000A).',
    });
    expect(findUnsafeText(body, { multiline: ['note', 'nested.note'] })).toBeNull();
    expect(findUnsafeText({ note: 'a\n\u0000' }, { multiline: ['note'] })?.message).toMatch(
      /control characters \(U\+0000\)/,
    );
    // Field names are never multi-line.
    expect(findUnsafeText({ 'no\nte': 'x' }, { multiline: ['no\nte'] })?.path).toBe('body');
  });

  it('does not look at exempt fields (a password is taken exactly as typed)', () => {
    const body = { username: 'ana', password: 'tab\there\u202e', nested: { password: 'x\u0000' } };
    expect(findUnsafeText(body, { exempt: ['password'] })).toEqual({
      path: 'nested.password',
      message: 'Must not contain control characters (U+0000).',
    });
    expect(findUnsafeText(body, { exempt: ['password', 'nested.password'] })).toBeNull();
    expect(findUnsafeText({ 'pass\nword': 'x' }, { exempt: ['pass\nword'] })?.path).toBe('body');
  });

  it('ignores what is not text', () => {
    expect(findUnsafeText({ a: 1, b: true, c: null, d: [1.5, { e: false }] })).toBeNull();
    expect(findUnsafeText(undefined)).toBeNull();
    expect(findUnsafeText(42)).toBeNull();
  });

  it('keys `__proto__` and friends as any other name', () => {
    const parsed = JSON.parse('{"__proto__":{"x":"a\\u0000"},"constructor":"b\\u202e"}');
    expect(findAllUnsafeText(parsed).map((f) => f.path)).toEqual(['__proto__.x', 'constructor']);
  });

  it('walks a value nested deeper than the call stack would allow', () => {
    const depth = 50_000;
    const text = `${'['.repeat(depth)}"a\\u0000"${']'.repeat(depth)}`;
    const found = findUnsafeText(JSON.parse(text));
    expect(found?.path).toBe(Array.from({ length: depth }, () => '0').join('.'));
  });

  it('stops at the limit', () => {
    const many = Array.from({ length: 1000 }, () => '\u0000');
    expect(findAllUnsafeText(many)).toHaveLength(20);
    expect(findAllUnsafeText(many, {}, 3).map((f) => f.path)).toEqual(['0', '1', '2']);
  });

  /** Clean JSON (keys and strings stripped of refused characters) and the paths of its strings. */
  const cleanJson = fc
    .jsonValue({ stringUnit: 'binary', maxDepth: 4 })
    .map((value) => sanitize(value));

  function sanitize(value: unknown): unknown {
    if (typeof value === 'string') return clean(value);
    if (Array.isArray(value)) return value.map(sanitize);
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        Object.defineProperty(out, clean(key), {
          value: sanitize(item),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return value;
  }

  function stringPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
    if (typeof value === 'string') return [path];
    if (Array.isArray(value)) return value.flatMap((item, i) => stringPaths(item, [...path, i]));
    if (value && typeof value === 'object') {
      return Object.entries(value).flatMap(([key, item]) => stringPaths(item, [...path, key]));
    }
    return [];
  }

  function setAt(value: unknown, path: (string | number)[], text: string): unknown {
    if (path.length === 0) return text;
    const [head, ...rest] = path;
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<
      string | number,
      unknown
    >;
    Object.defineProperty(copy, head!, {
      value: setAt(copy[head!], rest, text),
      enumerable: true,
      writable: true,
      configurable: true,
    });
    return copy;
  }

  it('property: clean JSON passes', () => {
    fc.assert(
      fc.property(cleanJson, (value) => {
        expect(findUnsafeText(value)).toBeNull();
        expect(findAllUnsafeText(value)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it('property: one refused character in one string is found, at its path', () => {
    fc.assert(
      fc.property(cleanJson, fc.nat(), refusedChar, fc.nat(), (value, pick, code, at) => {
        const paths = stringPaths(value);
        fc.pre(paths.length > 0);
        const path = paths[pick % paths.length]!;
        const old = path.reduce<unknown>(
          (node, key) => (node as Record<string | number, unknown>)[key],
          value,
        ) as string;
        const cut = at % (old.length + 1);
        // Keep a pair together and a lone surrogate lone.
        const safeCut = /[\udc00-\udfff]/.test(old[cut] ?? '') ? cut - 1 : cut;
        const lone = code >= 0xd800 && code <= 0xdfff ? `x${String.fromCharCode(code)}x` : null;
        const insert = lone ?? String.fromCharCode(code);
        const hostile = setAt(value, path, old.slice(0, safeCut) + insert + old.slice(safeCut));
        const name = path.map(String).join('.') || 'body';
        const found = findUnsafeText(hostile);
        expect(found?.path).toBe(name);
        expect(found?.message).toContain(`(U+${code.toString(16).toUpperCase().padStart(4, '0')})`);
        expect(findAllUnsafeText(hostile).map((f) => f.path)).toEqual([name]);
      }),
      { numRuns: 1000 },
    );
  });
});
