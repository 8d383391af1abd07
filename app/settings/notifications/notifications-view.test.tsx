/**
 * The notification settings page with hostile values: route names, silence comments, who set a
 * silence, cause values and recipients reach the page as text, never markup, and bidi
 * overrides are isolated and made visible (as app/escaping.test.tsx checks for the other pages).
 * No field of what the page is given could hold a credential: it shows targets only.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { NotificationSettingsView } from '@/lib/alerts/notify/settings-view';
import { NotificationsView } from './notifications-view';

vi.mock('next/navigation', () => ({
  useRouter: () => ({ replace: () => undefined, push: () => undefined, refresh: () => undefined }),
  usePathname: () => '/settings/notifications',
}));

const EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
const RLO = '\u202e';
const now = Date.UTC(2026, 0, 15, 12);
const user = { username: 'root', role: 'admin' as const };

const settings: NotificationSettingsView = {
  channels: [
    {
      id: 'pager',
      type: 'webhook',
      target: `https://pager.example.com`,
      isDefault: true,
      enabled: true,
      provisioned: false,
      hasSecret: true,
      createdBy: `ana${EVIL}`,
      createdAt: now,
      updatedAt: now,
      lastDelivery: { status: 'failed', at: now },
    },
    {
      id: 'oncall',
      type: 'email',
      target: `a${EVIL}@example.com`,
      isDefault: false,
      enabled: false,
      provisioned: true,
      hasSecret: true,
      createdBy: null,
      createdAt: now,
      updatedAt: now,
      lastDelivery: null,
    },
  ],
  routes: [
    {
      id: 1,
      name: `file route${EVIL}`,
      match: { cause: { region: EVIL } },
      channels: ['oncall'],
      continue: true,
      provisioned: true,
    },
    {
      id: 2,
      name: `revenue${RLO}gnp.exe${EVIL}`,
      match: {
        minSeverity: 'critical',
        metrics: [`revenue${EVIL}`],
        cause: { [`dim${EVIL}`]: EVIL },
      },
      channels: ['pager'],
      continue: false,
      provisioned: false,
    },
  ],
  silences: [
    {
      id: 3,
      matchers: { cause: { region: `eu${RLO}west${EVIL}` } },
      comment: `drill${EVIL}`,
      createdBy: `bob${EVIL}`,
      startsAt: now - 60_000,
      endsAt: now + 3_600_000,
      provisioned: false,
      incidentId: 9,
      state: 'active',
    },
  ],
};

describe('the notification settings page', () => {
  const html = renderToStaticMarkup(<NotificationsView user={user} initial={settings} />);

  it('renders every name and value as text', () => {
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=');
    expect(html).toContain('drill&lt;img');
    expect(html).toContain('Provisioned');
  });

  it('isolates bidi overrides and makes them visible', () => {
    // Outside the values of the route form's inputs, which edit the text as it is (the API
    // refuses such characters in any field anyway).
    expect(html.replace(/ value="[^"]*"/g, '')).not.toContain(RLO);
    expect(html).toContain('⟨U+202E⟩');
  });

  it('shows the routes set in the browser as form values, the provisioned ones read-only', () => {
    expect(html).toContain('value="revenue&lt;img src=x onerror=&quot;alert(1)&quot;&gt;');
    expect(html).toContain('data-testid="provisioned-route"');
  });
});
