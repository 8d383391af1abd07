/**
 * Notification settings end to end: an admin creates a webhook channel pointing at a real
 * receiver (node:http, started here) and a route; the channel's secret and URL path are in no
 * page and no API answer after saving; "Send test" shows the outcome inline: delivered, with a
 * valid signature, by the worker's dispatcher.
 * A viewer is refused the page and the settings API.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type Page, type Response } from '@playwright/test';
import { ADMIN, addUser, signIn } from './fixtures';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let port = 0;
const received: Received[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Every API answer the page receives, to check none holds a credential. */
function recordAnswers(page: Page): string[] {
  const bodies: string[] = [];
  page.on('response', (response: Response) => {
    if (!new URL(response.url()).pathname.startsWith('/api/')) return;
    response
      .text()
      .then((text) => bodies.push(text))
      .catch(() => undefined);
  });
  return bodies;
}

test('an admin creates a webhook channel and a route; the secret never comes back; a test send reports', async ({
  page,
}) => {
  const stamp = Date.now();
  const id = `e2e-hook-${stamp}`;
  const secret = `e2e-signing-secret-${stamp}`;
  const pathToken = `private-path-${stamp}`;
  const url = `http://127.0.0.1:${port}/hooks/${pathToken}`;
  const answers = recordAnswers(page);

  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Notifications', exact: true }).click();
  await expect(page).toHaveURL(/\/settings\/notifications$/);
  await expect(page.getByRole('heading', { name: 'Notifications', level: 1 })).toBeVisible();

  // The form names what is missing, next to each field.
  const form = page.getByTestId('new-channel-form');
  await form.getByRole('button', { name: 'Create channel' }).click();
  await expect(page.locator('#new-channel-id-error')).toContainText('expected a channel id');
  await expect(page.locator('#new-channel-url-error')).toHaveText('expected the URL to post to');
  await form.getByLabel('Id', { exact: true }).fill(id);
  await form.getByLabel('URL', { exact: true }).fill('ftp://nope');
  await form.getByLabel('Signing secret').fill('short');
  await expect(page.locator('#new-channel-url-error')).toHaveText('expected an http(s) URL');
  await expect(page.locator('#new-channel-secret-error')).toHaveText(
    'expected a secret of at least 16 characters',
  );

  await form.getByLabel('URL', { exact: true }).fill(url);
  await form.getByLabel('Signing secret').fill(secret);
  await form.getByRole('button', { name: 'Create channel' }).click();
  await expect(page.getByTestId('channel-created')).toContainText(`Channel ${id} created`);
  const row = page.locator(`[data-testid="channel-row"][data-channel-id="${id}"]`);
  await expect(row.getByTestId('channel-target')).toHaveText(`http://127.0.0.1:${port}`);
  await expect(row).toHaveAttribute('data-state', 'enabled');
  // The form forgot what was typed.
  await expect(form.getByLabel('Signing secret')).toHaveValue('');

  // A route: critical incidents on revenue metrics go to the new channel.
  const routes = page.getByTestId('routes-form');
  await routes.getByRole('button', { name: 'Add route' }).click();
  const route = routes.getByTestId('route-row').last();
  await route.getByLabel('Name (optional)').fill('revenue to the e2e hook');
  await route.getByLabel('Severity').selectOption('critical');
  await route.getByLabel('Metrics').fill('revenue*, purchases');
  await route.getByLabel('Cause').fill('region');
  await routes.getByRole('button', { name: 'Save routes' }).click();
  // Nothing chosen to send to, and a cause without a value: both said where they are.
  await expect(route.getByText('expected at least one channel')).toBeVisible();
  await expect(route.getByText(/expected dimension=value pairs/)).toBeVisible();
  await route.getByLabel('Cause').fill('region=eu-*');
  await route.getByRole('checkbox', { name: id }).check();
  await routes.getByRole('button', { name: 'Save routes' }).click();
  await expect(page.getByTestId('routes-saved')).toBeVisible();

  // After a reload: the route as saved, the secret and URL path nowhere in the page.
  await page.reload();
  const saved = page.getByTestId('route-row').filter({ hasText: 'revenue to the e2e hook' });
  await expect(saved.getByLabel('Metrics')).toHaveValue('revenue*, purchases');
  await expect(saved.getByLabel('Cause')).toHaveValue('region=eu-*');
  await expect(saved.getByRole('checkbox', { name: id })).toBeChecked();
  const html = await page.content();
  expect(html).not.toContain(secret);
  expect(html).not.toContain(pathToken);

  const list = await page.request.get('/api/notifications/channels');
  expect(list.status()).toBe(200);
  const listed = await list.text();
  expect(listed).toContain(id);
  expect(listed).not.toContain(secret);
  expect(listed).not.toContain(pathToken);
  expect(JSON.parse(listed)).toMatchObject({
    channels: expect.arrayContaining([
      expect.objectContaining({ id, hasSecret: true, target: `http://127.0.0.1:${port}` }),
    ]) as unknown,
  });

  // Send test: the outcome inline, within the 15 s the server waits for a worker.
  await row.getByRole('button', { name: `Send test to ${id}` }).click();
  await expect(row.getByTestId('test-result')).toContainText('waiting for the worker');
  const result = row.getByTestId('test-result');
  await expect(result).toHaveAttribute('data-outcome', /.+/, { timeout: 25_000 });
  // The worker's dispatcher delivers it: the result says so, and the receiver got it signed.
  await expect(result).toHaveAttribute('data-outcome', 'delivered');
  await expect(result).toHaveText(/^Delivered in \d+ ms \(status 204\)\.$/);
  const delivery = received.find((r) => r.body.includes('"kind":"test"'));
  expect(delivery).toBeDefined();
  const expected = `sha256=${createHmac('sha256', secret).update(delivery!.body).digest('hex')}`;
  expect(delivery!.headers['x-pulse-signature']).toBe(expected);
  expect(delivery!.headers['idempotency-key']).toMatch(/^pulse-test-/);

  // No API answer the page received held a credential.
  await page.waitForTimeout(200);
  expect(answers.length).toBeGreaterThan(0);
  for (const body of answers) {
    expect(body).not.toContain(secret);
    expect(body).not.toContain(pathToken);
  }
});

test('a viewer is refused the page and the settings API', async ({ page, baseURL }) => {
  const viewer = { username: `nora-${Date.now()}`, password: 'viewer-password-1' };
  addUser(viewer, 'viewer');
  await signIn(page, viewer);
  await expect(page.getByRole('link', { name: 'Notifications', exact: true })).toHaveCount(0);

  await page.goto('/settings/notifications');
  await expect(page.getByTestId('admin-refusal')).toContainText('Only admins');
  await expect(page.getByRole('button', { name: 'Create channel' })).toHaveCount(0);
  await expect(page.getByTestId('channels')).toHaveCount(0);

  const origin = { origin: baseURL! };
  expect((await page.request.get('/api/notifications/channels')).status()).toBe(403);
  expect((await page.request.get('/api/notifications/routes')).status()).toBe(403);
  const create = await page.request.post('/api/notifications/channels', {
    headers: origin,
    data: { id: 'sneaky', type: 'webhook', url: 'http://127.0.0.1:9/x', secret: 'x'.repeat(20) },
  });
  expect(create.status()).toBe(403);
  const routes = await page.request.put('/api/notifications/routes', {
    headers: origin,
    data: { routes: [] },
  });
  expect(routes.status()).toBe(403);
  const test = await page.request.post('/api/notifications/channels/sneaky/test', {
    headers: origin,
  });
  expect(test.status()).toBe(403);
  const silence = await page.request.post('/api/notifications/silences', {
    headers: origin,
    data: { matchers: { metrics: ['*'] }, comment: 'no', endsAt: '2099-01-01T00:00:00Z' },
  });
  expect(silence.status()).toBe(403);
});
