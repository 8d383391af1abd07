/**
 * The split-metric evaluation in its quick form (CI): a drop confined to one small region is
 * found by the region's series, not by the total it barely moves, and quiet traffic raises no
 * more alerts on the corrected series than on the same series with the parent's thresholds.
 * The full run (`npm run eval`) reports the figures in docs/detection-quality.md.
 */
import { describe, expect, it } from 'vitest';
import { runSplitSuite, splitFigures, splitReport } from './split-suite';

describe('split metrics, quick evaluation', () => {
  it('finds small-region drops the total misses, within the false-alert budget', async () => {
    const result = await runSplitSuite({ seed: 1, quick: true });
    const f = splitFigures(result);
    expect(f.incidents).toBe(3);
    // Floors: every drop found by its series within two windows. The total's threshold test
    // misses them (under 3σ of the total); its slice drift test (lib/detection/slice-drift)
    // may find them, but never before the region's own series does.
    expect(f.seriesRecall).toBe(1);
    expect(f.medianDetectWindows).toBeLessThanOrEqual(2);
    expect(f.medianTotalSigmas).toBeLessThan(3);
    for (const i of result.incidents) {
      if (i.totalDetectWindows === null) continue;
      expect(i.seriesDetectWindows).not.toBeNull();
      expect(i.seriesDetectWindows!).toBeLessThanOrEqual(i.totalDetectWindows);
    }
    expect(result.quiet.seriesAlerts).toBeLessThanOrEqual(result.quiet.uncorrectedAlerts);
    expect(result.seriesRule.warnZ).toBeGreaterThan(3);
    expect(splitReport(result)).toContain('Found by the region');
  }, 120_000);
});
