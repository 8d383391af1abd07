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
    for (const name of ['a\nb', 'a\u0000b', 'a\u007fb', 'a\u2028b']) {
      expect(validateKeyName(name)).toEqual({ ok: false, error: 'Use printable characters only.' });
    }
  });
});
