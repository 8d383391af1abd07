import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { escapedText, isStorableText, jsonTextBytes, storableText } from './text';

describe('storable text', () => {
  it.each([
    ['plain ASCII', 'eu-west', true],
    ['a character above U+FFFF (a surrogate pair)', 'a😀b', true],
    ['U+FFFD itself', '\uFFFD', true],
    ['NUL', 'a\u0000b', false],
    ['a lone high surrogate', 'a\ud800', false],
    ['a lone low surrogate', '\udc00a', false],
    ['a reversed pair', '\ude00\ud83d', false],
  ])('%s: storable %s', (_, text, storable) => {
    expect(isStorableText(text)).toBe(storable);
  });

  it('normalises NUL and lone surrogates to U+FFFD and keeps pairs', () => {
    expect(storableText('a\u0000b\ud800c😀\udc00')).toBe('a\uFFFDb\uFFFDc😀\uFFFD');
  });

  it('property: normalised text is storable, the same length, and storable text is kept', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const out = storableText(text);
        expect(isStorableText(out)).toBe(true);
        expect(out.length).toBe(text.length);
        if (isStorableText(text)) expect(out).toBe(text);
        // What the UTF-8 encoder writes for it: no NUL byte, and it decodes back unchanged.
        const bytes = Buffer.from(out, 'utf8');
        expect(bytes.includes(0)).toBe(false);
        expect(bytes.toString('utf8')).toBe(out);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: jsonTextBytes is the UTF-8 size of JSON.stringify, or -1 when unstorable', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        const expected = isStorableText(text)
          ? Buffer.byteLength(JSON.stringify(text), 'utf8')
          : -1;
        expect(jsonTextBytes(text)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
    expect(jsonTextBytes('\b\t\n\f\r\u0001"\\')).toBe(2 + 5 * 2 + 6 + 2 + 2);
  });

  it('property: escaped text is printable ASCII, and unescapes to the original', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (text) => {
        const out = escapedText(text);
        expect(out).toMatch(/^[\x20-\x7e]*$/);
        const back = out.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) =>
          String.fromCharCode(parseInt(hex, 16)),
        );
        if (!text.includes('\\u')) expect(back).toBe(text);
      }),
    );
  });
});
