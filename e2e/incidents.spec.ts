/**
 * Incidents in the browser: the board's alert feed shows an incident of two anomalies as one
 * item, expandable to both; acknowledging it from the board acknowledges both (and the incident,
 * live); the drill-down of either shows the incident, its sibling and its delivery log; a link
 * to the incident (what notifications point at) lands there; a viewer sees it without buttons.
 * An editor silences it from its drill-down (the form prefilled from the incident) and sees it
 * marked silenced. The tab's title counts open critical incidents, and desktop alerts are turned
 * on by a click.
 *
 * The incident is seeded straight into the e2e server's database — two paused metrics of their
 * own (the detector leaves paused metrics alone), an anomaly on each sharing a cause no simulated
 * scenario has, the incident row as the detector would have derived it, and one notification
 * already written for it whose delivery failed — so the test neither waits for nor disturbs the
 * simulator's incidents. Everything is removed afterwards.
 *
 * With PULSE_SHOTS=<dir>, screenshots of the board and the drill-down at 1440×900 and 390×844.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import postgres from 'postgres';
import { embeddedUrl } from '../db/embedded';
import { hashPassword } from '../lib/auth/password';
import { CHROMIUM_ARGS, E2E, FULL_CHROMIUM } from '../playwright.config';

test.describe.configure({ mode: 'serial' });

const EDITOR = { username: 'incidents-editor', password: 'editor-password-3' };
const WATCHER = { username: 'incidents-viewer', password: 'viewer-password-3' };
const METRICS = [
  { key: 'e2e_incident_checkouts', name: 'E2E checkouts', kind: 'count', value: 42 },
  { key: 'e2e_incident_payments', name: 'E2E payments', kind: 'count', value: 38 },
] as const;
const CAUSE = { region: 'mars-1' };
const TITLE = 'region=mars-1: E2E checkouts −58%, E2E payments −62%';
const SHOTS = process.env.PULSE_SHOTS;

let sql: postgres.Sql;
let incidentId = 0;
let anomalyIds: number[] = [];

test.beforeAll(async () => {
  const url = await embeddedUrl({ dir: E2E.dataDir, port: E2E.pgPort });
  if (!url) throw new Error('the e2e server has not initialised its embedded PostgreSQL');
  sql = postgres(url, { max: 1, onnotice: () => undefined });
  for (const [user, role] of [
    [EDITOR, 'editor'],
    [WATCHER, 'viewer'],
  ] as const) {
    const hash = await hashPassword(user.password);
    await sql`insert into users (username, password_hash, role)
      values (${user.username}, ${hash}, ${role})
      on conflict (username) do update set password_hash = excluded.password_hash, role = excluded.role`;
  }
  const window = new Date(Math.floor(Date.now() / 10_000) * 10_000);
  const [incident] = await sql<{ id: number }[]>`
    insert into incidents (status, severity, title, cause, first_window, last_window, opened_at)
    values ('open', 'critical', ${TITLE}, ${sql.json(CAUSE)}, ${window}, ${window}, now())
    returning id`;
  incidentId = incident!.id;
  anomalyIds = [];
  for (const m of METRICS) {
    const [metric] = await sql<{ id: number }[]>`
      insert into metrics (key, name, kind, event_type, enabled)
      values (${m.key}, ${m.name}, ${m.kind}, ${m.key}, false)
      returning id`;
    const explanation = {
      dimensions: {},
      top: [],
      sentence: `region=mars-1 drives the drop of ${m.name}`,
      rootCause: { set: [CAUSE], candidates: [], sentence: 'region=mars-1' },
    };
    const [anomaly] = await sql<{ id: number }[]>`
      insert into anomalies (metric_id, incident_id, status, severity, direction, first_window,
        last_window, peak_window, value, expected, sigma, z, explanation, sentence)
      values (${metric!.id}, ${incidentId}, 'open', 'critical', 'down', ${window}, ${window},
        ${window}, ${m.value}, 100, 5, -11, ${sql.json(explanation)}, ${explanation.sentence})
      returning id`;
    anomalyIds.push(anomaly!.id);
  }
  // Announced already: its open notification, whose one delivery failed.
  const key = `pulse-${incidentId}-1-open`;
  const [notification] = await sql<{ id: number }[]>`
    insert into notifications (incident_id, sequence, kind, key, severity, message)
    values (${incidentId}, 1, 'open', ${key}, 'critical',
      ${sql.json({ kind: 'open', key, createdAt: Date.now(), incident: { id: incidentId } })})
    returning id`;
  await sql`insert into notification_deliveries (notification_id, channel_id, status, attempts,
      last_error, next_attempt_at)
    values (${notification!.id}, 'e2e-pager', 'failed', 3, 'HTTP 410 Gone: the hook was removed', now())`;
});

test.afterAll(async () => {
  if (!sql) return;
  await sql`delete from silences where incident_id = ${incidentId}`;
  await sql`delete from incidents where id = ${incidentId}`; // cascades to its notifications
  for (const m of METRICS) await sql`delete from metrics where key = ${m.key}`; // and anomalies
  await sql`delete from users where username in (${EDITOR.username}, ${WATCHER.username})`;
  await sql.end();
});

/**
 * Signs in once React has hydrated the sign-in form: a click before that submits the bare form
 * (a GET to /login with the fields in the query), which happens on a loaded machine.
 */
async function signInReady(page: Page, user: { username: string; password: string }) {
  await page.goto('/login');
  await page.waitForFunction(() => {
    const form = document.querySelector('form');
    return form !== null && Object.keys(form).some((key) => key.startsWith('__reactProps'));
  });
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
}

async function signedInPage(
  browser: Browser,
  user: { username: string; password: string },
  viewport = { width: 1440, height: 900 },
) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await signInReady(page, user);
  return page;
}

async function shoot(page: Page, name: string) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `incidents-${name}.png`), fullPage: false });
}

test('the board shows the incident as one item, expandable to its two anomalies', async ({
  browser,
}) => {
  const page = await signedInPage(browser, EDITOR);
  await expect(page.getByTestId('connection-state')).toHaveText('Live');
  const item = page.getByTestId(`incident-${incidentId}`);
  await expect(item).toBeVisible();
  await expect(item).toHaveAttribute('data-severity', 'critical');
  await expect(item).toHaveAttribute('data-lifecycle', 'open');
  await expect(item.getByTestId('incident-title')).toHaveText(TITLE);
  // Its anomalies: one item, collapsed; expanded on a click.
  const links = item.locator('[data-testid^="alert-"]');
  await expect(links).toHaveCount(2);
  await expect(links.first()).toBeHidden();
  const toggle = item.getByRole('button', { name: 'Show its 2 anomalies' });
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(item.getByRole('button', { name: 'Hide its 2 anomalies' })).toHaveAttribute(
    'aria-expanded',
    'true',
  );
  for (const id of anomalyIds) {
    await expect(item.getByTestId(`alert-${id}`)).toBeVisible();
    await expect(item.getByTestId(`alert-${id}`)).toHaveAttribute('href', `/anomalies/${id}`);
  }
  // The tab counts open critical incidents (the simulator's may be among them).
  await expect(page).toHaveTitle(/^\(\d+\) Live board · Pulse$/);
  await shoot(page, 'board-1440');
  await page.context().close();
});

test('acknowledging from the board acknowledges both anomalies; a viewer sees it live', async ({
  browser,
}) => {
  const viewer = await signedInPage(browser, WATCHER);
  await expect(viewer.getByTestId('connection-state')).toHaveText('Live');
  const watched = viewer.getByTestId(`incident-${incidentId}`);
  await expect(watched).toBeVisible();
  await expect(watched.getByTestId('incident-actions')).toHaveCount(0);

  const editor = await signedInPage(browser, EDITOR);
  await expect(editor.getByTestId('connection-state')).toHaveText('Live');
  const item = editor.getByTestId(`incident-${incidentId}`);
  await item.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await expect(item.getByTestId('incident-action-status')).toHaveText('Incident acknowledged.');
  await expect(item.getByTestId('incident-acknowledged')).toHaveText(
    `Acknowledged by ${EDITOR.username}`,
  );
  await expect(item.getByRole('button', { name: 'Acknowledge', exact: true })).toHaveCount(0);
  await expect(item).toHaveAttribute('data-acknowledged', 'true');

  // The viewer's board follows without a reload: the incident and each anomaly.
  await expect(watched.getByTestId('incident-acknowledged')).toHaveText(
    `Acknowledged by ${EDITOR.username}`,
  );
  for (const id of anomalyIds) {
    await expect(watched.getByTestId(`alert-${id}`).getByTestId('mark-acknowledged')).toHaveText(
      `Acknowledged by ${EDITOR.username}`,
    );
  }
  const incident = (await (await viewer.request.get(`/api/incidents/${incidentId}`)).json()) as {
    acknowledged: { by: string } | null;
    anomalies: { acknowledged: { by: string } | null }[];
    notifications: { kind: string }[];
  };
  expect(incident.acknowledged?.by).toBe(EDITOR.username);
  expect(incident.anomalies.map((a) => a.acknowledged?.by)).toEqual([
    EDITOR.username,
    EDITOR.username,
  ]);
  // The incident had been announced: its acknowledgement is written to the outbox.
  expect(incident.notifications.map((n) => n.kind)).toEqual(['acknowledge', 'open']);
  // Not only the buttons: the API refuses a viewer.
  const refused = await viewer.request.post(`/api/incidents/${incidentId}/actions`, {
    headers: { origin: new URL(viewer.url()).origin },
    data: { action: 'resolve' },
  });
  expect(refused.status()).toBe(403);

  // Snooze from the board: the incident is marked, its anomalies too.
  await item.getByRole('button', { name: 'Snooze…' }).click();
  await item.getByRole('button', { name: 'Snooze the incident for 30 min' }).click();
  await expect(item.getByTestId('incident-snoozed')).toContainText('Snoozed until');
  await expect(watched).toHaveAttribute('data-snoozed', 'true');

  await viewer.context().close();
  await editor.context().close();
});

test('the drill-down shows the incident, its sibling and its delivery log', async ({ browser }) => {
  const page = await signedInPage(browser, EDITOR);
  // Where a notification's link lands: the drill-down of the incident's lead anomaly.
  await page.goto(`/incidents/${incidentId}`);
  await expect(page).toHaveURL(new RegExp(`/anomalies/${anomalyIds[0]}$`));
  await expect(page.getByTestId('connection-state')).toHaveText('Live');
  const card = page.getByTestId('incident');
  await expect(card.getByTestId('incident-title')).toHaveText(TITLE);
  await expect(card.locator('[data-lifecycle="open"]').first()).toBeVisible();
  await expect(card.getByTestId('incident-acknowledged')).toHaveText(
    `Acknowledged by ${EDITOR.username}`,
  );
  await expect(card.getByTestId(`sibling-${anomalyIds[0]}`)).toContainText('(this anomaly)');
  const sibling = card.getByTestId(`sibling-${anomalyIds[1]}`).getByRole('link');
  await expect(sibling).toContainText('E2E payments');

  const log = page.getByTestId('delivery-log');
  await expect(log.getByTestId('notification-acknowledge')).toContainText(
    'No channel took it: no route or default channel matched.',
  );
  const open = log.getByTestId('notification-open');
  await expect(open).toHaveAttribute('data-key', `pulse-${incidentId}-1-open`);
  const row = open.locator('tbody tr');
  await expect(row).toHaveAttribute('data-status', 'failed');
  await expect(row).toContainText('e2e-pager');
  await expect(row).toContainText('Failed');
  await expect(row).toContainText('HTTP 410 Gone: the hook was removed');
  await shoot(page, 'drill-down-1440');

  // Acting on the whole incident from the drill-down: end the snooze.
  await card.getByRole('button', { name: 'Unsnooze all' }).click();
  await expect(card.getByTestId('incident-action-status')).toHaveText('Snooze ended.');
  await expect(card.getByTestId('incident-snoozed')).toHaveCount(0);

  await sibling.click();
  await expect(page).toHaveURL(new RegExp(`/anomalies/${anomalyIds[1]}$`));
  await expect(page.getByTestId('incident').getByTestId(`sibling-${anomalyIds[1]}`)).toContainText(
    '(this anomaly)',
  );
  await page.context().close();
});

test('an editor silences the incident from its drill-down; it shows as silenced', async ({
  browser,
}) => {
  const viewer = await signedInPage(browser, WATCHER);
  await viewer.goto(`/anomalies/${anomalyIds[0]}`);
  await expect(viewer.getByTestId('connection-state')).toHaveText('Live');
  await expect(viewer.getByTestId('incident')).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Silence…' })).toHaveCount(0);

  const page = await signedInPage(browser, EDITOR);
  await page.goto(`/anomalies/${anomalyIds[0]}`);
  await expect(page.getByTestId('connection-state')).toHaveText('Live');
  const card = page.getByTestId('incident');
  await expect(card.getByTestId('incident-silenced')).toHaveCount(0);
  const open = card.getByRole('button', { name: 'Silence…' });
  await open.click();
  await expect(open).toHaveAttribute('aria-expanded', 'true');
  const form = card.getByTestId('incident-silence-form');
  // Prefilled from the incident: its metrics and its cause; why is asked for, beside its field.
  await expect(form.getByLabel('Metrics')).toHaveValue(METRICS.map((m) => m.key).join(', '));
  await expect(form.getByLabel('Cause')).toHaveValue('region=mars-1');
  await expect(form.getByLabel('Why')).toBeFocused();
  await form.getByRole('button', { name: 'Silence', exact: true }).click();
  await expect(form.locator('#incident-silence-comment-error')).toHaveText(
    'expected a comment saying why, got an empty string',
  );
  await form.getByLabel('Why').fill('mars-1 is a drill region: known');
  await form.getByLabel('4 hours', { exact: true }).check();
  await form.getByRole('button', { name: 'Silence', exact: true }).click();

  await expect(card.getByTestId('incident-silence-status')).toContainText('Silenced until');
  await expect(form).toHaveCount(0);
  await expect(card.getByTestId('incident-silenced')).toContainText('Silenced until');
  // The viewer's drill-down follows live.
  await expect(viewer.getByTestId('incident').getByTestId('incident-silenced')).toBeVisible();

  // Recorded with the incident it came from, by the editor.
  const listed = (await (await page.request.get('/api/notifications/silences')).json()) as {
    silences: {
      incidentId: number | null;
      createdBy: string;
      comment: string;
      matchers: unknown;
    }[];
  };
  expect(listed.silences.find((s) => s.incidentId === incidentId)).toMatchObject({
    createdBy: EDITOR.username,
    comment: 'mars-1 is a drill region: known',
    matchers: { metrics: METRICS.map((m) => m.key), cause: CAUSE },
  });
  await viewer.context().close();
  await page.context().close();
});

test('desktop alerts are turned on by a click, and the choice is kept', async ({ baseURL }) => {
  // Chromium's headless shell, which runs the other tests, has no notifications: the whole
  // browser does.
  const browser = await chromium.launch({ executablePath: FULL_CHROMIUM, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ baseURL: baseURL! });
  await context.grantPermissions(['notifications']);
  const page = await context.newPage();
  await signInReady(page, EDITOR);
  const toggle = page.getByTestId('desktop-alerts');
  await expect(toggle).toHaveText('Desktop alerts: off');
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  await toggle.click();
  await expect(toggle).toHaveText('Desktop alerts: on');
  expect(await page.evaluate(() => localStorage.getItem('pulse.desktop-alerts'))).toBe('on');
  await page.reload();
  await expect(page.getByTestId('desktop-alerts')).toHaveText('Desktop alerts: on');
  await page.getByTestId('desktop-alerts').click();
  await expect(page.getByTestId('desktop-alerts')).toHaveText('Desktop alerts: off');
  await context.close();
  await browser.close();
});

test('on a phone: the board and the drill-down', async ({ browser }) => {
  test.skip(!SHOTS, 'screenshots only');
  const page = await signedInPage(browser, EDITOR, { width: 390, height: 844 });
  const item = page.getByTestId(`incident-${incidentId}`);
  await item.scrollIntoViewIfNeeded();
  await item.getByRole('button', { name: /its 2 anomalies/ }).click();
  await item.getByRole('button', { name: 'Resolve…' }).click();
  await item.scrollIntoViewIfNeeded();
  await shoot(page, 'board-390');
  await page.goto(`/anomalies/${anomalyIds[0]}`);
  await expect(page.getByTestId('incident')).toBeVisible();
  await page.getByTestId('incident').scrollIntoViewIfNeeded();
  await shoot(page, 'drill-down-390');
  await page.getByTestId('delivery-log').scrollIntoViewIfNeeded();
  await shoot(page, 'delivery-log-390');
  await page.context().close();
});
