/**
 * Quarantined payloads and their details are attacker-controlled: the Health page must show them
 * as text, never as markup. Server-renders the page with hostile values and checks the HTML.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import { QUARANTINE_REASONS } from '@/lib/types';
import type { LiveMetrics } from '@/lib/observability/live-figures';
import type { Health } from '@/lib/views';
import { HealthView, formatLag } from './health-view';
import { formatSeconds } from './live-metrics';
import { formatSize } from './storage-table';
import type { TableStorage } from '@/lib/retention/policy';
import type { ChannelHealth, NotificationHealth } from '@/lib/alerts/notify/delivery-health';

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
        leafEventsFolded: 0,
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
        leafEventsFolded: 40,
        balanced: false,
        watermark: null,
        nextOffset: 5,
        owner: 'host:1:abc',
        updatedAt: now - 120_000,
        idle: true,
      },
    ],
    totals: {
      partitions: 2,
      received: 15,
      folded: 11,
      quarantined: 3,
      leafEventsFolded: 40,
      balanced: false,
      idle: 1,
    },
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
        reingestedAt: null,
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
    expect(html).toMatch(
      /<pre[^>]*><code[^>]*><bdi dir="ltr">\{&quot;type&quot;:&quot;&lt;img src=x/,
    );
    expect(html).toContain('68.4 KiB');
  });

  it('shows quarantined text isolated, with bidi overrides and controls made visible', () => {
    const item = {
      ...health().latest[0]!,
      source: 'http\u202e',
      detail: 'dims.region: must not contain NUL (U+0000) or an unpaired surrogate',
      raw: '{"type":"purchase",\n"dims":{"region":"\u202egnp.exe\u001b[2J\u0007"}}',
    };
    const html = renderToStaticMarkup(
      <HealthView initial={health({ latest: [item] })} user={user} />,
    );
    // eslint-disable-next-line no-control-regex
    expect(html).not.toMatch(/[\u202a-\u202e\u2066-\u2069\u0000-\u0008\u001b]/);
    expect(html).toContain('<bdi class="cell-value">http⟨U+202E⟩</bdi>');
    expect(html).toContain(
      '<code><bdi dir="ltr">{&quot;type&quot;:&quot;purchase&quot;,\n&quot;dims&quot;:{&quot;region&quot;:&quot;⟨U+202E⟩gnp.exe⟨U+001B⟩[2J⟨U+0007⟩&quot;}}</bdi></code>',
    );
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

  it('says when the leaf cap folded events into "(other)", and not otherwise', () => {
    const folded = renderToStaticMarkup(<HealthView initial={health()} user={user} />);
    expect(folded).toContain('data-testid="leaf-cap-note"');
    expect(folded).toContain('40 events came in flushes');
    const none = health();
    none.totals = { ...none.totals, leafEventsFolded: 0 };
    const quiet = renderToStaticMarkup(<HealthView initial={none} user={user} />);
    expect(quiet).not.toContain('leaf-cap-note');
  });

  it('says so when nothing is quarantined', () => {
    const html = renderToStaticMarkup(<HealthView initial={health({ latest: [] })} user={user} />);
    expect(html).toContain('Nothing quarantined — every event so far was valid.');
  });

  it('renders live metrics, with hostile source and worker names as text', () => {
    const live: LiveMetrics = {
      generatedAt: now,
      workers: [{ worker: EVIL, updatedAt: now }],
      throughput: 48_210.4,
      events: { folded: 1000, quarantined: 3 },
      flush: { count: 40, p50: 0.0042, p99: 1.3, failed: 1 },
      rowsWritten: 900,
      partitions: [
        { source: EVIL, partition: 2, worker: EVIL, consumerLag: 17, watermarkLagSeconds: 12 },
      ],
      buffers: [{ worker: EVIL, source: 'kafka:events', events: 5, cells: 2, heldFlushes: 1 }],
      quarantine: [{ reason: 'late', count: 3 }],
      sockets: 4,
    };
    const html = renderToStaticMarkup(
      <HealthView initial={health()} initialLive={live} user={user} />,
    );
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toMatch(/data-testid="live-throughput"[^>]*>48,210\/s</);
    expect(html).toMatch(/data-testid="live-flush-p50"[^>]*>4\.2 ms</);
    expect(html).toMatch(/data-testid="live-flush-p99"[^>]*>1\.3 s</);
    expect(html).toMatch(/data-testid="live-sockets"[^>]*>4</);
    expect(html).toContain('17 msgs');
    expect(html).toContain('1 held');
    expect(html).toContain('Late (window already final)');
  });

  it('says so when no worker reports, and when the metrics could not be read', () => {
    const empty: LiveMetrics = {
      generatedAt: now,
      workers: [],
      throughput: 0,
      events: { folded: 0, quarantined: 0 },
      flush: { count: 0, p50: null, p99: null, failed: 0 },
      rowsWritten: 0,
      partitions: [],
      buffers: [],
      quarantine: [],
      sockets: 0,
    };
    let html = renderToStaticMarkup(
      <HealthView initial={health()} initialLive={empty} user={user} />,
    );
    expect(html).toContain('No worker has reported in the last 30 s.');
    expect(html).toMatch(/data-testid="live-flush-p99"[^>]*>—</);
    html = renderToStaticMarkup(<HealthView initial={health()} initialLive={null} user={user} />);
    expect(html).toContain('Could not refresh the live metrics');
  });

  it('lets only admins select events for re-ingest; truncated and re-ingested ones are locked', () => {
    const items: Health['latest'] = [
      { ...health().latest[0]!, id: 1, raw: '{"ok":1}', rawSize: 8 },
      { ...health().latest[0]!, id: 2, raw: '{"ok":1}', rawSize: 8, reingestedAt: now },
      { ...health().latest[0]!, id: 3, raw: '{"cut', rawSize: 9000 },
    ];
    const admin = { username: 'root', role: 'admin' as const };
    const html = renderToStaticMarkup(
      <HealthView initial={health({ latest: items })} user={admin} />,
    );
    expect(html).toContain('data-testid="reingest-button"');
    const box = (id: number) =>
      new RegExp(`<input[^>]*aria-label="Select #${id} for re-ingest"[^>]*>`).exec(html)?.[0];
    expect(box(1)).not.toContain('disabled');
    expect(box(2)).toContain('disabled');
    expect(box(3)).toContain('disabled');
    expect(html).toContain('cannot be re-ingested');
    expect(html).toContain('re-ingested');

    const viewerHtml = renderToStaticMarkup(
      <HealthView initial={health({ latest: items })} user={user} />,
    );
    expect(viewerHtml).not.toContain('reingest-button');
    expect(viewerHtml).not.toContain('type="checkbox"');
  });

  it('formats seconds', () => {
    expect(formatSeconds(null)).toBe('—');
    expect(formatSeconds(0.0008)).toBe('0.8 ms');
    expect(formatSeconds(0.042)).toBe('42 ms');
    expect(formatSeconds(1.34)).toBe('1.3 s');
    expect(formatSeconds(300)).toBe('5 min');
  });

  it('formats lag', () => {
    expect(formatLag(-5)).toBe('0 s');
    expect(formatLag(850)).toBe('850 ms');
    expect(formatLag(42_000)).toBe('42 s');
    expect(formatLag(300_000)).toBe('5 min');
  });

  it('lists each table’s size, day partitions, oldest data and retention', () => {
    const storage: TableStorage[] = [
      {
        table: 'leaf_rollups',
        bytes: 95 * 1024 * 1024 + 300 * 1024,
        partitions: 8,
        defaultBytes: 16_384,
        oldest: now - 7 * 86_400_000,
      },
      { table: 'quarantine', bytes: 2048, partitions: 0, defaultBytes: 0, oldest: null },
      { table: 'anomalies', bytes: 40_960, partitions: 0, defaultBytes: null, oldest: null },
      {
        table: 'worker_metrics',
        bytes: 3 * 1024 ** 3,
        partitions: 0,
        defaultBytes: null,
        oldest: null,
      },
    ];
    const retention = {
      rollupsMs: 90 * 86_400_000,
      leafCubeMs: 7 * 86_400_000,
      pointsMs: 90 * 86_400_000,
      quarantineMs: 14 * 86_400_000,
      workerMetricsMs: 600_000,
    };
    const html = renderToStaticMarkup(
      <HealthView initial={{ ...health(), storage }} retention={retention} user={user} />,
    );
    const row = (table: string) =>
      new RegExp(`<tr[^>]*data-table="${table}"[^>]*>(.*?)</tr>`).exec(html)?.[1] ?? '';
    expect(html).toContain('Storage and retention');
    expect(html).toContain('3.1 GiB in total');
    expect(row('leaf_rollups')).toContain('Leaf cube <code class="wide-only">leaf_rollups</code>');
    expect(row('leaf_rollups')).toContain('95.3 MiB');
    expect(row('leaf_rollups')).toMatch(/>8<\/td>/);
    expect(row('leaf_rollups')).toContain('16.0 KiB');
    expect(row('leaf_rollups')).toContain(
      `dateTime="${new Date(now - 7 * 86_400_000).toISOString()}"`,
    );
    expect(row('leaf_rollups')).toMatch(/<td>7d<\/td>/);
    expect(row('quarantine')).toMatch(/<td>14d<\/td>/);
    expect(row('anomalies')).toMatch(/<td>always<\/td>/);
    expect(row('anomalies')).toMatch(/>—<\/td>/); // not partitioned
    expect(row('worker_metrics')).toContain('until silent 10m');

    // Without figures (an older server's answer) or settings, it says so.
    const bare = renderToStaticMarkup(<HealthView initial={health()} user={user} />);
    expect(bare).toContain('Table sizes are not available.');
  });

  it('formats sizes', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1023)).toBe('1023 B');
    expect(formatSize(8192)).toBe('8.0 KiB');
    expect(formatSize(2.4 * 1024 ** 3)).toBe('2.4 GiB');
    expect(formatSize(5 * 1024 ** 5)).toBe('5120.0 TiB');
  });

  describe('notifications', () => {
    const HOUR = 3_600_000;
    const channel = (over: Partial<ChannelHealth>): ChannelHealth => ({
      channelId: 'pager',
      channelType: 'webhook',
      target: 'https://hooks.example.com',
      enabled: true,
      lastDeliveredAt: now - 60_000,
      lastFailure: null,
      delivered: 12,
      failed: 0,
      pending: 0,
      state: 'healthy',
      ...over,
    });
    const notifications = (over: Partial<NotificationHealth> = {}): NotificationHealth => ({
      windowMs: 24 * HOUR,
      outbox: { pending: 3, sending: 1, oldestDueMs: 4000 },
      channels: [],
      ...over,
    });
    const render = (n: NotificationHealth | undefined, role: 'viewer' | 'admin' = 'viewer') =>
      renderToStaticMarkup(
        <HealthView
          initial={{ ...health(), ...(n ? { notifications: n } : {}) }}
          user={{ username: 'ana', role }}
        />,
      );
    const row = (html: string, id: string) =>
      new RegExp(`<tr[^>]*data-channel="${id}"[^>]*>(.*?)</tr>`).exec(html)?.[0] ?? '';

    it('shows the outbox depth and each channel with its state word, as text', () => {
      const html = render(
        notifications({
          outbox: { pending: 3, sending: 1, oldestDueMs: 95_000 },
          channels: [
            channel({}),
            channel({
              channelId: 'team-slack',
              channelType: 'slack',
              target: `https://hooks.slack.com ${EVIL}`,
              lastDeliveredAt: null,
              lastFailure: { at: now - 30_000, statusCode: 503, error: `HTTP 503: ${EVIL}` },
              failed: 2,
              pending: 3,
              state: 'failing',
            }),
            channel({ channelId: 'mail', channelType: 'email', state: 'idle' }),
            channel({
              channelId: 'off',
              enabled: false,
              state: 'disabled',
              lastFailure: { at: now - HOUR, statusCode: 502, error: 'bad gateway' },
            }),
            channel({ channelId: 'gone', channelType: null, target: null, state: 'deleted' }),
          ],
        }),
      );
      expect(html).not.toContain('<img');
      expect(html).not.toContain('<script');
      expect(html).toMatch(
        /data-testid="outbox-depth" data-pending="3" data-sending="1" data-oldest-due-ms="95000"/,
      );
      expect(html).toContain('2 min'); // the oldest due delivery, past the warning
      expect(html).toContain('data-testid="outbox-overdue"');
      expect(html).toContain('5 channels · 1 failing · counts over the last 24 h');
      const failing = row(html, 'team-slack');
      expect(failing).toContain('data-state="failing"');
      expect(failing).toContain('>failing</span>');
      expect(failing).toContain('Slack · <bdi>https://hooks.slack.com &lt;img src=x');
      // The status code once: the recorded error already says it.
      expect(failing).toContain(': <bdi>HTTP 503: &lt;img');
      expect(failing).not.toContain('503 · ');
      expect(failing).toContain('>never<');
      expect(failing).toMatch(/data-label="Failed \(24 h\)"><span class="unbalanced">2</);
      expect(failing).toMatch(/data-label="Waiting">3</);
      expect(row(html, 'pager')).toContain('>healthy</span>');
      expect(row(html, 'mail')).toContain('>idle</span>');
      expect(row(html, 'off')).toContain('>disabled</span>');
      expect(row(html, 'off')).toContain(': 502 · <bdi>bad gateway</bdi>');
      expect(row(html, 'gone')).toContain('Deleted channel');
    });

    it('shows no warning while deliveries are on time', () => {
      const html = render(notifications({ outbox: { pending: 0, sending: 0, oldestDueMs: 0 } }));
      expect(html).not.toContain('outbox-overdue');
      expect(html).toMatch(/Oldest due for<\/dt><dd>—</);
    });

    it('says when there is no channel, with the way to add one for admins', () => {
      const viewer = render(notifications());
      expect(viewer).toContain('No notification channel is set up');
      expect(viewer).toContain('An admin can add one in the notification settings.');
      expect(viewer).not.toContain('href="/settings/notifications"');
      const admin = render(notifications(), 'admin');
      expect(admin).toContain('href="/settings/notifications"');
      // An older server's answer without the figures.
      expect(render(undefined)).toContain('Delivery figures are not available.');
    });
  });
});
