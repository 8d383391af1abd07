/**
 * People act on an anomaly: an editor acknowledges, judges, snoozes and resolves it while a
 * viewer watches the same anomaly in another browser, which follows every change live and is
 * offered no buttons. The anomaly is seeded on a paused metric of its own (the detector leaves
 * paused metrics alone), so the test neither waits for nor disturbs the simulator's incidents;
 * the metric and everything on it are removed afterwards.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import postgres from 'postgres';
import { embeddedUrl } from '../db/embedded';
import { hashPassword } from '../lib/auth/password';
import { E2E } from '../playwright.config';
import { signIn } from './fixtures';

test.describe.configure({ mode: 'serial' });

// Names of their own: other specs create users too.
const EDITOR = { username: 'lifecycle-editor', password: 'editor-password-1' };
const WATCHER = { username: 'lifecycle-viewer', password: 'viewer-password-2' };
const METRIC_KEY = 'e2e_lifecycle';

let sql: postgres.Sql;
let anomalyId = 0;

test.beforeAll(async () => {
  const url = await embeddedUrl({ dir: E2E.dataDir, port: E2E.pgPort });
  if (!url) throw new Error('the e2e server has not initialised its embedded PostgreSQL');
  sql = postgres(url, { max: 1, onnotice: () => undefined });
  // Users straight into the database (as `npm run users -- add` would): quicker than the CLI.
  for (const [user, role] of [
    [EDITOR, 'editor'],
    [WATCHER, 'viewer'],
  ] as const) {
    const hash = await hashPassword(user.password);
    await sql`insert into users (username, password_hash, role)
      values (${user.username}, ${hash}, ${role})
      on conflict (username) do update set password_hash = excluded.password_hash, role = excluded.role`;
  }
  const [metric] = await sql<{ id: number }[]>`
    insert into metrics (key, name, kind, event_type, enabled)
    values (${METRIC_KEY}, 'Checkout latency (lifecycle check)', 'count', ${METRIC_KEY}, false)
    returning id`;
  const window = new Date(Math.floor(Date.now() / 10_000) * 10_000);
  const explanation = { dimensions: {}, top: [], sentence: 'region=eu-west drives the spike' };
  const [anomaly] = await sql<{ id: number }[]>`
    insert into anomalies (metric_id, status, severity, direction, first_window, last_window,
      peak_window, value, expected, sigma, z, explanation, sentence)
    values (${metric!.id}, 'open', 'critical', 'up', ${window}, ${window}, ${window}, 90, 20,
      5, 14, ${sql.json(explanation)}, ${explanation.sentence})
    returning id`;
  anomalyId = anomaly!.id;
});

test.afterAll(async () => {
  if (!sql) return;
  await sql`delete from metrics where key = ${METRIC_KEY}`; // cascades to the anomaly
  await sql`delete from users where username in (${EDITOR.username}, ${WATCHER.username})`;
  await sql.end();
});

async function signedInPage(browser: Browser, user: { username: string; password: string }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user);
  return page;
}

/** Marks the document: if the page reloads, the marker is gone. */
async function markDocument(page: Page) {
  await page.evaluate(() => ((window as unknown as { __same: boolean }).__same = true));
}
async function sameDocument(page: Page) {
  return page.evaluate(() => (window as unknown as { __same?: boolean }).__same === true);
}

const actionsUrl = () => `/api/anomalies/${anomalyId}/actions`;

test('an editor acknowledges and marks a false positive; a viewer sees it live, without buttons', async ({
  browser,
}) => {
  const viewer = await signedInPage(browser, WATCHER);
  await viewer.goto(`/anomalies/${anomalyId}`);
  await expect(viewer.getByTestId('connection-state')).toHaveText('Live');
  await markDocument(viewer);
  await expect(viewer.getByTestId('read-only-note')).toBeVisible();
  await expect(viewer.getByTestId('actions-bar')).toHaveCount(0);
  await expect(viewer.getByText('Nobody has acted on this anomaly yet.')).toBeVisible();

  const editor = await signedInPage(browser, EDITOR);
  await editor.goto(`/anomalies/${anomalyId}`);
  await expect(editor.getByTestId('connection-state')).toHaveText('Live');
  await editor.getByLabel(/^Note/).fill('Looking into it <b>now</b>');
  await editor.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await expect(editor.getByTestId('action-status')).toHaveText('Acknowledged.');
  await expect(editor.getByRole('button', { name: 'Unacknowledge' })).toBeVisible();
  await editor.getByRole('button', { name: 'Mark false positive' }).click();
  await expect(editor.getByTestId('action-status')).toHaveText('Marked false positive.');

  // The viewer's page follows without a reload.
  await expect(viewer.getByTestId('mark-acknowledged')).toHaveText(
    `Acknowledged by ${EDITOR.username}`,
  );
  await expect(viewer.getByTestId('mark-verdict')).toHaveAttribute(
    'data-verdict',
    'false_positive',
  );
  const trail = viewer.getByTestId('audit-trail').locator('li');
  await expect(trail).toHaveCount(2);
  await expect(trail.nth(0)).toContainText(`${EDITOR.username} marked false positive`);
  await expect(trail.nth(1)).toContainText(`${EDITOR.username} acknowledged`);
  // The note is shown as text, markup and all.
  await expect(trail.nth(1).locator('q')).toHaveText('Looking into it <b>now</b>');
  expect(await sameDocument(viewer)).toBe(true);
  await expect(viewer.getByTestId('actions-bar')).toHaveCount(0);
  await expect(viewer.getByRole('button', { name: /acknowledge|resolve|snooze/i })).toHaveCount(0);

  // Not only the buttons: the API refuses a viewer.
  const refused = await viewer.request.post(actionsUrl(), {
    headers: { origin: new URL(viewer.url()).origin },
    data: { action: 'resolve' },
  });
  expect(refused.status()).toBe(403);

  await viewer.context().close();
  await editor.context().close();
});

test('snoozing mutes the alert on the board; resolving asks first and is then final', async ({
  browser,
}) => {
  const viewer = await signedInPage(browser, WATCHER);
  await expect(viewer.getByTestId('connection-state')).toHaveText('Live');
  const alert = viewer.getByTestId(`alert-${anomalyId}`);
  await expect(alert).toContainText(`Acknowledged by ${EDITOR.username}`);
  await expect(alert.getByTestId('mark-verdict')).toHaveAttribute('data-verdict', 'false_positive');
  await expect(alert).not.toHaveAttribute('data-snoozed', 'true');

  const editor = await signedInPage(browser, EDITOR);
  await editor.goto(`/anomalies/${anomalyId}`);
  await expect(editor.getByTestId('connection-state')).toHaveText('Live');
  await editor.getByRole('button', { name: 'Snooze…' }).click();
  await expect(editor.getByTestId('snooze-menu')).toBeVisible();
  await editor.getByRole('button', { name: 'Snooze for 30 min' }).click();
  await expect(editor.getByTestId('mark-snoozed')).toContainText('Snoozed until');

  // The board (another browser) mutes it, live.
  await expect(alert).toHaveAttribute('data-snoozed', 'true');
  await expect(alert.getByTestId('mark-snoozed')).toContainText('Snoozed until');

  await editor.getByRole('button', { name: 'Resolve…' }).click();
  const confirm = editor.getByTestId('confirm-resolve');
  await expect(confirm).toContainText('It stays resolved');
  await expect(confirm.getByRole('button', { name: 'Resolve anomaly' })).toBeFocused();
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await editor.getByRole('button', { name: 'Resolve…' }).click();
  await editor.getByRole('button', { name: 'Resolve anomaly' }).click();
  await expect(editor.getByTestId('mark-resolved-by')).toHaveText(`Resolved by ${EDITOR.username}`);
  await expect(editor.getByRole('button', { name: 'Reopen' })).toBeVisible();

  await expect(alert).toHaveAttribute('data-lifecycle', 'resolved');
  await expect(alert).not.toHaveAttribute('data-snoozed', 'true');

  // An impossible transition is refused with a reason; the trail holds every action by name.
  const again = await editor.request.post(actionsUrl(), {
    headers: { origin: new URL(editor.url()).origin },
    data: { action: 'resolve' },
  });
  expect(again.status()).toBe(409);
  expect(await again.json()).toEqual({ error: 'Only an open anomaly can be resolved.' });
  const history = (await (
    await viewer.request.get(`/api/anomalies/${anomalyId}/history`)
  ).json()) as { action: string; by: string }[];
  expect(history.map((h) => `${h.by} ${h.action}`)).toEqual(
    ['resolve', 'snooze', 'mark_false_positive', 'acknowledge'].map(
      (action) => `${EDITOR.username} ${action}`,
    ),
  );

  await viewer.context().close();
  await editor.context().close();
});
