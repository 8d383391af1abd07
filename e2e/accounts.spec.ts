/**
 * Accounts end to end: an admin creates a user in the browser (its password generated and shown
 * once), the user signs in elsewhere and changes its password on its account page, the admin
 * sees that session and disables the user, and the user's page is sent to sign-in, where
 * neither password works any more.
 */
import { expect, test } from '@playwright/test';
import { ADMIN, signIn } from './fixtures';

test('an admin creates a user, who changes its password; disabled, it is sent to sign-in', async ({
  page,
  browser,
  baseURL,
}) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Users', exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole('heading', { name: 'Users', level: 1 })).toBeVisible();

  // A username is required, and must be one: the error shows next to the field.
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.locator('#new-user-username-error')).toHaveText('Enter a username.');
  await page.getByLabel('Username').fill('two words');
  await expect(page.locator('#new-user-username-error')).toHaveText(
    'Use only letters, digits, _ . and -.',
  );

  const username = `e2e.user-${Date.now()}`;
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Role', { exact: true }).selectOption('editor');
  await page.getByRole('button', { name: 'Create user' }).click();
  const issued = page.getByTestId('issued-password');
  await expect(issued).toHaveText(/^[A-Za-z0-9_-]{16}$/);
  const first = (await issued.textContent())!.trim();
  const row = page.locator(`[data-testid="user-row"][data-username="${username}"]`);
  await expect(row).toHaveAttribute('data-state', 'enabled');
  await expect(row).toContainText('editor');
  await expect(row).toContainText('never');

  // The user signs in in a browser of its own and changes its password.
  const elsewhere = await browser.newContext({ baseURL: baseURL! });
  const theirs = await elsewhere.newPage();
  await signIn(theirs, { username, password: first });
  await theirs.getByRole('link', { name: /your account/ }).click();
  await expect(theirs).toHaveURL(/\/account$/);
  await expect(theirs.getByTestId('session-row')).toHaveCount(1);
  await expect(theirs.getByTestId('this-device')).toBeVisible();

  const second = 'a-new-password-1';
  await theirs.getByLabel('Current password').fill('not-the-password');
  await theirs.getByLabel('New password', { exact: true }).fill(second);
  await theirs.getByLabel('New password, again').fill(second);
  await theirs.getByRole('button', { name: 'Change password' }).click();
  await expect(theirs.locator('#account-currentPassword-error')).toHaveText(
    'This is not your current password.',
  );
  await theirs.getByLabel('Current password').fill(first);
  await theirs.getByRole('button', { name: 'Change password' }).click();
  await expect(theirs.getByTestId('password-changed')).toHaveText('Password changed.');
  // Still signed in here.
  await theirs.reload();
  await expect(theirs.getByTestId('this-device')).toBeVisible();

  // The user watches the live board: its socket is open when the admin acts.
  await theirs.goto('/');
  await expect(theirs.getByTestId('connection-state')).toHaveText('Live');

  // The admin sees that session, and disables the user.
  await page.reload();
  await row.getByRole('button', { name: `Manage ${username}` }).click();
  const panel = page.getByTestId('manage-user');
  await expect(panel.getByTestId('session-row')).toHaveCount(1);
  await panel.getByRole('button', { name: 'Disable…' }).click();
  await expect(panel.getByText('They are signed out everywhere')).toBeVisible();
  await panel.getByRole('button', { name: 'Disable user' }).click();
  await expect(row).toHaveAttribute('data-state', 'disabled');
  await expect(panel.getByTestId('manage-notice')).toContainText('disabled and signed out');
  await expect(panel.getByText(`${username} is not signed in anywhere.`)).toBeVisible();

  // The user's board is sent to sign-in by its socket, without a reload (the session's end
  // reaches the socket within seconds), and its password no longer lets it in (with the same
  // answer as a wrong password: nothing tells the account is disabled).
  await expect(theirs).toHaveURL(/\/login\?next=%2F$/, { timeout: 10_000 });
  await theirs.getByLabel('Username').fill(username);
  await theirs.getByLabel('Password').fill(second);
  await theirs.getByRole('button', { name: 'Sign in' }).click();
  await expect(theirs.getByTestId('login-error')).toHaveText('Wrong username or password.');
  await elsewhere.close();

  // The admin cannot disable itself: the button says why.
  await page.locator('[data-testid="user-row"][data-username="admin"]').getByRole('button').click();
  await expect(page.getByTestId('manage-user')).toHaveAttribute('data-username', 'admin');
  await expect(page.getByRole('button', { name: 'Disable…' })).toBeDisabled();
  await expect(page.getByText('You cannot disable your own account.')).toBeVisible();
});
