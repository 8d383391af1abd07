/**
 * Which already-scored windows a rule would mark warn or critical: the quick marks on the
 * thresholds chart where the server's re-scored preview (POST /api/metrics/<key>/preview) is not
 * shown (viewers, or before it first answers). It reuses each window's stored expected value and σ,
 * so a change of the baseline is not reflected (that needs re-scoring on the server).
 */
import { severityOf } from '@/lib/detection/zscore';
import type { AlertRule, Severity } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';

/** The mark a window gets under `rule`: the detector's severity, if it would alert at all. */
export function markWindow(point: BoardPoint, rule: AlertRule): Severity | null {
  if (point.z === null || !Number.isFinite(point.z)) return null;
  // The detector scores neither learning windows nor those below the rule's minimum volume.
  if (point.status === 'learning') return null;
  if (point.volume < rule.minVolume) return null;
  return severityOf(point.z, rule);
}

export interface MarkCounts {
  /** Windows with a z (learning ones excepted). */
  scored: number;
  warn: number;
  critical: number;
}

export function countMarks(points: readonly BoardPoint[], rule: AlertRule): MarkCounts {
  const counts: MarkCounts = { scored: 0, warn: 0, critical: 0 };
  for (const p of points) {
    if (p.z === null || p.status === 'learning') continue;
    counts.scored += 1;
    const mark = markWindow(p, rule);
    if (mark) counts[mark] += 1;
  }
  return counts;
}
