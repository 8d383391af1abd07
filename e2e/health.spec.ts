/**
 * The operators' Health page: the simulator's partition is accounted for, event by event; the
 * live metrics (also at /metrics) move; an admin re-ingests a quarantined event after a fix.
 */
import { expect, test } from '@playwright/test';
import postgres from 'postgres';
import { embeddedUrl } from '../db/embedded';
import { E2E } from '../playwright.config';
import { ADMIN, signIn, signInQuickly } from './fixtures';

test('the Health page shows the simulator partition balanced', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Health', exact: true }).click();
  await expect(page).toHaveURL(/\/health$/);

  const accounting = page.getByTestId('accounting');
  const simulator = accounting.locator('tbody tr[data-source="simulator"]').first();
  // The page refreshes itself every 5 s; these assertions retry until a flush has landed.
  await expect(simulator).toHaveAttribute('data-received', /^[1-9]\d*$/);
  await expect(simulator).toHaveAttribute('data-balanced', 'true');
  await expect(simulator).toContainText('✓');

  await expect(page.getByTestId('quarantine-reasons')).toBeVisible();
  await expect(page.getByTestId('quarantine-latest')).toBeVisible();

  // The JSON behind the page needs a session too.
  const details = await page.request.get('/api/health/details');
  expect(details.status()).toBe(200);
  const body = (await details.json()) as { partitions: { source: string; balanced: boolean }[] };
  expect(body.partitions.some((p) => p.source === 'simulator' && p.balanced)).toBe(true);
});

test('live metrics move on the Health page and at /metrics', async ({ page, context, request }) => {
  await signIn(page, ADMIN); // lands on the board, whose socket stays open
  const health = await context.newPage();
  await health.goto('/health');

  const live = health.getByTestId('live-metrics');
  await expect(live).toBeVisible();
  // The worker publishes every 5 s; throughput needs two of its snapshots.
  await expect(health.getByTestId('live-workers')).toBeVisible({ timeout: 30_000 });
  await expect(health.getByTestId('live-throughput')).toHaveText(/^[1-9][\d,.]*\/s$/, {
    timeout: 30_000,
  });
  await expect(health.getByTestId('live-flush-p50')).toHaveText(/\d/);
  await expect(health.getByTestId('live-flush-p99')).toHaveText(/\d/);
  await expect(health.getByTestId('live-sockets')).toHaveText(/^[1-9]\d*$/);
  await expect(
    health.getByTestId('live-partitions').locator('tr[data-source="simulator"]'),
  ).toContainText(/\d/);
  await expect(health.getByTestId('live-buffers')).toBeVisible();

  // Prometheus: unauthenticated on the web port, every figure from this process and the worker.
  const res = await request.get('/metrics'); // a client without the session cookie
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('text/plain');
  const text = await res.text();
  expect(text).toMatch(/^pulse_events_total\{[^}]*source="simulator"[^}]*\} [1-9]/m);
  expect(text).toMatch(/^pulse_flush_duration_seconds_bucket\{/m);
  expect(text).toMatch(/^pulse_rollup_rows_written_total\{/m);
  expect(text).toMatch(/^pulse_watermark_lag_seconds\{[^}]*source="simulator"/m);
  expect(text).toMatch(/^pulse_buffer_depth\{/m);
  expect(text).toMatch(/^pulse_socket_connections [1-9]/m);
  expect(text).toContain('# TYPE pulse_consumer_lag_messages gauge');
  expect(text).toContain('# TYPE pulse_quarantined_events_total counter');
});

/** Quarantine rows stored straight into the e2e database, as a worker would have. */
async function quarantine(rows: { raw: string; rawSize?: number; reason: string }[]) {
  const url = await embeddedUrl({ dir: E2E.dataDir, port: E2E.pgPort });
  if (!url) throw new Error('the e2e database is not initialised');
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const ids: number[] = [];
    for (const r of rows) {
      const [row] = await sql<{ id: string }[]>`
        insert into quarantine (source, reason, detail, raw, raw_size)
        values ('e2e', ${r.reason}, 'stored before the fix', ${r.raw},
                ${r.rawSize ?? Buffer.byteLength(r.raw)})
        returning id`;
      ids.push(Number(row!.id));
    }
    return ids;
  } finally {
    await sql.end();
  }
}

test('an admin re-ingests a quarantined event after a fix', async ({ page }) => {
  const event = JSON.stringify({
    ts: Date.now() - 20_000,
    type: 'page_view',
    dims: { region: 'eu-west', device: 'ios' },
    measures: {},
  });
  const [fixed, truncated] = await quarantine([
    { raw: event, reason: 'schema' },
    { raw: event.slice(0, 30), rawSize: 9000, reason: 'too_large' },
  ]);

  await signInQuickly(page, ADMIN);
  await page.goto('/health');
  const item = page.getByTestId(`quarantined-${fixed}`);
  await expect(item).toHaveAttribute('data-reingested', 'false');
  await expect(page.getByLabel(`Select #${truncated} for re-ingest`)).toBeDisabled();
  await expect(page.getByTestId(`quarantined-${truncated}`)).toContainText('cannot be re-ingested');

  const button = page.getByTestId('reingest-button');
  await expect(button).toBeDisabled();
  await page.getByLabel(`Select #${fixed} for re-ingest`).check();
  await expect(button).toHaveText('Re-ingest selected (1)');
  await button.click();

  const result = page.getByTestId('reingest-result');
  await expect(result).toContainText('Re-ingested 1 event: 1 folded, 0 quarantined again.');
  await expect(result).toHaveAttribute('data-folded', '1');
  await expect(item).toHaveAttribute('data-reingested', 'true');
  await expect(page.getByLabel(`Select #${fixed} for re-ingest`)).toBeDisabled();
  // The reingest source is accounted for like any other partition.
  const reingest = page.getByTestId('accounting').locator('tr[data-source="reingest"]');
  await expect(reingest).toHaveAttribute('data-balanced', 'true');

  // Once only: the API answers "already re-ingested" for the same id; cross-site is refused.
  const again = await page.request.post('/api/quarantine/reingest', {
    headers: { origin: new URL(page.url()).origin },
    data: { ids: [fixed, truncated] },
  });
  expect(again.status()).toBe(200);
  const body = (await again.json()) as {
    folded: number;
    alreadyReingested: number[];
    refused: { id: number; reason: string }[];
  };
  expect(body.folded).toBe(0);
  expect(body.alreadyReingested).toEqual([fixed]);
  expect(body.refused).toEqual([expect.objectContaining({ id: truncated, reason: 'truncated' })]);
  const crossSite = await page.request.post('/api/quarantine/reingest', {
    headers: { origin: 'https://evil.example' },
    data: { ids: [fixed] },
  });
  expect(crossSite.status()).toBe(403);
});
