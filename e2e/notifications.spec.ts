/**
 * An incident reaches people, end to end: an admin creates a webhook channel (a real receiver
 * started here) and a route in the browser; the next incident the simulator injects arrives at
 * the receiver signed with the channel's secret within 30 s of the anomaly opening (10 s
 * windows, a 2 s group wait); acknowledging it on the board sends the acknowledge notification
 * with a new idempotency key; the incident's drill-down shows both deliveries.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@playwright/test';
import { ADMIN, signInQuickly } from './fixtures';

interface Arrival {
  at: number;
  signature: string | undefined;
  key: string | undefined;
  body: string;
  payload: {
    kind: string;
    key: string;
    incident: { id: number; status: string; openedAt: string; link: string; title: string };
  };
}

let server: Server;
let port = 0;
const arrivals: Arrival[] = [];

test.beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      arrivals.push({
        at: Date.now(),
        signature: req.headers['x-pulse-signature'] as string | undefined,
        key: req.headers['idempotency-key'] as string | undefined,
        body,
        payload: JSON.parse(body) as Arrival['payload'],
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

test.afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const signed = (body: string, secret: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

test('an injected incident reaches the webhook signed, and acknowledging it on the board is announced', async ({
  page,
}) => {
  test.setTimeout(240_000);
  const stamp = Date.now();
  const id = `flow-${stamp}`;
  const secret = `flow-signing-secret-${stamp}`;

  await signInQuickly(page, ADMIN);
  await page.goto('/settings/notifications');
  const form = page.getByTestId('new-channel-form');
  await form.getByLabel('Id', { exact: true }).fill(id);
  await form.getByLabel('URL', { exact: true }).fill(`http://127.0.0.1:${port}/pulse`);
  await form.getByLabel('Signing secret').fill(secret);
  await form.getByRole('button', { name: 'Create channel' }).click();
  await expect(page.getByTestId('channel-created')).toContainText(`Channel ${id} created`);

  // A route that takes the simulator's incidents to the new channel, first in the list. Only
  // theirs: the specs that run beside this one seed incidents of their own and expect no route
  // to take them.
  const routes = page.getByTestId('routes-form');
  await routes.getByRole('button', { name: 'Add route' }).click();
  const route = routes.getByTestId('route-row').last();
  await route.getByLabel('Name (optional)').fill(`simulator metrics to ${id}`);
  await route.getByRole('textbox', { name: 'Metrics' }).fill('error_rate, api_latency');
  await route.getByRole('checkbox', { name: id }).check();
  await route.getByLabel('Continue: later routes may take it too').check();
  const up = routes.getByRole('button', { name: `Move simulator metrics to ${id} up` });
  for (let i = 0; i < 10 && (await up.isEnabled()); i++) await up.click();
  await routes.getByRole('button', { name: 'Save routes' }).click();
  await expect(page.getByTestId('routes-saved')).toBeVisible();
  const routed = Date.now();

  // The next incident that opens after the route was saved (the simulator injects one every
  // 50 s), announced once its 2 s group wait is over.
  let open: Arrival | undefined;
  await expect
    .poll(
      () => {
        open = arrivals.find(
          (a) => a.payload.kind === 'open' && Date.parse(a.payload.incident.openedAt) > routed,
        );
        return open !== undefined;
      },
      { timeout: 150_000, intervals: [1000] },
    )
    .toBe(true);
  expect(open!.signature).toBe(signed(open!.body, secret));
  expect(open!.key).toBe(open!.payload.key);
  expect(open!.key).toMatch(/^pulse-\d+-\d+-open$/);
  const incident = open!.payload.incident;
  // Within 30 s of the anomaly opening (the detector's transaction that opened it).
  expect(open!.at - Date.parse(incident.openedAt)).toBeLessThan(30_000);
  expect(incident.link).toBe(`http://127.0.0.1:3100/incidents/${incident.id}`);

  // Acknowledge it from the board: the whole incident, announced to the same receiver.
  await page.goto('/');
  const card = page.getByTestId(`incident-${incident.id}`);
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  await expect(card.getByTestId('incident-action-status')).toBeVisible();
  let ack: Arrival | undefined;
  await expect
    .poll(
      () => {
        ack = arrivals.find(
          (a) => a.payload.kind === 'acknowledge' && a.payload.incident.id === incident.id,
        );
        return ack !== undefined;
      },
      { timeout: 20_000 },
    )
    .toBe(true);
  expect(ack!.signature).toBe(signed(ack!.body, secret));
  expect(ack!.payload.incident.status).toBe('acknowledged');
  expect(ack!.key).not.toBe(open!.key);

  // The link in the message opens the incident; its drill-down lists both deliveries.
  await page.goto(new URL(incident.link).pathname);
  await expect(page).toHaveURL(/\/anomalies\/\d+/);
  const log = page.getByTestId('delivery-log');
  await expect(log.getByTestId('notification-open')).toContainText(id);
  await expect(log.getByTestId('notification-acknowledge')).toContainText(id);
  await expect(log.getByTestId('notification-acknowledge')).toContainText(/delivered/i);
});
