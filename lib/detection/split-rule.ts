/**
 * The rule of one series of a split metric (a metric alerted per value of a dimension,
 * lib/metrics/split.ts). Each series is scored like a metric, so a split into n series would
 * raise n times the false alerts of one metric if every series kept the parent's thresholds.
 * The split as a whole is held to one metric's budget instead: each series' thresholds are
 * raised so that the chance that a quiet series crosses one is 1/n of the chance the parent's
 * thresholds give (a Bonferroni correction on the normal tail the z-score assumes). The
 * parent's total keeps its own rule.
 */
import type { AlertRule } from '@/lib/types';
import { normalQuantile, normalTail } from './normal';

/** |z| whose tail is 1/n of |z|'s: the threshold one of n series needs for the same budget. */
export function correctedZ(z: number, n: number): number {
  if (n <= 1 || !Number.isFinite(z) || z <= 0) return z;
  const p = normalTail(z) / n;
  // Past the double's range the tail is 0: keep the threshold rather than return Infinity.
  if (!(p > 0)) return z;
  return Math.max(z, -normalQuantile(p));
}

/**
 * The rule each of `seriesCount` series of a split uses: the parent's, with warn and critical
 * thresholds corrected for the number of series (rounded up to 0.01, so the form shows what
 * the detector uses). One series, or none, keeps the parent's rule.
 */
export function splitSeriesRule(parent: AlertRule, seriesCount: number): AlertRule {
  const up = (x: number) => Math.ceil(x * 100 - 1e-9) / 100;
  if (seriesCount <= 1) return { ...parent };
  return {
    ...parent,
    warnZ: up(correctedZ(parent.warnZ, seriesCount)),
    criticalZ: up(correctedZ(parent.criticalZ, seriesCount)),
  };
}
