/**
 * A metric's value in its unit, for people: the board, the drill-down, explanations. Free of
 * validation code, so the browser bundle that formats values carries nothing else.
 */
import type { MetricDefinition } from '@/lib/types';

/** Fixed locale so that server and browser render the same text; never shows "-0". */
function numberFormat(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return new Intl.NumberFormat('en-US', { signDisplay: 'negative', ...options });
}

const integer = numberFormat({ maximumFractionDigits: 0 });
const decimal = numberFormat({ maximumFractionDigits: 2 });
const percent = numberFormat({ minimumFractionDigits: 2, maximumFractionDigits: 2 });
const dollars = numberFormat({
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 0,
  maximumFractionDigits: 0,
});

/**
 * Formats a value for display in `unit` (en-US): '%' → the fraction as a percent with 2 decimals; 'ms' → whole milliseconds; '$' → whole
 * dollars; '' → integer when `integer` is set, else up to 2 decimals; any other unit is appended.
 * Null or non-finite values show as '—'.
 */
export function formatValue(
  value: number | null,
  unit: string,
  options?: { integer?: boolean },
): string {
  if (value === null || !Number.isFinite(value)) return '—';
  switch (unit) {
    case '%':
      return `${percent.format(value * 100)}%`;
    case 'ms':
      return `${integer.format(value)} ms`;
    case '$':
      return dollars.format(value);
    default: {
      const text = (options?.integer ? integer : decimal).format(value);
      return unit ? `${text} ${unit}` : text;
    }
  }
}

/** Formats a metric's value for display: counts as integers, otherwise by the metric's unit. */
export function formatMetricValue(
  metric: Pick<MetricDefinition, 'kind' | 'unit'>,
  value: number | null,
): string {
  return formatValue(value, metric.unit, { integer: metric.kind === 'count' });
}
