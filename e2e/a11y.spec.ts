/**
 * Every page, checked by axe-core (WCAG 2.1 A and AA rules) with no serious or critical
 * violation, in the light theme at 1440×900 and the dark one at 390×844, and none wider than a
 * phone: at 390×844 nothing scrolls sideways. Signed in as an
 * admin, so the admin pages and every editor's control are there; the sign-in page signed out.
 * The drill-down and the explore page use a metric and anomaly of their own (./seed.ts).
 */
import { createRequire } from 'node:module';
import type axe from 'axe-core';
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

/** axe-core's browser build, evaluated in every document the test opens (see below). */
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * The serious and critical violations, one line each with where. axe runs in the page itself
 * (our pages have no frames): @axe-core/playwright's default evaluates axe's 550 KB source on
 * every call and finishes each run in a new blank page, which took 1.2–4.7 s a page; loaded by
 * an init script (while the page loads) and asked for violations only, 0.6–2 s.
 */
async function violations(page: Page): Promise<string[]> {
  return page.evaluate(async (tags) => {
    const { violations } = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v) =>
          `${v.id} (${v.impact}): ${v.help} — ${v.nodes
            .slice(0, 3)
            .map((n) => n.target.join(' '))
            .join(', ')}`,
      );
  }, AXE_TAGS);
}

async function settle(page: Page) {
  await expect(page.locator('main')).toBeVisible();
  // Charts draw after hydration; the socket never lets the network idle.
  await page.waitForTimeout(750);
}

const horizontalOverflow = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

test.beforeEach(async ({ page }) => {
  await page.addInitScript({ path: AXE_SOURCE });
});

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
  // The checker itself works: a nameless button and grey-on-white text are found.
  await page.evaluate(() => {
    const main = document.querySelector('main')!;
    main.insertAdjacentHTML(
      'beforeend',
      '<button type="button"></button><p style="color:#ddd;background:#fff">faint</p>',
    );
  });
  const planted = await violations(page);
  expect(planted.map((line) => line.split(' ')[0])).toEqual(
    expect.arrayContaining(['button-name', 'color-contrast']),
  );
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
