/**
 * API keys end to end: an admin creates one in the browser, a service posts events with it,
 * the admin revokes it and the same post is refused. Non-admins are refused the page and API.
 */
import { expect, test } from '@playwright/test';
import { ADMIN, addUser, signIn } from './fixtures';

const EDITOR = { username: 'eddie', password: 'editor-password-1' };

test('an admin creates an API key, events posted with it are accepted, revoking it shuts it out', async ({
  page,
  request,
}) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'API keys', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/api-keys$/);
  await expect(page.getByRole('heading', { name: 'API keys', level: 1 })).toBeVisible();

  // A name is required: the error shows next to the field.
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.locator('#key-name-error')).toHaveText('Give the key a name.');
  await expect(page.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');

  const name = `e2e service ${Date.now()}`;
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create key' }).click();
  const secretBox = page.getByTestId('new-key-secret');
  await expect(secretBox).toHaveText(/^pk_[A-Za-z0-9_-]{43}$/);
  const secret = (await secretBox.textContent())!.trim();
  await expect(page.getByTestId('new-key-warning')).toContainText('cannot show it again');
  await expect(page.getByRole('button', { name: 'Copy' })).toBeVisible();

  const row = page.getByTestId('api-key-row').filter({ hasText: name });
  await expect(row).toHaveAttribute('data-state', 'active');
  await expect(row).toContainText(secret.slice(0, 10));
  await expect(row).toContainText('never');

  // A service posts with the key: two valid events and one the contract refuses.
  const ts = Date.now() - 1000;
  const events = [
    { ts, type: 'e2e_probe', dims: { region: 'eu-west' }, measures: { ms: 12 } },
    { ts, type: 'e2e_probe', dims: { region: 'us-east' } },
    { ts, type: 'E2E probe' },
  ];
  const ingest = () =>
    request.post('/api/ingest', {
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      data: JSON.stringify(events),
    });
  const accepted = await ingest();
  expect(accepted.status()).toBe(200);
  expect(await accepted.json()).toEqual({ accepted: 2, quarantined: 1, reasons: { schema: 1 } });

  // The secret is shown once: after a reload only the prefix remains, and the use is recorded.
  await page.reload();
  await expect(page.getByTestId('new-key-secret')).toHaveCount(0);
  expect(await page.content()).not.toContain(secret);
  await expect(row).not.toContainText('never');

  // Revoke, with confirmation.
  await row.getByRole('button', { name: `Revoke ${name}` }).click();
  await expect(row.getByText('Clients using it get 401 at once.')).toBeVisible();
  await row.getByRole('button', { name: 'Revoke key' }).click();
  await expect(row).toHaveAttribute('data-state', 'revoked');
  await expect(row).toContainText(`Revoked`);
  await expect(row).toContainText(`by ${ADMIN.username}`);

  const refused = await ingest();
  expect(refused.status()).toBe(401);
  const body = (await refused.json()) as { error: string };
  expect(body.error).toMatch(/revoked/);
  expect(JSON.stringify(body)).not.toContain(secret);

  // Without a key at all: 401 too.
  const anonymous = await request.post('/api/ingest', { data: JSON.stringify(events) });
  expect(anonymous.status()).toBe(401);
});

test('an editor is refused the API keys page and its API', async ({ page, baseURL }) => {
  addUser(EDITOR, 'editor');
  await signIn(page, EDITOR);
  await expect(page.getByRole('link', { name: 'API keys', exact: true })).toHaveCount(0);

  await page.goto('/admin/api-keys');
  await expect(page.getByTestId('admin-refusal')).toContainText('Only admins');
  await expect(page.getByRole('button', { name: 'Create key' })).toHaveCount(0);

  const list = await page.request.get('/api/api-keys');
  expect(list.status()).toBe(403);
  const create = await page.request.post('/api/api-keys', {
    headers: { origin: baseURL! },
    data: { name: 'sneaky' },
  });
  expect(create.status()).toBe(403);
});
