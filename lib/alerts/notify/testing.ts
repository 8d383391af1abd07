/**
 * Incidents for the notify tests (imported by tests only): a realistic one, and hostile event
 * data to put in it.
 */
import type { AnomalySnapshot, IncidentSnapshot } from './types';

export const T0 = Date.UTC(2026, 0, 15, 12);

export function anomaly(over: Partial<AnomalySnapshot> & { key?: string } = {}): AnomalySnapshot {
  const { key = 'purchases', ...rest } = over;
  return {
    id: 101,
    metric: { key, name: key.charAt(0).toUpperCase() + key.slice(1), unit: '' },
    severity: 'critical',
    value: 1250,
    expected: 2980,
    change: 1250 / 2980 - 1,
    windowStart: T0 - 60_000,
    windowEnd: T0,
    ...rest,
  };
}

export function incidentSnapshot(over: Partial<IncidentSnapshot> = {}): IncidentSnapshot {
  return {
    id: 42,
    title: 'region=eu-west: Purchases −58%, Revenue −62%, Conversion −8 pts',
    status: 'open',
    severity: 'critical',
    cause: [{ dimension: 'region', value: 'eu-west' }],
    anomalies: [
      anomaly(),
      anomaly({
        id: 102,
        key: 'revenue',
        value: 41_000,
        expected: 108_000,
        change: 41_000 / 108_000 - 1,
      }),
      {
        ...anomaly({ id: 103, key: 'conversion', severity: 'warn', value: 0.021, expected: 0.029 }),
        metric: { key: 'conversion', name: 'Conversion', unit: '%' },
        change: 0.021 / 0.029 - 1,
      },
    ],
    openedAt: T0,
    acknowledgedAt: null,
    acknowledgedBy: null,
    resolvedAt: null,
    snoozedUntil: null,
    link: 'https://pulse.example.com/incidents/42',
    ...over,
  };
}

/** Dimension values an attacker can send as event data. */
export const HOSTILE_VALUES = [
  '<script>alert(1)</script>',
  '<!channel> <!here> <@U123ABC>',
  '<https://evil.example|click me>',
  '*bold* _italic_ ~strike~ `code` ```block```',
  '&lt;!channel&gt; &amp;',
  'gnp.\u202eexe',
  'a\u2066b\u2069c',
  'line\nbreak\r\nSubject: injected',
  '\u0000\u001b[31mred\u009b',
  '"quotes" \'single\' </td></tr>',
  '🙂'.repeat(3000),
  'x'.repeat(10_000),
  '\ud800 lone surrogate',
];
