'use client';
/**
 * The colour theme: light, dark or the system's. The root layout reads the cookie on the server
 * and sets `data-theme` on <html> (so the first paint is right, with no inline script under the
 * CSP) and hands the choice to `ThemeProvider`; the header's `ThemeToggle` changes it: the
 * cookie for the next page load, the attribute for this one.
 */
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { THEMES, themeAttribute, themeCookie, themeFromCookies, type Theme } from '../_lib/theme';

const ThemeContext = createContext<{ theme: Theme; choose: (theme: Theme) => void } | null>(null);

function apply(theme: Theme) {
  const root = document.documentElement;
  const attribute = themeAttribute(theme);
  if (attribute) root.dataset.theme = attribute;
  else delete root.dataset.theme;
}

export function ThemeProvider({ initial, children }: { initial: Theme; children: ReactNode }) {
  const [theme, setTheme] = useState(initial);

  // Another tab may have changed it: the cookie is the truth when this one is shown again.
  useEffect(() => {
    const sync = () => {
      if (document.visibilityState !== 'visible') return;
      const stored = themeFromCookies(document.cookie);
      setTheme(stored);
      apply(stored);
    };
    document.addEventListener('visibilitychange', sync);
    return () => document.removeEventListener('visibilitychange', sync);
  }, []);

  const choose = (next: Theme) => {
    document.cookie = themeCookie(next, window.location.protocol === 'https:');
    apply(next);
    setTheme(next);
  };
  return <ThemeContext value={{ theme, choose }}>{children}</ThemeContext>;
}

const LABEL: Record<Theme, string> = { system: 'System', light: 'Light', dark: 'Dark' };

/** Sun, moon, or a screen for the system's theme. */
function ThemeIcon({ theme }: { theme: Theme }) {
  return (
    <svg
      className="theme-icon"
      width="16"
      height="16"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {theme === 'light' ? (
        <>
          <circle cx="12" cy="12" r="4" />
          <path d="M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4" />
        </>
      ) : theme === 'dark' ? (
        <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
      ) : (
        <>
          <rect x="3" y="4" width="18" height="12" rx="2" />
          <path d="M8 20h8M12 16v4" />
        </>
      )}
    </svg>
  );
}

/** A small select in the header: System, Light, Dark. */
export function ThemeToggle() {
  const context = useContext(ThemeContext);
  if (!context) return null;
  const { theme, choose } = context;
  return (
    <label className="theme-toggle" title="Colour theme">
      <ThemeIcon theme={theme} />
      <span className="sr-only">Theme</span>
      <select
        value={theme}
        onChange={(event) => choose(event.target.value as Theme)}
        data-testid="theme-toggle"
      >
        {THEMES.map((t) => (
          <option key={t} value={t}>
            {LABEL[t]}
          </option>
        ))}
      </select>
    </label>
  );
}
