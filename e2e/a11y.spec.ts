/**
 * Every page, checked by axe-core (WCAG 2.1 A and AA rules) with no serious or critical
 * violation, in the light theme at 1440×900 and the dark one at 390×844, and none wider than a
 * phone: at 390×844 nothing scrolls sideways. Signed in as an
 * admin, so the admin pages and every editor's control are there; the sign-in page signed out.
 * The drill-down and the explore page use a metric and anomaly of their own (./seed.ts).
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import type postgres from 'postgres';
import { ADMIN, signInQuickly } from './fixtures';
import { e2eDatabase, removeSliceMetric, seedSliceMetric } from './seed';

const METRIC = { key: 'e2e_a11y_orders', type: 'e2e_a11y_order', name: 'E2E a11y orders' };
let sql: postgres.Sql;
let anomalyId = 0;

const QUARANTINE_SOURCE = 'e2e-a11y';

test.beforeAll(async () => {
  sql = await e2eDatabase();
  ({ anomalyId } = await seedSliceMetric(sql, METRIC));
  // Quarantined events as the health page lists them at their widest: one re-ingested, one too
  // large to be (their row of badges once pushed the phone's page 90 px wide).
  await sql`delete from quarantine where source = ${QUARANTINE_SOURCE}`;
  await sql`insert into quarantine (source, reason, detail, raw, raw_size, reingested_at)
    values (${QUARANTINE_SOURCE}, 'schema', 'stored before the fix', '{"ts":1}', 9, now()),
           (${QUARANTINE_SOURCE}, 'too_large', 'stored before the fix', '{"ts":1,"type":"pa', 9000, null)`;
});

test.afterAll(async () => {
  if (!sql) return;
  await removeSliceMetric(sql, METRIC);
  await sql`delete from quarantine where source = ${QUARANTINE_SOURCE}`;
  await sql.end();
});

const PAGES: Record<string, () => string> = {
  board: () => '/',
  metrics: () => '/metrics',
  explore: () => `/metrics/${METRIC.key}?from=now-30m&to=now`,
  'explore, split': () => `/metrics/${METRIC.key}?from=now-30m&to=now&split=region`,
  'explore, slice': () => `/metrics/${METRIC.key}?from=now-30m&to=now&filter=region:mars-1`,
  thresholds: () => `/metrics/${METRIC.key}/thresholds`,
  'metric definition': () => `/metrics/${METRIC.key}/edit`,
  'new metric': () => '/metrics/new',
  'drill-down': () => `/anomalies/${anomalyId}`,
  health: () => '/health',
  notifications: () => '/settings/notifications',
  users: () => '/admin/users',
  'API keys': () => '/admin/api-keys',
  account: () => '/account',
};

/** The serious and critical violations, one line each with where. */
async function violations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(', ')}`,
    );
}

async function settle(page: Page) {
  await expect(page.locator('main')).toBeVisible();
  // Charts draw after hydration; the socket never lets the network idle.
  await page.waitForTimeout(750);
}

const horizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test('the sign-in page', async ({ page }) => {
  for (const size of [
    { width: 1440, height: 900 },
    { width: 390, height: 844 },
  ]) {
    await page.setViewportSize(size);
    await page.goto('/login');
    await settle(page);
    expect(await violations(page)).toEqual([]);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
  }
});

// The desktop pass in the light theme, the phone pass in the dark one: both themes' colours are
// checked without a third pass.
for (const { scheme, ...size } of [
  { width: 1440, height: 900, scheme: 'light' as const },
  { width: 390, height: 844, scheme: 'dark' as const },
]) {
  const at = `${size.width}×${size.height}, ${scheme}`;
  test(`every signed-in page at ${at}: no serious accessibility violation, no sideways scroll`, async ({
    page,
  }) => {
    test.setTimeout(300_000);
    await page.setViewportSize(size);
    await page.emulateMedia({ colorScheme: scheme });
    await signInQuickly(page, ADMIN);
    for (const [name, path] of Object.entries(PAGES)) {
      await page.goto(path());
      await settle(page);
      expect.soft(await violations(page), `${name} at ${at}`).toEqual([]);
      expect
        .soft(await horizontalOverflow(page), `${name} scrolls sideways at ${at}`)
        .toBeLessThanOrEqual(0);
    }
  });
}
