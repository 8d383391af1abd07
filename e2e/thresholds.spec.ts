/**
 * The thresholds preview as an editor uses it: candidate settings are re-scored over the
 * stored history on the server, the count of would-alert windows and anomalies changes with
 * them and is compared with the saved settings, an invalid value is refused at its field, and
 * the new settings are saved with a request to re-score stored history. Uses the conversion
 * metric, which the other specs leave alone.
 */
import { expect, test, type Page } from '@playwright/test';
import { ADMIN, ThresholdsPage, signInQuickly } from './fixtures';

/** The number at the start of a preview count, e.g. "12 windows" → 12. */
async function countOf(page: Page, testId: string): Promise<number> {
  const text = (await page.getByTestId(testId).textContent()) ?? '';
  const match = /^(\d+)/.exec(text.trim());
  if (!match) throw new Error(`no count in ${testId}: ${text}`);
  return Number(match[1]);
}

/** Waits until the preview answers for the settings now in the form. */
async function previewSettled(page: Page) {
  await expect(page.getByTestId('preview-alerts')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('preview-state')).toBeEmpty();
}

test('an editor previews a rolling baseline with 2 consecutive windows, then saves it', async ({
  page,
}) => {
  await signInQuickly(page, ADMIN);
  const thresholds = new ThresholdsPage(page);
  await thresholds.open('conversion');
  const summary = page.getByTestId('rule-preview');

  // Enough scored history for a low threshold to make a difference (the simulator back-fills).
  await expect
    .poll(() => scoredWindows(page), { timeout: 90_000, intervals: [5_000] })
    .toBeGreaterThanOrEqual(10);

  // With the saved settings first: the preview re-scores the stored windows on the server.
  await page.reload();
  await previewSettled(page);
  await expect(summary).toContainText('With the current settings');
  // A new metric's baseline is automatic: the page says what the detector found in the few
  // minutes of history there are (no season), and the preview which baseline that meant.
  await expect(thresholds.field('Baseline')).toHaveValue('auto');
  await expect(page.getByTestId('detected-season')).toContainText(
    'No daily or weekly season detected',
  );
  await expect(page.getByTestId('preview-baseline')).toHaveText(
    'Latest window: robust (no daily or weekly season detected).',
  );

  // A much lower threshold alerts on many more windows than the saved settings (same answer).
  await thresholds.field('Warn z').fill('0.3');
  await thresholds.field('Critical z').fill('0.6');
  await expect(summary).toContainText('With these settings');
  await previewSettled(page);
  const current = page.getByTestId('preview-current');
  await expect(current).toContainText('The saved settings:');
  const savedCount = Number(/: (\d+) window/.exec((await current.textContent()) ?? '')?.[1]);
  expect(await countOf(page, 'preview-alerts')).toBeGreaterThan(savedCount);

  // Try the rolling mean instead, with one window opening an anomaly.
  await thresholds.field('Baseline').selectOption('rolling');
  await thresholds.field('Consecutive windows').fill('1');
  await previewSettled(page);
  const anomaliesWithOne = await countOf(page, 'preview-anomalies');

  // An invalid value is refused at its field and holds the preview back.
  await thresholds.field('Consecutive windows').fill('0');
  await thresholds.field('Consecutive windows').blur();
  await expect(page.locator('#consecutiveWindows-error')).toHaveText(
    'Consecutive windows must be between 1 and 60.',
  );
  await expect(page.getByTestId('preview-state')).toHaveText(
    'Fix the highlighted fields to update the preview.',
  );

  // Two windows in a row before an anomaly opens: never more anomalies than with one.
  await thresholds.field('Consecutive windows').fill('2');
  await previewSettled(page);
  expect(await countOf(page, 'preview-anomalies')).toBeLessThanOrEqual(anomaliesWithOne);

  // Back to the usual thresholds, keep rolling and 2 windows, and save with a re-score.
  await thresholds.field('Warn z').fill('3');
  await thresholds.field('Critical z').fill('5');
  await previewSettled(page);
  await page.getByLabel('Re-score stored history with the new settings').check();
  await thresholds.save();
  await expect(page.getByTestId('save-status')).toContainText(
    'Saved. Applies from the next window',
  );
  await expect(page.getByTestId('save-status')).toContainText('will be re-scored');
  // Saved: the preview now describes the current settings again.
  await expect(summary).toContainText('With the current settings');

  await page.reload();
  await expect(thresholds.field('Baseline')).toHaveValue('rolling');
  await expect(thresholds.field('Consecutive windows')).toHaveValue('2');
  await expect(thresholds.field('Warn z')).toHaveValue('3');
});

/** Scored windows (with a z) in the stored history the preview covers, asked of the API. */
async function scoredWindows(page: Page): Promise<number> {
  const res = await page.request.post('/api/metrics/conversion/preview', {
    headers: { origin: new URL(page.url()).origin },
    data: {
      rule: {
        warnZ: 3,
        criticalZ: 5,
        direction: 'both',
        minVolume: 20,
        baselineWindows: 20,
        baseline: 'rolling',
        season: 'day',
        sigmaFloor: 0,
        consecutiveWindows: 1,
        resolveAfter: 2,
      },
    },
  });
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { candidate: { counts: { scored: number } } };
  return body.candidate.counts.scored;
}
