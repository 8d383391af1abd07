/** The operators' Health page: the simulator's partition is accounted for, event by event. */
import { expect, test } from '@playwright/test';
import { ADMIN, signIn } from './fixtures';

test('the Health page shows the simulator partition balanced', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Health', exact: true }).click();
  await expect(page).toHaveURL(/\/health$/);

  const accounting = page.getByTestId('accounting');
  const simulator = accounting.locator('tbody tr[data-source="simulator"]').first();
  // The page refreshes itself every 5 s; these assertions retry until a flush has landed.
  await expect(simulator).toHaveAttribute('data-received', /^[1-9]\d*$/);
  await expect(simulator).toHaveAttribute('data-balanced', 'true');
  await expect(simulator).toContainText('✓');

  await expect(page.getByTestId('quarantine-reasons')).toBeVisible();
  await expect(page.getByTestId('quarantine-latest')).toBeVisible();

  // The JSON behind the page needs a session too.
  const details = await page.request.get('/api/health/details');
  expect(details.status()).toBe(200);
  const body = (await details.json()) as { partitions: { source: string; balanced: boolean }[] };
  expect(body.partitions.some((p) => p.source === 'simulator' && p.balanced)).toBe(true);
});
