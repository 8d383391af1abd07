import { describe, expect, it } from 'vitest';
import {
  checkNewPassword,
  checkUsername,
  describeUserAgent,
  isRole,
  roleSentence,
} from './accounts';

describe('account rules', () => {
  it('usernames: 1–64 letters, digits, _ . - (trimmed)', () => {
    expect(checkUsername(' alice.b-c_1 ')).toEqual({ ok: true, value: 'alice.b-c_1' });
    expect(checkUsername('x'.repeat(64))).toMatchObject({ ok: true });
    expect(checkUsername('')).toEqual({ ok: false, error: 'Enter a username.' });
    expect(checkUsername(42)).toEqual({ ok: false, error: 'Enter a username.' });
    expect(checkUsername('x'.repeat(65))).toEqual({
      ok: false,
      error: 'Use at most 64 characters.',
    });
    for (const bad of ['a b', 'a/b', 'é', 'a\u0000b', 'a\nb', 'a\u202eb']) {
      expect(checkUsername(bad)).toEqual({
        ok: false,
        error: 'Use only letters, digits, _ . and -.',
      });
    }
  });

  it('new passwords: 8–200 characters, taken as typed', () => {
    expect(checkNewPassword(' 8 chars')).toEqual({ ok: true, value: ' 8 chars' });
    expect(checkNewPassword('x'.repeat(200))).toMatchObject({ ok: true });
    expect(checkNewPassword('')).toEqual({ ok: false, error: 'Enter a password.' });
    expect(checkNewPassword(undefined)).toEqual({ ok: false, error: 'Enter a password.' });
    expect(checkNewPassword('seven77')).toEqual({ ok: false, error: 'Use at least 8 characters.' });
    expect(checkNewPassword('x'.repeat(201))).toEqual({
      ok: false,
      error: 'Use at most 200 characters.',
    });
  });

  it('roles', () => {
    expect(['viewer', 'editor', 'admin'].every(isRole)).toBe(true);
    expect(isRole('root')).toBe(false);
    expect(roleSentence('viewer')).toBe('Watches the board.');
  });

  it('names a browser from its User-Agent', () => {
    const cases: [string | null, string][] = [
      [
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36',
        'Chrome on Linux',
      ],
      [
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
        'Safari on macOS',
      ],
      [
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0',
        'Firefox on Windows',
      ],
      [
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
        'Safari on iOS',
      ],
      [
        'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 EdgA/126.0',
        'Chrome on Android',
      ],
      [
        'Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126.0 Safari/537.36 Edg/126.0',
        'Edge on Windows',
      ],
      ['curl/8.5.0', 'curl'],
      ['something else', 'Other client'],
      [null, 'Unknown browser'],
    ];
    for (const [ua, name] of cases) expect(describeUserAgent(ua)).toBe(name);
  });
});
