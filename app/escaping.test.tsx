/**
 * Event data is attacker-controlled: dimension values, event types and the sentences built
 * from them must reach the page as text, never as markup. Server-renders the board and the
 * drill-down with hostile values and checks the HTML.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { AnomalyDetail, Board } from '@/lib/views';
import { DEFAULT_RULE } from '@/lib/types';
import { AnomalyView } from './anomalies/[id]/anomaly-view';
import { LiveBoard } from './live-board';

vi.mock('next/navigation', () => ({
  useRouter: () => ({ replace: () => undefined, push: () => undefined, refresh: () => undefined }),
  usePathname: () => '/',
}));

const EVIL = '<img src=x onerror="alert(1)"><script>alert(2)</script>';
const user = { username: 'ana', role: 'viewer' as const };
const now = Date.UTC(2026, 10, 22, 12);

const contributor = {
  dim: `region${EVIL}`,
  value: EVIL,
  actual: 1,
  expected: 10,
  deviation: -9,
  share: 0.9,
  z: -6,
  volume: 1,
};

const anomaly = {
  id: 7,
  metricId: 1,
  metricKey: 'purchases',
  metricName: `Purchases${EVIL}`,
  unit: '',
  status: 'open' as const,
  severity: 'critical' as const,
  direction: 'down' as const,
  firstWindow: now,
  lastWindow: now,
  peakWindow: now,
  value: 1,
  expected: 10,
  z: -6,
  sentence: `region=${EVIL} accounts for 90% of the drop`,
  updatedAt: now,
  revisions: 0,
  acknowledged: { by: `ack${EVIL}`, at: now },
  snoozedUntil: now + 3_600_000,
  verdict: { value: 'false_positive' as const, by: `judge${EVIL}`, at: now },
  resolvedBy: null,
};

function expectNoMarkupFromData(html: string) {
  expect(html).not.toContain('<img');
  expect(html).not.toContain('<script');
  expect(html).toContain('&lt;img src=x onerror=');
}

describe('event data is rendered as text', () => {
  it('on the board', () => {
    const board: Board = {
      windowMs: 60_000,
      lastAnomalyId: 7,
      anomalies: [anomaly],
      metrics: [
        {
          id: 1,
          key: 'purchases',
          name: `Purchases${EVIL}`,
          kind: 'count',
          unit: '',
          enabled: true,
          rule: DEFAULT_RULE,
          points: [],
        },
      ],
    };
    expectNoMarkupFromData(renderToStaticMarkup(<LiveBoard initial={board} user={user} />));
  });

  it('in the drill-down', () => {
    const detail: AnomalyDetail = {
      ...anomaly,
      kind: 'count',
      windowMs: 60_000,
      points: [],
      injected: [
        {
          scenario: EVIL,
          description: EVIL,
          metricKey: 'purchases',
          rootCause: { region: EVIL },
          startsAt: now,
          endsAt: now + 60_000,
        },
      ],
      explanation: {
        sentence: anomaly.sentence,
        top: [contributor],
        dimensions: { [contributor.dim]: [contributor] },
      },
    };
    const history = [
      { id: 1, action: 'snooze' as const, at: now, by: `who${EVIL}`, note: EVIL, until: now + 1 },
    ];
    const html = renderToStaticMarkup(
      <AnomalyView initial={detail} user={user} history={history} />,
    );
    expectNoMarkupFromData(html);
    expect(html).toContain('Acknowledged by ack&lt;img');
    expect(html).toContain('<q');
  });

  it('in the drill-down, a viewer is offered no actions', () => {
    const detail: AnomalyDetail = {
      ...anomaly,
      acknowledged: null,
      snoozedUntil: null,
      verdict: null,
      kind: 'count',
      windowMs: 60_000,
      points: [],
      injected: [],
      explanation: { sentence: anomaly.sentence, top: [], dimensions: {} },
    };
    const asViewer = renderToStaticMarkup(<AnomalyView initial={detail} user={user} />);
    expect(asViewer).not.toContain('data-testid="actions-bar"');
    const asEditor = renderToStaticMarkup(
      <AnomalyView initial={detail} user={{ username: 'ed', role: 'editor' }} />,
    );
    expect(asEditor).toContain('data-testid="actions-bar"');
    expect(asEditor).toContain('>Acknowledge<');
  });
});
