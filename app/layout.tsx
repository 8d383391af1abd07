import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
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

export const viewport: Viewport = {
  colorScheme: 'dark light',
  themeColor: [
    { media: '(prefers-color-scheme: dark)', color: '#0d1117' },
    { media: '(prefers-color-scheme: light)', color: '#f6f7f9' },
  ],
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        {children}
      </body>
    </html>
  );
}
