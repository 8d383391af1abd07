/**
 * Metric definitions end to end: an editor creates a filtered count (purchases in eu-west),
 * is stopped by a bad key first, previews the last hour, saves, finds it in the list and on
 * the live board, pauses it; a viewer can read definitions but not change them (pages and API).
 */
import { expect, test, type Page } from '@playwright/test';
import { addUser, signIn, signInQuickly } from './fixtures';

const EDITOR = { username: 'mia', password: 'metrics-editor-1' };
const VIEWER = { username: 'val', password: 'metrics-viewer-1' };

class DefinitionFormPage {
  constructor(private readonly page: Page) {}

  field(label: string) {
    return this.page.getByLabel(label, { exact: true });
  }

  error(field: string) {
    return this.page.locator(`#${field}-error`);
  }

  previewState() {
    return this.page.getByTestId('preview-state');
  }
}

test('an editor creates a filtered count metric, sees it listed and on the board, and pauses it', async ({
  page,
}) => {
  addUser(EDITOR, 'editor');
  await signIn(page, EDITOR);

  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Metrics' })
    .click();
  await expect(page).toHaveURL(/\/metrics$/);
  await expect(page.getByRole('heading', { name: 'Metrics', level: 1 })).toBeVisible();
  await expect(page.getByTestId('metric-row-purchases')).toBeVisible();

  await page.getByRole('link', { name: 'New metric' }).click();
  await expect(page).toHaveURL(/\/metrics\/new$/);
  const form = new DefinitionFormPage(page);
  await expect(form.previewState()).toHaveAttribute('data-state', 'incomplete');

  // A bad key first: the error shows next to the field, nothing is saved.
  await form.field('Key').fill('EU Purchases');
  await form.field('Name').fill('Purchases in EU West');
  await page.getByRole('radio', { name: /Count/ }).check();
  await form.field('Event type').fill('purchase');
  await page.getByRole('button', { name: 'Add a filter' }).click();
  await page.getByLabel('Dimension of filter 1').fill('region');
  const valueInput = page.getByLabel('Values of filter 1');
  await valueInput.fill('eu-west');
  await valueInput.press('Enter');
  await expect(page.getByRole('button', { name: 'Remove eu-west' })).toBeVisible();
  await page.getByRole('button', { name: 'Create metric' }).click();
  await expect(form.error('key')).toContainText('Use lowercase letters, digits, _ or -');
  await expect(form.field('Key')).toHaveAttribute('aria-invalid', 'true');
  await expect(form.field('Key')).toBeFocused();
  await expect(page).toHaveURL(/\/metrics\/new$/);

  // A kind that needs a measure shows its field; switching back hides it again.
  await page.getByRole('radio', { name: /Sum/ }).check();
  await expect(form.field('Measure')).toBeVisible();
  await page.getByRole('radio', { name: /Count/ }).check();
  await expect(form.field('Measure')).toHaveCount(0);

  // The preview computes the last hour of purchases in eu-west from the stored rollups.
  await expect(form.previewState()).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  await expect(page.getByTestId('preview-latest')).toHaveText(/^\d[\d,]*$/);

  await form.field('Key').fill('eu_purchases');
  await expect(form.error('key')).toHaveCount(0);
  await page.getByRole('button', { name: 'Create metric' }).click();

  await expect(page).toHaveURL(/\/metrics\?saved=eu_purchases$/);
  await expect(page.getByTestId('metrics-saved')).toContainText('Saved Purchases in EU West');
  const row = page.getByTestId('metric-row-eu_purchases');
  await expect(row).toContainText('Purchases in EU West');
  await expect(row).toContainText('Count of purchase events where region is eu-west');
  await expect(row).toHaveAttribute('data-enabled', 'true');

  // Its key cannot be taken twice.
  const again = await page.request.post('/api/metrics', {
    headers: { origin: new URL(page.url()).origin },
    data: { key: 'eu_purchases', name: 'Again', kind: 'count', eventType: 'purchase' },
  });
  expect(again.status()).toBe(409);
  expect(((await again.json()) as { fields: Record<string, string> }).fields.key).toMatch(
    /Another metric has this key/,
  );

  // On the live board: a card for it, learning (or waiting for its first window).
  await page.goto('/');
  const card = page.getByTestId('metric-card-eu_purchases');
  await expect(card).toBeVisible();
  await expect(card).toContainText('Purchases in EU West');
  await expect(card).toHaveAttribute('data-status', /^(waiting|learning|low_volume|ok)$/);

  // Pausing it marks the card.
  await page.goto('/metrics');
  await row.getByRole('switch', { name: 'Score Purchases in EU West' }).click();
  await expect(row).toHaveAttribute('data-enabled', 'false');
  await expect(row).toContainText('Paused');
  await page.goto('/');
  await expect(page.getByTestId('metric-card-eu_purchases')).toContainText('Paused');

  // The definition can be edited, but never its key.
  await page.goto('/metrics/eu_purchases/edit');
  await expect(form.field('Key')).toHaveAttribute('readonly', '');
  await expect(page.getByRole('button', { name: 'Remove eu-west' })).toBeVisible();
  await form.field('Name').fill('EU West purchases');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page).toHaveURL(/\/metrics\?saved=eu_purchases$/);
  await expect(row).toContainText('EU West purchases');
});

test('a viewer reads metric definitions but cannot change them', async ({ page }) => {
  addUser(VIEWER, 'viewer');
  await signInQuickly(page, VIEWER);

  await page.goto('/metrics');
  await expect(page.getByTestId('read-only-note')).toBeVisible();
  await expect(page.getByRole('link', { name: 'New metric' })).toHaveCount(0);
  await expect(page.getByRole('switch')).toHaveCount(0);
  const row = page.getByTestId('metric-row-purchases');
  await expect(row).toContainText('On');

  await row.getByRole('link', { name: 'View definition of Purchases' }).click();
  await expect(page).toHaveURL(/\/metrics\/purchases\/edit$/);
  await expect(page.getByTestId('read-only-note')).toHaveText(
    'Only editors can change metric definitions.',
  );
  await expect(page.getByLabel('Name', { exact: true })).toBeDisabled();
  await expect(page.getByRole('button', { name: 'Save changes' })).toBeDisabled();

  await page.goto('/metrics/new');
  await expect(page.getByTestId('editor-refusal')).toContainText('Only editors can create');

  const origin = new URL(page.url()).origin;
  const create = await page.request.post('/api/metrics', {
    headers: { origin },
    data: { key: 'viewer_metric', name: 'Nope', kind: 'count', eventType: 'purchase' },
  });
  expect(create.status()).toBe(403);
  expect(((await create.json()) as { error: string }).error).toBe('This needs the editor role.');
  const pause = await page.request.patch('/api/metrics/purchases', {
    headers: { origin },
    data: { enabled: false },
  });
  expect(pause.status()).toBe(403);
  const list = await page.request.get('/api/metrics');
  expect(list.status()).toBe(200);
  const body = (await list.json()) as { metrics: { key: string; enabled: boolean }[] };
  expect(body.metrics.find((m) => m.key === 'purchases')?.enabled).toBe(true);
  expect(body.metrics.some((m) => m.key === 'viewer_metric')).toBe(false);
});

test('an editor splits a metric by region: a series per top region appears in its board card', async ({
  page,
}) => {
  addUser({ username: 'sam', password: 'metrics-splitter-1' }, 'editor');
  await signInQuickly(page, { username: 'sam', password: 'metrics-splitter-1' });
  await page.goto('/metrics/new');
  const form = new DefinitionFormPage(page);
  await form.field('Key').fill('orders_by_region');
  await form.field('Name').fill('Orders');
  await page.getByRole('radio', { name: /Count/ }).check();
  await form.field('Event type').fill('purchase');

  // Too many values: the message shows beside the field.
  await form.field('Split by dimension').fill('region');
  await form.field('Values with their own series').fill('51');
  await page.getByRole('button', { name: 'Create metric' }).click();
  await expect(form.error('splitDim')).toHaveText('Split into 1 to 50 values.');
  await expect(form.field('Split by dimension')).toBeFocused();

  // What the split costs, in words: how many series, and the thresholds each alerts at.
  await form.field('Values with their own series').fill('3');
  await expect(page.getByTestId('split-summary')).toContainText('At most 4 series');
  await expect(page.getByTestId('split-summary')).toContainText(
    /alerts at \|z\| ≥ 3\.\d+ \(warn\)/,
  );
  await page.getByRole('button', { name: 'Create metric' }).click();
  await expect(page).toHaveURL(/\/metrics\?saved=orders_by_region$/);
  const row = page.getByTestId('metric-row-orders_by_region');
  await expect(row).toContainText('alerting per region (top 3 values and the rest)');

  // Within a window or two the detector names the top regions; the card lists their series.
  await page.goto('/');
  const card = page.getByTestId('metric-card-orders_by_region');
  const series = card.getByTestId('split-series-orders_by_region');
  await expect(series).toContainText('Per region: 4 series', { timeout: 45_000 });
  await series.locator('summary').click();
  await expect(series.getByRole('link', { name: 'region: other' })).toBeVisible();
  await expect(series.getByRole('link', { name: /^region=/ })).toHaveCount(3);
  // The series are not cards of their own.
  await expect(page.locator('[data-testid^="metric-card-orders_by_region."]')).toHaveCount(0);

  // A series opens its own page; its thresholds follow the split metric and cannot be saved.
  await series.getByRole('link', { name: 'region: other' }).click();
  await expect(page).toHaveURL(/\/metrics\/orders_by_region\.0/);
  await page.goto('/metrics/orders_by_region.0/thresholds');
  await expect(page.getByTestId('read-only-note')).toContainText('one series of a split metric');
  const refused = await page.request.patch('/api/metrics/orders_by_region.0', {
    headers: { origin: new URL(page.url()).origin },
    data: { enabled: false },
  });
  expect(refused.status()).toBe(409);
});
