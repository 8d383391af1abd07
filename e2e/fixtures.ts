/** Page objects and helpers for the e2e suite. */
import { execFileSync } from 'node:child_process';
import { expect, type Page } from '@playwright/test';
import { E2E } from '../playwright.config';

export const ADMIN = { username: 'admin', password: E2E.adminPassword };
export const VIEWER = { username: 'vera', password: 'viewer-password-1' };

/** Adds a user through the admin CLI, against the e2e server's embedded database. */
export function addUser(user: { username: string; password: string }, role: string): void {
  execFileSync(
    process.execPath,
    [
      '--import',
      'tsx',
      'workers/users.ts',
      'add',
      user.username,
      '--role',
      role,
      '--password',
      user.password,
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: '',
        PULSE_DATA_DIR: E2E.dataDir,
        PULSE_PG_PORT: String(E2E.pgPort),
      },
      stdio: 'pipe',
    },
  );
}

/**
 * Signs in through the API (the page's context keeps the session cookie) without loading a
 * page: for tests that go straight to a page of their own. A test about signing in, or one that
 * wants the board it lands on, uses {@link signIn}.
 */
export async function signInQuickly(page: Page, user: { username: string; password: string }) {
  const response = await page.request.post('/api/auth/login', {
    headers: { origin: `http://127.0.0.1:${E2E.port}` },
    data: user,
  });
  expect(response.status(), `sign in as ${user.username}`).toBe(200);
}

/** Signs in through the form, as a person does, and lands on the board. */
export async function signIn(page: Page, user: { username: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
}

export class ThresholdsPage {
  constructor(private readonly page: Page) {}

  async open(metricKey: string) {
    await this.page.goto(`/metrics/${metricKey}/thresholds`);
  }

  field(label: string) {
    return this.page.getByLabel(label, { exact: true });
  }

  async save() {
    await this.page.getByRole('button', { name: 'Save' }).click();
  }
}
