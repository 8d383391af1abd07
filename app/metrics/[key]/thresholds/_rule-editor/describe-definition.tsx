/** The page's one-line account of what the metric measures, with its event types as code. */
import type { MetricDefinition } from '@/lib/types';

export function describeDefinition(metric: MetricDefinition) {
  switch (metric.kind) {
    case 'count':
      return (
        <>
          Number of <code>{metric.eventType}</code> events per window.
        </>
      );
    case 'sum':
      return (
        <>
          Sum of <code>{metric.measure ?? '?'}</code> over <code>{metric.eventType}</code> events
          per window.
        </>
      );
    case 'avg':
      return (
        <>
          Average <code>{metric.measure ?? '?'}</code> of <code>{metric.eventType}</code> events per
          window.
        </>
      );
    case 'ratio':
      return (
        <>
          <code>{metric.eventType}</code> events ÷ <code>{metric.denominatorEventType ?? '?'}</code>{' '}
          events per window.
        </>
      );
  }
}
