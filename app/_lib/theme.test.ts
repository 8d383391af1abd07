import { describe, expect, it } from 'vitest';
import { THEME_COOKIE, parseTheme, themeAttribute, themeCookie, themeFromCookies } from './theme';

describe('parseTheme', () => {
  it('accepts light and dark, and reads anything else as the system theme', () => {
    expect(parseTheme('light')).toBe('light');
    expect(parseTheme('dark')).toBe('dark');
    for (const other of [undefined, null, '', 'system', 'DARK', 'dark ', '<script>', 'light;x=1']) {
      expect(parseTheme(other)).toBe('system');
    }
  });
});

describe('themeFromCookies', () => {
  it('finds the theme among other cookies', () => {
    expect(themeFromCookies(`a=1; ${THEME_COOKIE}=dark; b=2`)).toBe('dark');
    expect(themeFromCookies(`${THEME_COOKIE}=light`)).toBe('light');
  });

  it('is the system theme without the cookie or with a bad value', () => {
    expect(themeFromCookies('')).toBe('system');
    expect(themeFromCookies('x-pulse-theme=dark; pulse-themes=dark; novalue')).toBe('system');
    expect(themeFromCookies(`${THEME_COOKIE}=blue`)).toBe('system');
  });
});

describe('themeCookie', () => {
  it('remembers a choice for a year, site-wide', () => {
    expect(themeCookie('dark', false)).toBe(
      `${THEME_COOKIE}=dark; Max-Age=31536000; Path=/; SameSite=Lax`,
    );
    expect(themeCookie('light', true)).toBe(
      `${THEME_COOKIE}=light; Max-Age=31536000; Path=/; SameSite=Lax; Secure`,
    );
  });

  it('forgets the cookie for the system theme', () => {
    expect(themeCookie('system', false)).toBe(`${THEME_COOKIE}=; Max-Age=0; Path=/; SameSite=Lax`);
  });

  it('round-trips through the cookie string', () => {
    for (const theme of ['light', 'dark'] as const) {
      expect(themeFromCookies(themeCookie(theme, false).split(';')[0]!)).toBe(theme);
    }
  });
});

describe('themeAttribute', () => {
  it('sets data-theme only for an explicit choice', () => {
    expect(themeAttribute('system')).toBeUndefined();
    expect(themeAttribute('dark')).toBe('dark');
    expect(themeAttribute('light')).toBe('light');
  });
});
