/**
 * The colour theme a person picked: light, dark, or the system's (the default). Remembered in a
 * cookie that the root layout reads on the server, so the page arrives with `data-theme` already
 * on <html> (app/styles/base.css) — no flash, and no inline script to fit under the CSP. Pure.
 */
export type Theme = 'light' | 'dark' | 'system';

export const THEMES: readonly Theme[] = ['system', 'light', 'dark'];

export const THEME_COOKIE = 'pulse-theme';

/** A year: the choice outlives sessions. */
const MAX_AGE_S = 365 * 24 * 3600;

/** The theme a cookie's value names; anything else (absent, tampered) is the system's. */
export function parseTheme(value: string | null | undefined): Theme {
  return value === 'light' || value === 'dark' ? value : 'system';
}

/** The theme in a `document.cookie` (or Cookie header) string. */
export function themeFromCookies(cookies: string): Theme {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === THEME_COOKIE) return parseTheme(part.slice(eq + 1).trim());
  }
  return 'system';
}

/** The `document.cookie` assignment that remembers `theme` (system: forgets the cookie). */
export function themeCookie(theme: Theme, secure: boolean): string {
  const attributes = `Path=/; SameSite=Lax${secure ? '; Secure' : ''}`;
  return theme === 'system'
    ? `${THEME_COOKIE}=; Max-Age=0; ${attributes}`
    : `${THEME_COOKIE}=${theme}; Max-Age=${MAX_AGE_S}; ${attributes}`;
}

/** The `data-theme` attribute for <html>: none for the system's, so the media query decides. */
export function themeAttribute(theme: Theme): 'light' | 'dark' | undefined {
  return theme === 'system' ? undefined : theme;
}
