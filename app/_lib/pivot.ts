/**
 * Pivot links of the drill-down: from a dimension value (or a conjunction of them) to the
 * metric's explore page filtered to that slice, over a range around the anomaly. Pure.
 *
 * Dimension names and values are event data, anything at all: the href is built by
 * exploreHref (lib/explore/view-state.ts), which percent-encodes every parameter, and the link's
 * accessible name has its controls made visible (revealControls), as any attribute must.
 */
import { revealControls } from '@/lib/text/output';
import { MISSING } from '@/lib/rca/types';
import {
  MAX_FILTERS,
  exploreHref,
  isDimensionName,
  isDimensionValue,
  rangeAround,
} from '@/lib/explore/view-state';
import type { RangeSpec } from '@/lib/explore/time-range';

/** The value that collects what is beyond a dimension's cardinality limit (not a real value). */
export const OTHER_VALUE = '(other)';

export interface AnomalySpan {
  firstWindow: number;
  lastWindow: number;
  windowMs: number;
  updatedAt: number;
  points: readonly { windowStart: number }[];
}

/**
 * The range of every pivot link of an anomaly: around its windows (rangeAround). The "now" it
 * stops at is the latest the data knows — its latest point, its last change — not the clock, so
 * the server and the browser write the same href; an open anomaly's range reaches its latest
 * point.
 */
export function pivotRange(span: AnomalySpan): RangeSpec {
  const lastWindowEnd = span.lastWindow + span.windowMs;
  const latestPoint = span.points.reduce(
    (latest, p) => Math.max(latest, p.windowStart + span.windowMs),
    lastWindowEnd,
  );
  return rangeAround(span.firstWindow, lastWindowEnd, Math.max(latestPoint, span.updatedAt));
}

/**
 * The explore page's href for the slice `filter` (dim → value), or null when the slice is not
 * one the explore page can filter on: "(other)" and "(none)" stand for many values or none,
 * and a name or value the event contract would refuse (or too many dimensions) could never
 * match.
 */
export function pivotHref(
  metricKey: string,
  filter: Readonly<Record<string, string>>,
  range: RangeSpec,
): string | null {
  const entries = Object.entries(filter);
  if (entries.length === 0 || entries.length > MAX_FILTERS) return null;
  const filterable = entries.every(
    ([dim, value]) =>
      value !== OTHER_VALUE && value !== MISSING && isDimensionName(dim) && isDimensionValue(value),
  );
  return filterable ? exploreHref(metricKey, { filter: { ...filter }, range }) : null;
}

/** "Show Purchases for region=eu-west AND device=android", controls made visible. */
export function pivotLabel(metricName: string, filter: Readonly<Record<string, string>>): string {
  const slice = Object.entries(filter)
    .map(([dim, value]) => `${dim}=${value}`)
    .join(' AND ');
  return revealControls(`Show ${metricName} for ${slice}`);
}
