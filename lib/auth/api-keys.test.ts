import { describe, expect, it } from 'vitest';
import { KEY_NAME_MAX, validateKeyName } from './api-keys';

describe('validateKeyName', () => {
  it('accepts a printable name, trimmed', () => {
    expect(validateKeyName('  ingest from billing  ')).toEqual({
      ok: true,
      name: 'ingest from billing',
    });
    expect(validateKeyName('é'.repeat(KEY_NAME_MAX))).toMatchObject({ ok: true });
    expect(validateKeyName('<script>alert(1)</script>')).toMatchObject({ ok: true });
  });

  it('refuses missing, blank, too long and control characters, saying why', () => {
    expect(validateKeyName(undefined)).toEqual({ ok: false, error: 'Give the key a name.' });
    expect(validateKeyName(42)).toEqual({ ok: false, error: 'Give the key a name.' });
    expect(validateKeyName('   ')).toEqual({ ok: false, error: 'Give the key a name.' });
    expect(validateKeyName('x'.repeat(KEY_NAME_MAX + 1))).toEqual({
      ok: false,
      error: `Use at most ${KEY_NAME_MAX} characters.`,
    });
    expect(validateKeyName('a\u0000b')).toEqual({
      ok: false,
      error: 'Must not contain control characters (U+0000).',
    });
    expect(validateKeyName('a\u007fb')).toMatchObject({ ok: false, error: /U\+007F/ });
    for (const name of ['a\nb', 'name\n', 'a\u2028b']) {
      expect(validateKeyName(name)).toMatchObject({
        ok: false,
        error: /^Must not contain line breaks/,
      });
    }
  });

  it('refuses bidi overrides and isolates, which would disguise the name in the list', () => {
    expect(validateKeyName('billing\u202egnp.exe')).toEqual({
      ok: false,
      error: 'Must not contain bidirectional formatting characters (U+202E).',
    });
    expect(validateKeyName('a\u2066b\u2069')).toMatchObject({ ok: false, error: /U\+2066/ });
    // The marks that mixed-direction names need are allowed.
    expect(validateKeyName('שלום\u200f service')).toMatchObject({ ok: true });
  });
});
