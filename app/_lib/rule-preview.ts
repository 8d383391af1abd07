/**
 * What a rule would have done to already-scored windows: the "see the effect before saving"
 * preview on the thresholds page. It reuses each window's stored expected value and σ, so a
 * change of the baseline length is not reflected (that needs re-scoring on the server).
 */
import type { AlertRule } from '@/lib/types';
import type { BoardPoint } from '@/lib/views';

export type PreviewMark = 'warn' | 'critical' | null;

export function wouldFire(point: BoardPoint, rule: AlertRule): PreviewMark {
  if (point.z === null || !Number.isFinite(point.z)) return null;
  if (point.status === 'learning') return null;
  if (point.volume < rule.minVolume) return null;
  const z =
    rule.direction === 'up' ? point.z : rule.direction === 'down' ? -point.z : Math.abs(point.z);
  if (z >= rule.criticalZ) return 'critical';
  if (z >= rule.warnZ) return 'warn';
  return null;
}

export interface PreviewSummary {
  scored: number;
  warn: number;
  critical: number;
}

export function previewRule(points: BoardPoint[], rule: AlertRule): PreviewSummary {
  const summary: PreviewSummary = { scored: 0, warn: 0, critical: 0 };
  for (const p of points) {
    if (p.z === null || p.status === 'learning') continue;
    summary.scored += 1;
    const mark = wouldFire(p, rule);
    if (mark) summary[mark] += 1;
  }
  return summary;
}
