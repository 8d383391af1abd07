import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSafeText } from './input';
import { escapeControls, revealControls } from './output';

describe('escapeControls (one line of a terminal)', () => {
  it('writes line breaks, escapes and invisible characters as JSON escapes', () => {
    expect(escapeControls('ana\n12:00:00  web  info  forged')).toBe(
      'ana\\n12:00:00  web  info  forged',
    );
    expect(escapeControls('a\r\tb')).toBe('a\\r\\tb');
    expect(escapeControls('\u001b[2J\u001b]0;title\u0007')).toBe(
      '\\u001b[2J\\u001b]0;title\\u0007',
    );
    expect(escapeControls('\u009b31m \u0085 \u007f')).toBe('\\u009b31m \\u0085 \\u007f');
    expect(escapeControls('x\u202eexe.png \u2066 \u200f \u061c')).toBe(
      'x\\u202eexe.png \\u2066 \\u200f \\u061c',
    );
    expect(escapeControls('a\u2028b\u2029c\ud800')).toBe('a\\u2028b\\u2029c\\ud800');
  });

  it('keeps ordinary text, pairs and backslashes', () => {
    for (const text of ['flushed rows=12', 'café 😀 ©', 'C:\\data\\n', '▲ Next.js 16']) {
      expect(escapeControls(text)).toBe(text);
    }
  });

  it('property: the result holds no control, format or separator character, nor a lone surrogate', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const out = escapeControls(text);
        expect(out).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
        if (!/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u.test(text)) expect(out).toBe(text);
      }),
      { numRuns: 500 },
    );
  });
});

describe('revealControls (a page)', () => {
  it('replaces what no field may hold with a visible code point', () => {
    expect(revealControls('invoice\u202egnp.exe')).toBe('invoice⟨U+202E⟩gnp.exe');
    expect(revealControls('\u2067a\u2069 \u0000 \u001b \u0085 \u2028')).toBe(
      '⟨U+2067⟩a⟨U+2069⟩ ⟨U+0000⟩ ⟨U+001B⟩ ⟨U+0085⟩ ⟨U+2028⟩',
    );
    expect(revealControls('a\ud800b\udc00')).toBe('a⟨U+D800⟩b⟨U+DC00⟩');
  });

  it('keeps lines, tabs, marks and pairs', () => {
    for (const text of ['line\nnext\r\n\tindented', 'שלום\u200f!', '😀', 'a\u200eb\u061c']) {
      expect(revealControls(text)).toBe(text);
    }
  });

  it('property: the result is text a multi-line field may hold', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const out = revealControls(text);
        expect(isSafeText(out, { multiline: true })).toBe(true);
        expect(out).not.toMatch(/[\u2028\u2029]/);
        if (isSafeText(text, { multiline: true }) && !/[\u2028\u2029]/.test(text)) {
          expect(out).toBe(text);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
