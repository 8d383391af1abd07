/**
 * Quarantined payloads and their details are attacker-controlled: the Health page must show them
 * as text, never as markup. Server-renders the page with hostile values and checks the HTML.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { QUARANTINE_REASONS } from '@/lib/types';
import type { Health } from '@/lib/views';
import { HealthView, formatLag } from './health-view';

vi.mock('next/navigation', () => ({
  useRouter: () => ({ replace: () => undefined, push: () => undefined, refresh: () => undefined }),
  usePathname: () => '/health',
}));

const EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
const user = { username: 'ana', role: 'viewer' as const };
const now = Date.UTC(2026, 10, 22, 12);

function health(over: Partial<Health> = {}): Health {
  return {
    generatedAt: now,
    idleAfterMs: 60_000,
    partitions: [
      {
        source: 'simulator',
        partition: 0,
        received: 10,
        folded: 8,
        quarantined: 2,
        balanced: true,
        watermark: now - 12_000,
        nextOffset: 10,
        owner: null,
        updatedAt: now,
        idle: false,
      },
      {
        source: 'http',
        partition: 3,
        received: 5,
        folded: 3,
        quarantined: 1,
        balanced: false,
        watermark: null,
        nextOffset: 5,
        owner: 'host:1:abc',
        updatedAt: now - 120_000,
        idle: true,
      },
    ],
    totals: { partitions: 2, received: 15, folded: 11, quarantined: 3, balanced: false, idle: 1 },
    reasons: QUARANTINE_REASONS.map((reason) => ({ reason, count: reason === 'schema' ? 3 : 0 })),
    latest: [
      {
        id: 9,
        receivedAt: now,
        source: 'http',
        reason: 'schema',
        detail: `dims.${EVIL}: expected string`,
        raw: `{"type":"${EVIL}"}`,
        rawSize: 70_000,
      },
    ],
    ...over,
  };
}

describe('the Health page', () => {
  it('renders hostile payloads and details as text', () => {
    const html = renderToStaticMarkup(<HealthView initial={health()} user={user} />);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('dims.&lt;img src=x onerror=');
    expect(html).toMatch(/<pre[^>]*><code[^>]*>\{&quot;type&quot;:&quot;&lt;img src=x/);
    expect(html).toContain('68.4 KiB');
  });

  it('shows the balance of every partition and every reason', () => {
    const html = renderToStaticMarkup(<HealthView initial={health()} user={user} />);
    expect(html).toContain('data-testid="accounting"');
    expect(html).toMatch(/data-source="simulator"[^>]*data-balanced="true"/);
    expect(html).toMatch(/data-source="http"[^>]*data-balanced="false"/);
    expect(html).toContain('✗ off by 1');
    expect(html).toContain('12 s'); // lag of the simulator partition
    for (const reason of QUARANTINE_REASONS) expect(html).toContain(`data-reason="${reason}"`);
  });

  it('says so when nothing is quarantined', () => {
    const html = renderToStaticMarkup(<HealthView initial={health({ latest: [] })} user={user} />);
    expect(html).toContain('Nothing quarantined — every event so far was valid.');
  });

  it('formats lag', () => {
    expect(formatLag(-5)).toBe('0 s');
    expect(formatLag(850)).toBe('850 ms');
    expect(formatLag(42_000)).toBe('42 s');
    expect(formatLag(300_000)).toBe('5 min');
  });
});
