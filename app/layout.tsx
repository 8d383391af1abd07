import type { Metadata, Viewport } from 'next';
import { cookies } from 'next/headers';
import type { ReactNode } from 'react';
import { ThemeProvider } from './_components/theme-toggle';
import { THEME_COOKIE, parseTheme, themeAttribute, type Theme } from './_lib/theme';
// The styles by area, in this order: the cascade resolves equal selectors by the later file.
import './styles/base.css';
import './styles/layout.css';
import './styles/board.css';
import './styles/drill-down.css';
import './styles/forms.css';
import './styles/sign-in.css';
import './styles/health.css';
import './styles/api-keys.css';
import './styles/accounts.css';
import './styles/notifications.css';
import './styles/metrics.css';
import './styles/root-cause.css';
import './styles/incidents.css';
import './styles/explore.css';
import './styles/time.css';

export const metadata: Metadata = {
  title: { default: 'Pulse', template: '%s' },
  description: 'Real-time anomaly detection for product telemetry.',
  robots: { index: false, follow: false },
  // Static assets live in public/.
  manifest: '/manifest.webmanifest',
  icons: {
    icon: [{ url: '/icon.svg', type: 'image/svg+xml' }],
    apple: [{ url: '/icons/apple-touch-icon.png', sizes: '180x180' }],
  },
};

/** The theme the person picked (a cookie the header's toggle writes), or the system's. */
async function requestTheme(): Promise<Theme> {
  return parseTheme((await cookies()).get(THEME_COOKIE)?.value);
}

const THEME_COLOR = { dark: '#0d1117', light: '#f6f7f9' } as const;

export async function generateViewport(): Promise<Viewport> {
  const theme = await requestTheme();
  if (theme !== 'system') return { colorScheme: theme, themeColor: THEME_COLOR[theme] };
  return {
    colorScheme: 'dark light',
    themeColor: [
      { media: '(prefers-color-scheme: dark)', color: THEME_COLOR.dark },
      { media: '(prefers-color-scheme: light)', color: THEME_COLOR.light },
    ],
  };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Set on the server, so the first paint has the right colours (app/styles/base.css).
  const theme = await requestTheme();
  return (
    <html lang="en" data-theme={themeAttribute(theme)}>
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        <ThemeProvider initial={theme}>{children}</ThemeProvider>
      </body>
    </html>
  );
}
