/**
 * A metric's explore page in the browser: a copied URL opens the same view (range, split,
 * filter, time zone); dragging across the chart zooms and puts the range in the URL, and Back
 * restores the view before; the pivot from an anomaly's root cause lands on the metric filtered
 * to that slice, around the anomaly, showing the slice's drop; an annotation a service posts
 * with an API key shows on the chart and on the drill-down it falls in.
 *
 * The metric and its anomaly are seeded straight into the e2e server's database (./seed.ts), and
 * removed afterwards.
 */
import { expect, test, type Page } from '@playwright/test';
import type postgres from 'postgres';
import { ADMIN, signInQuickly } from './fixtures';
import { e2eDatabase, removeSliceMetric, seedSliceMetric } from './seed';

test.describe.configure({ mode: 'serial' });

const KEY = 'e2e_explore_orders';
const TYPE = 'e2e_explore_order';

let sql: postgres.Sql;
let anomalyId = 0;
let firstWindow = 0;

async function cleanUp() {
  await removeSliceMetric(sql, { key: KEY, type: TYPE });
  await sql`delete from annotations where title like 'E2E deploy%'`;
  await sql`delete from api_keys where name = 'e2e-annotations'`;
}

test.beforeAll(async () => {
  sql = await e2eDatabase();
  await cleanUp();
  ({ anomalyId, firstWindow } = await seedSliceMetric(sql, {
    key: KEY,
    type: TYPE,
    name: 'E2E orders',
  }));
});

test.afterAll(async () => {
  if (!sql) return;
  await cleanUp();
  await sql.end();
});

const explore = (query = '') => `/metrics/${KEY}${query ? `?${query}` : ''}`;

async function expectView(page: Page) {
  await expect(page.getByRole('heading', { level: 1 })).toContainText('E2E orders');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('device=ios');
  await expect(page.getByTestId('range-toggle')).toHaveText('Last 15 minutes');
  await expect(page.getByTestId('split')).toHaveValue('region');
  await expect(page.getByTestId('filter-chip')).toHaveText(/device=ios/);
  await expect(page.getByRole('button', { name: 'UTC', exact: true })).toHaveAttribute(
    'aria-pressed',
    'true',
  );
  const legend = page.getByRole('list', { name: 'Split by region' });
  await expect(legend.getByRole('listitem')).toHaveText(['mars-1', 'venus-2']);
}

test('a copied URL opens the same view', async ({ page, context }) => {
  await signInQuickly(page, ADMIN);
  await page.goto(explore());
  await page.getByTestId('range-toggle').click();
  await page.getByRole('button', { name: 'Last 15 minutes' }).click();
  await expect(page).toHaveURL(/from=now-15m/);
  await page.getByTestId('split').selectOption('region');
  await expect(page).toHaveURL(/split=region/);
  await page.getByLabel('Filter dimension').selectOption('device');
  await page.getByLabel('Value of device').selectOption('ios');
  await page.getByRole('button', { name: 'Add filter' }).click();
  await expect(page).toHaveURL(/filter=device(:|%3A)ios/);
  await page.getByRole('button', { name: 'UTC', exact: true }).click();
  await expect(page).toHaveURL(/tz=utc/);
  await expectView(page);

  const copied = page.url();
  const other = await context.newPage();
  await other.goto(copied);
  await expectView(other);
  await other.close();
});

test('dragging across the chart zooms in, and Back restores the range', async ({ page }) => {
  await signInQuickly(page, ADMIN);
  await page.goto(explore('from=now-30m&to=now'));
  const chart = page.getByTestId('time-chart');
  await expect(chart.locator('svg.recharts-surface')).toBeVisible();
  const box = (await chart.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.4, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.6, y, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.8, y, { steps: 8 });
  await page.mouse.up();
  await expect(page).toHaveURL(/from=\d{13}&to=\d{13}/);
  const zoomed = new URL(page.url());
  const span = Number(zoomed.searchParams.get('to')) - Number(zoomed.searchParams.get('from'));
  expect(span).toBeGreaterThan(60_000);
  expect(span).toBeLessThan(20 * 60_000);
  await expect(page.getByTestId('range-toggle')).not.toHaveText('Last 30 minutes');

  await page.goBack();
  await expect(page).toHaveURL(/from=now-30m/);
  await expect(page.getByTestId('range-toggle')).toHaveText('Last 30 minutes');
});

test('the pivot from a root cause lands on the slice, showing its drop', async ({ page }) => {
  await signInQuickly(page, ADMIN);
  await page.goto(`/anomalies/${anomalyId}`);
  const pivot = page.locator('a[href*="filter=region"][href*="mars-1"]').first();
  await expect(pivot).toBeVisible();
  await pivot.click();
  await expect(page).toHaveURL(
    new RegExp(`/metrics/${KEY}\\?from=\\d+&to=\\d+&filter=region(:|%3A)mars-1`),
  );
  const url = new URL(page.url());
  expect(Number(url.searchParams.get('from'))).toBeLessThan(firstWindow);
  expect(Number(url.searchParams.get('to'))).toBeGreaterThan(firstWindow);
  await expect(page.getByRole('heading', { level: 1 })).toContainText('region=mars-1');
  // mars-1 alone: about 40 a window before, 4 now.
  const latest = page.getByTestId('explore-latest');
  await expect(latest).toContainText('Latest 4');
  await expect(latest).toContainText(/expected about 4\d/);
  await expect(latest).toContainText(/z −\d/);
});

test('an annotation posted with an API key shows on the chart', async ({
  page,
  baseURL,
  playwright,
}) => {
  await signInQuickly(page, ADMIN);
  const created = await page.request.post('/api/api-keys', {
    headers: { origin: baseURL! },
    data: { name: 'e2e-annotations' },
  });
  expect(created.status()).toBe(201);
  const { secret } = (await created.json()) as { secret: string };
  // A deploy script: its key, no session, no browser origin.
  const script = await playwright.request.newContext({ baseURL });
  const posted = await script.post('/api/annotations', {
    headers: { authorization: `Bearer ${secret}` },
    data: { title: 'E2E deploy 42', startsAt: Date.now() - 5 * 60_000, metrics: [KEY] },
  });
  expect(posted.status()).toBe(201);
  await script.dispose();

  await page.goto(explore('from=now-30m&to=now'));
  await expect(page.getByTestId('annotation')).toContainText('E2E deploy 42');
  await expect(page.getByTestId('annotation')).toContainText('from key e2e-annotations');
  await expect(
    page.getByTestId('time-chart').locator('svg text', { hasText: 'E2E deploy 42' }),
  ).toBeVisible();

  // …and on the drill-down of an anomaly whose chart it falls in.
  await page.goto(`/anomalies/${anomalyId}`);
  await expect(page.getByTestId('drill-annotation')).toContainText('E2E deploy 42');
});

test('the board keeps its range in the URL, and its cards carry it to the metric', async ({
  page,
}) => {
  await signInQuickly(page, ADMIN);
  await page.goto('/');
  const toggle = page.getByTestId('range-toggle');
  const initial = await toggle.textContent();
  await toggle.click();
  await page.getByRole('button', { name: 'Last 24 hours' }).click();
  await expect(page).toHaveURL(/\/\?from=now-24h&to=now$/);
  await expect(toggle).toHaveText('Last 24 hours');
  const card = page.getByTestId(`metric-card-${KEY}`);
  await expect(card.getByRole('link', { name: 'E2E orders', exact: true })).toHaveAttribute(
    'href',
    `/metrics/${KEY}?from=now-24h`,
  );
  // The keyboard too: t h is the last hour.
  await page.locator('body').press('t');
  await page.locator('body').press('h');
  await expect(page).toHaveURL(/from=now-1h/);
  await page.goBack();
  await expect(page).toHaveURL(/from=now-24h/);
  await page.goBack();
  await expect(toggle).toHaveText(initial!);
});

test('dragging across a drill-down chart zooms it, and a link goes back around the anomaly', async ({
  page,
}) => {
  await signInQuickly(page, ADMIN);
  await page.goto(`/anomalies/${anomalyId}?tz=utc`);
  await expect(page.getByRole('heading', { name: /around the anomaly/ })).toBeVisible();
  const chart = page.getByTestId('time-chart');
  await expect(chart.locator('svg.recharts-surface')).toBeVisible();
  await chart.scrollIntoViewIfNeeded();
  const box = (await chart.boundingBox())!;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width * 0.3, y);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, y, { steps: 8 });
  await page.mouse.move(box.x + box.width * 0.7, y, { steps: 8 });
  await page.mouse.up();
  await expect(page).toHaveURL(
    new RegExp(`/anomalies/${anomalyId}\\?from=\\d{13}&to=\\d{13}&tz=utc`),
  );
  await expect(page.getByRole('heading', { name: /over the chosen range/ })).toBeVisible();
  await expect(page.getByTestId('range-toggle')).toContainText('UTC');
  await page.getByTestId('around-link').click();
  await expect(page).toHaveURL(new RegExp(`/anomalies/${anomalyId}\\?tz=utc$`));
  await expect(page.getByRole('heading', { name: /around the anomaly/ })).toBeVisible();
});
