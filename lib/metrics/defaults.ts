import type { MetricDefinition } from '@/lib/types';

/** The metrics a fresh installation starts with, matching the simulator's events. */
export function defaultMetrics(): Omit<MetricDefinition, 'id'>[] {
  const base = {
    measure: null,
    denominatorEventType: null,
    extraEventTypes: [],
    filters: {},
    windowMultiple: 1,
    unit: '',
    enabled: true,
  };
  return [
    { ...base, key: 'purchases', name: 'Purchases', kind: 'count', eventType: 'purchase' },
    {
      ...base,
      key: 'conversion',
      name: 'Conversion',
      kind: 'ratio',
      eventType: 'purchase',
      denominatorEventType: 'session_start',
      unit: '%',
    },
    {
      ...base,
      key: 'error_rate',
      name: 'Error rate',
      kind: 'ratio',
      eventType: 'error',
      denominatorEventType: 'api_request',
      unit: '%',
    },
    {
      ...base,
      key: 'api_latency',
      name: 'API latency',
      kind: 'avg',
      eventType: 'api_request',
      measure: 'latency_ms',
      unit: 'ms',
    },
    {
      ...base,
      key: 'revenue',
      name: 'Revenue',
      kind: 'sum',
      eventType: 'purchase',
      measure: 'revenue',
      unit: '$',
    },
  ];
}
