/**
 * Integration-test helper: the default metrics with a baseline short enough for a test's few
 * minutes of history to fill. A test feeds 10–20 windows before its incident; with the default
 * 30-window baseline the detector would still be learning then and widen σ
 * (lib/detection/zscore.ts, learningWidening), as it should for a metric that young.
 */
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import type { Db } from '@/db/client';
import { metrics } from '@/db/schema';

/** The windows of baseline the test metrics get: the least history the tests feed first. */
export const TEST_BASELINE_WINDOWS = 12;

export async function ensureTestMetrics(
  db: Db,
  baselineWindows = TEST_BASELINE_WINDOWS,
): Promise<void> {
  await ensureDefaultMetrics(db);
  await db.update(metrics).set({ baselineWindows });
}
