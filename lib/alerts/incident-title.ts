/**
 * An incident's title, pure: the shared cause, then each metric's change in its own unit —
 * "region=eu-west: Purchases −58%, Revenue −62%, Conversion −8 pts". Counts, sums and averages
 * change in percent of the expected value; ratios shown in '%' change in percentage points (a
 * conversion from 12% to 4% is −8 pts, not −67%), other ratios by the difference in their unit
 * (lib/metrics/units.ts formatValue). Plain text with names people typed: render it as text.
 */
import { sliceText, type Slice } from './incidents';
import type { AnomalyStatus } from './workflow';
import { formatValue } from '@/lib/metrics/units';
import type { MetricDefinition } from '@/lib/types';

/** One anomaly of the incident as the title reads it: its value and expected value at its peak. */
export interface TitleEntry {
  metric: Pick<MetricDefinition, 'id' | 'name' | 'kind' | 'unit'>;
  value: number;
  expected: number;
  status?: AnomalyStatus;
}

/** Metrics named in a title; more are counted ("and 2 more"). */
export const TITLE_METRICS = 4;

const MINUS = '−';

/** A signed figure: whole from 10 on, at most one decimal below (8, not 8.0); '−' (U+2212) for minus. */
function signed(x: number, suffix: string): string {
  const abs = Math.abs(x);
  const digits = abs >= 10 ? 0 : 1;
  const rounded = Number(abs.toFixed(digits));
  if (rounded === 0) return `0${suffix}`;
  const text = String(rounded);
  return `${x > 0 ? '+' : MINUS}${text}${suffix}`;
}

/**
 * A metric's change from `expected` to `value` in its unit: "−58%", "+120%", "−8 pts", or the
 * difference in the unit ("+0.12", "−$40") when a percentage is undefined (expected 0) or the
 * metric is a ratio not shown in '%'. '—' when a value is not finite.
 */
export function formatChange(
  metric: Pick<MetricDefinition, 'kind' | 'unit'>,
  value: number,
  expected: number,
): string {
  if (!Number.isFinite(value) || !Number.isFinite(expected)) return '—';
  const delta = value - expected;
  if (metric.kind === 'ratio') {
    if (metric.unit === '%') return signed(delta * 100, ' pts');
  } else if (expected !== 0) {
    return signed((delta / Math.abs(expected)) * 100, '%');
  }
  const text = formatValue(Math.abs(delta), metric.unit, { integer: metric.kind === 'count' });
  if (delta === 0) return text;
  return `${delta > 0 ? '+' : MINUS}${text}`;
}

/**
 * The title of an incident: `cause` (its shared cause, null for none) then each metric's change,
 * one per metric in the order the metrics first appear in `entries` (the anomalies in the order
 * they opened), the last entry of a metric giving its change. Withdrawn anomalies are left out.
 */
export function incidentTitle(cause: Slice | null, entries: readonly TitleEntry[]): string {
  const byMetric = new Map<number, TitleEntry>();
  for (const entry of entries) {
    if (entry.status === 'withdrawn') continue;
    if (byMetric.has(entry.metric.id)) byMetric.delete(entry.metric.id);
    byMetric.set(entry.metric.id, entry);
  }
  // Keep each metric where it first appeared, with its last entry.
  const order: number[] = [];
  for (const entry of entries) {
    if (entry.status !== 'withdrawn' && !order.includes(entry.metric.id)) {
      order.push(entry.metric.id);
    }
  }
  const parts = order.map((id) => {
    const e = byMetric.get(id)!;
    return `${e.metric.name} ${formatChange(e.metric, e.value, e.expected)}`;
  });
  const shown = parts.slice(0, TITLE_METRICS);
  if (parts.length > TITLE_METRICS) shown.push(`and ${parts.length - TITLE_METRICS} more`);
  const changes = shown.join(', ');
  const prefix = cause && Object.keys(cause).length > 0 ? sliceText(cause) : '';
  if (!prefix) return changes;
  return changes ? `${prefix}: ${changes}` : prefix;
}
