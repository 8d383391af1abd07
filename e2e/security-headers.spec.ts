/**
 * The Content-Security-Policy and the other security headers, in a real browser: every page
 * renders its content and, where it has one, connects its live socket with the policy on, and
 * not one `securitypolicyviolation` fires; every response the app serves — pages, route
 * handlers, Next's static files, public/ files, the responses server.ts writes itself and
 * socket.io's transport — carries the headers, with exactly one policy.
 *
 * A page is one entry of PAGES: a new page adds a line there.
 */
import { expect, test, type Page, type Response } from '@playwright/test';
import postgres from 'postgres';
import { embeddedUrl } from '../db/embedded';
import { E2E } from '../playwright.config';
import { ADMIN, signIn, signInQuickly } from './fixtures';

test.describe.configure({ mode: 'serial' });

/** Filled in by beforeAll: a simulator metric with charts, and a seeded anomaly. */
const seeded = { metricKey: '', anomalyId: 0 };
const CSP_METRIC = 'e2e_security_headers';

interface PageCase {
  path: () => string;
  /** The page's own heading: it rendered, not the error or not-found page. */
  heading: string | RegExp;
  /** The page shows the live connection state (app/_components/connection-state.tsx). */
  live?: boolean;
}

/** Every page under app/ a signed-in admin can open (/login is visited signed out). */
const PAGES: Record<string, PageCase> = {
  board: { path: () => '/', heading: 'Live board', live: true },
  metrics: { path: () => '/metrics', heading: 'Metrics' },
  'new metric': { path: () => '/metrics/new', heading: 'New metric' },
  thresholds: { path: () => `/metrics/${seeded.metricKey}/thresholds`, heading: /\S/, live: true },
  'metric definition': { path: () => `/metrics/${seeded.metricKey}/edit`, heading: /\S/ },
  anomaly: { path: () => `/anomalies/${seeded.anomalyId}`, heading: /\S/, live: true },
  health: { path: () => '/health', heading: 'Health' },
  'API keys': { path: () => '/admin/api-keys', heading: 'API keys' },
  account: { path: () => '/account', heading: 'Your account' },
  users: { path: () => '/admin/users', heading: 'Users' },
  'notification settings': { path: () => '/settings/notifications', heading: 'Notifications' },
  // A new page under app/ adds its line here.
};

/** The headers every response carries (app/_server/security-headers.ts). */
const BASE = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};
/** The policy of everything that is not a page. */
const RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'";

/** What a page reported about the policy: violation events and console complaints. */
interface Watch {
  violations: () => Promise<string[]>;
  console: string[];
  sockets: string[];
}

/** Records, from before the first script runs, every policy violation the document reports. */
async function watch(page: Page): Promise<Watch> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (e) => {
      const where = `${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`;
      seen.push(
        `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${where} ${e.sample}`,
      );
    });
  });
  const consoleLines: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    if (/Content.Security.Policy|Permissions.Policy|Refused to/i.test(text)) {
      consoleLines.push(`${message.type()}: ${text}`);
    }
  });
  page.on('pageerror', (error) => consoleLines.push(`pageerror: ${error.message}`));
  const sockets: string[] = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  return {
    violations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp ?? []),
    console: consoleLines,
    sockets,
  };
}

/** The values of header `name` (lower case), each occurrence separately. */
async function headerValues(response: Response, name: string): Promise<string[]> {
  return (await response.headersArray())
    .filter((h) => h.name.toLowerCase() === name)
    .map((h) => h.value);
}

function expectBaseHeaders(headers: Record<string, string>, what: string) {
  for (const [name, value] of Object.entries(BASE)) {
    expect(headers[name], `${name} on ${what}`).toBe(value);
  }
  expect(headers['permissions-policy'], `permissions-policy on ${what}`).toContain('camera=()');
}

/** Checks a page's response: the headers, one policy with a nonce, every script stamped with it. */
async function checkPageResponse(response: Response, what: string): Promise<string> {
  expectBaseHeaders(response.headers(), what);
  const policies = await headerValues(response, 'content-security-policy');
  expect(policies, `one policy on ${what}`).toHaveLength(1);
  const policy = policies[0]!;
  const scriptSrc = policy.split(';').find((d) => d.trim().startsWith('script-src'))!;
  expect(scriptSrc).not.toContain("'unsafe-inline'");
  expect(scriptSrc).not.toContain("'unsafe-eval'");
  expect(policy).toContain("frame-ancestors 'none'");
  expect(policy).toContain("object-src 'none'");
  const nonce = /'nonce-([A-Za-z0-9+/=_-]+)'/.exec(scriptSrc)?.[1];
  expect(nonce, `a nonce in ${what}'s script-src`).toBeTruthy();

  // Every script in the HTML, Next's flight data (`self.__next_f.push`) included, has it.
  const html = await response.text();
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  expect(scripts.length, `scripts on ${what}`).toBeGreaterThan(0);
  for (const tag of scripts) expect(tag, `a script on ${what}`).toContain(`nonce="${nonce}"`);
  expect(html).toMatch(
    new RegExp(`<script nonce="${nonce!.replace(/[+/]/g, '\\$&')}">self\\.__next_f`),
  );
  return nonce!;
}

async function expectNoViolations(page: Page, seen: Watch, what: string) {
  expect(await seen.violations(), `policy violations on ${what}`).toEqual([]);
  expect(seen.console, `console on ${what}`).toEqual([]);
}

test.beforeAll(async ({ request }) => {
  const url = await embeddedUrl({ dir: E2E.dataDir, port: E2E.pgPort });
  if (!url) throw new Error('the e2e server has not initialised its embedded PostgreSQL');
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    // A simulator metric: its pages draw charts from real points.
    const login = await request.post('/api/auth/login', {
      headers: { origin: `http://127.0.0.1:${E2E.port}` },
      data: ADMIN,
    });
    expect(login.status()).toBe(200);
    const board = (await (await request.get('/api/board')).json()) as {
      metrics: { key: string; enabled: boolean }[];
    };
    seeded.metricKey = board.metrics.find((m) => m.enabled)?.key ?? '';
    expect(seeded.metricKey).not.toBe('');
    // An anomaly of its own on a paused metric (as lifecycle.spec.ts): no waiting for incidents.
    await sql`delete from metrics where key = ${CSP_METRIC}`;
    const [metric] = await sql<{ id: number }[]>`
      insert into metrics (key, name, kind, event_type, enabled)
      values (${CSP_METRIC}, 'Security headers check', 'count', ${CSP_METRIC}, false)
      returning id`;
    const window = new Date(Math.floor(Date.now() / 10_000) * 10_000);
    const explanation = { dimensions: {}, top: [], sentence: 'region=eu-west drives the spike' };
    const [anomaly] = await sql<{ id: number }[]>`
      insert into anomalies (metric_id, status, severity, direction, first_window, last_window,
        peak_window, value, expected, sigma, z, explanation, sentence)
      values (${metric!.id}, 'open', 'critical', 'up', ${window}, ${window}, ${window}, 90, 20,
        5, 14, ${sql.json(explanation)}, ${explanation.sentence})
      returning id`;
    seeded.anomalyId = anomaly!.id;
  } finally {
    await sql.end();
  }
});

test.afterAll(async () => {
  const url = await embeddedUrl({ dir: E2E.dataDir, port: E2E.pgPort });
  if (!url) return;
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  await sql`delete from metrics where key = ${CSP_METRIC}`; // cascades to the anomaly
  await sql.end();
});

test('the sign-in page works under the policy, signed out', async ({ page }) => {
  const seen = await watch(page);
  const response = await page.goto('/login');
  await checkPageResponse(response!, '/login');
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  // Hydrated: the form signs in through fetch, which connect-src allows.
  await signIn(page, ADMIN);
  await expect(page.getByTestId('connection-state')).toHaveText('Live');
  await expectNoViolations(page, seen, '/login and the board after it');
});

test('every page renders, connects and reports no violation under its policy', async ({ page }) => {
  await signInQuickly(page, ADMIN);
  const seen = await watch(page);
  const nonces = new Set<string>();
  for (const [name, c] of Object.entries(PAGES)) {
    await test.step(name, async () => {
      const path = c.path();
      const sockets = seen.sockets.length;
      const response = await page.goto(path);
      expect(response!.status(), path).toBe(200);
      nonces.add(await checkPageResponse(response!, path));
      const main = page.locator('main#main');
      await expect(main.getByRole('heading', { level: 1 }).first()).toHaveText(c.heading);
      await expect(main.getByTestId('not-found')).toHaveCount(0);
      await expect(page.getByText('Something went wrong')).toHaveCount(0);
      if (c.live) {
        await expect(page.getByTestId('connection-state')).toHaveText('Live');
        // socket.io upgraded to a WebSocket: connect-src lets it reach our own origin.
        await expect
          .poll(() => seen.sockets.slice(sockets).some((url) => url.includes('/socket.io/')))
          .toBe(true);
      }
      // Charts draw after mount (they measure their box); give late work a moment.
      await page.waitForTimeout(500);
      await expectNoViolations(page, seen, path);
    });
  }
  expect(nonces.size, 'a fresh nonce per page').toBe(Object.keys(PAGES).length);
});

test('the policy is enforced and reported: an injected inline handler does not run', async ({
  page,
}) => {
  await signInQuickly(page, ADMIN);
  const seen = await watch(page);
  await page.goto('/');
  await expect(page.getByTestId('connection-state')).toHaveText('Live');
  // What injected markup would try; the page itself never does. (Playwright's own evaluate is
  // not subject to the policy, so the attempt has to be markup the page runs.)
  const ran = await page.evaluate(() => {
    const button = document.createElement('button');
    button.setAttribute('onclick', 'window.__injected = true');
    document.body.append(button);
    button.click();
    button.remove();
    return (window as { __injected?: boolean }).__injected === true;
  });
  expect(ran).toBe(false);
  await expect
    .poll(async () => (await seen.violations()).map((v) => v.split(' ')[0]))
    .toEqual(['script-src-attr']);
});

test('an unknown address gets the not-found page under the policy', async ({ page }) => {
  await signInQuickly(page, ADMIN);
  const seen = await watch(page);
  const response = await page.goto('/no-such-page');
  expect(response!.status()).toBe(404);
  await checkPageResponse(response!, '/no-such-page');
  await expect(page.getByTestId('not-found')).toBeVisible();
  await page.waitForTimeout(500);
  await expectNoViolations(page, seen, '/no-such-page');
});

test('hostile path segments are a not-found page, never a server error', async ({ page }) => {
  // Finding: /metrics/%00 and /metrics/%00/edit answered 500 (PostgreSQL refuses NUL).
  await signInQuickly(page, ADMIN);
  for (const path of [
    '/metrics/%00',
    '/metrics/%00/edit',
    '/metrics/a%0Ab',
    '/metrics/%E2%80%AE',
    '/anomalies/%00',
  ]) {
    const response = await page.goto(path);
    expect([path, response!.status()]).toEqual([path, 404]);
    await expect(page.getByTestId('not-found')).toBeVisible();
  }
});

test('client-side navigation loads its chunks under the policy', async ({ page }) => {
  await signInQuickly(page, ADMIN);
  const seen = await watch(page);
  await page.goto('/');
  await page.getByRole('link', { name: 'Health', exact: true }).click();
  await expect(page).toHaveURL(/\/health$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Health' })).toBeVisible();
  await page.getByRole('link', { name: 'Metrics', exact: true }).first().click();
  await expect(page).toHaveURL(/\/metrics$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Metrics' })).toBeVisible();
  await expectNoViolations(page, seen, 'client-side navigation');
});

test('what is not a page carries the headers and a policy that allows nothing', async ({
  page,
}) => {
  await signInQuickly(page, ADMIN);
  const html = await (await page.request.get('/')).text();
  const chunk = /src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
  expect(chunk, "one of Next's static chunks").toBeTruthy();
  const css = /href="(\/_next\/static\/[^"]+\.css)"/.exec(html)?.[1];

  const cases: [string, number, Record<string, string>?][] = [
    [chunk!, 200],
    ...(css ? [[css, 200] as [string, number]] : []),
    ['/manifest.webmanifest', 200],
    ['/icon.svg', 200],
    ['/icons/icon-192.png', 200],
    // Paths the proxy skips by their extension, answered by Next (404 here).
    ['/no-such-file.json', 404],
    ['/no-such-file.txt', 404],
    // Route handlers (through the proxy) and what server.ts answers itself, before Next.
    ['/api/board', 200],
    ['/api/metrics', 200],
    ['/api/health', 200],
    ['/metrics', 200, { accept: 'text/plain' }], // the Prometheus scrape
    ['/api/ingest', 405],
  ];
  for (const [path, status, headers] of cases) {
    await test.step(path, async () => {
      const response = await page.request.get(path, { headers });
      expect(response.status(), path).toBe(status);
      expectBaseHeaders(response.headers(), path);
      const policies = response
        .headersArray()
        .filter((h) => h.name.toLowerCase() === 'content-security-policy');
      expect(
        policies.map((h) => h.value),
        `one resource policy on ${path}`,
      ).toEqual([RESOURCE_CSP]);
    });
  }
});

test("socket.io's polling transport carries the headers", async ({ request }) => {
  // A client without a session: its handshake, and the poll that asks to join the namespace
  // (refused afterwards by the session check). engine.io answers both; Next never sees them.
  const handshake = await request.get('/socket.io/?EIO=4&transport=polling');
  expect(handshake.status()).toBe(200);
  expectBaseHeaders(handshake.headers(), 'the socket.io handshake');
  expect(handshake.headers()['content-security-policy']).toBe(RESOURCE_CSP);
  const sid = (JSON.parse((await handshake.text()).slice(1)) as { sid: string }).sid;
  const poll = await request.post(`/socket.io/?EIO=4&transport=polling&sid=${sid}`, {
    data: '40',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
  });
  expect(poll.status()).toBe(200);
  expectBaseHeaders(poll.headers(), 'a socket.io poll');
  expect(poll.headers()['content-security-policy']).toBe(RESOURCE_CSP);
});
