/**
 * Event data is attacker-controlled: dimension values, event types and the sentences built
 * from them must reach the page as text, never as markup; and names and values holding bidi
 * overrides must not disguise what is shown: each is isolated (`<bdi>`) with its overrides made
 * visible (`⟨U+202E⟩`). Server-renders the board, the drill-down, the metrics list and the API
 * keys with hostile values and checks the HTML.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, vi } from 'vitest';
import type { ApiKeyView } from '@/lib/auth/api-keys';
import type { AnomalyDetail, Board, MetricListItem } from '@/lib/views';
import { DEFAULT_RULE } from '@/lib/types';
import { ApiKeysView } from './admin/api-keys/api-keys-view';
import { AnomalyView } from './anomalies/[id]/anomaly-view';
import { LiveBoard } from './live-board';
import { MetricsList } from './metrics/metrics-list';

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
  incidentId: null,
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
          series: null,
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
    expect(html).toContain('Acknowledged by <bdi>ack&lt;img');
    expect(html).toContain('<q');
  });

  it("in the incidents: the title, names, channels and receivers' errors", () => {
    const member = { ...anomaly, incidentId: 3 };
    const incident = {
      id: 3,
      title: `region=${EVIL}: Purchases −58%`,
      status: 'open' as const,
      severity: 'critical' as const,
      cause: { region: EVIL },
      openedAt: now,
      firstWindow: now,
      lastWindow: now,
      acknowledged: { by: `ack${EVIL}`, at: now },
      snoozedUntil: null,
      resolvedAt: null,
      silenced: true,
      silencedUntil: now + 60_000,
      updatedAt: now,
      anomalies: [member, { ...member, id: 8 }],
    };
    const board: Board = { windowMs: 60_000, lastAnomalyId: 8, anomalies: [], metrics: [] };
    const onBoard = renderToStaticMarkup(
      <LiveBoard
        initial={board}
        incidents={[incident]}
        user={{ username: 'ed', role: 'editor' }}
      />,
    );
    expectNoMarkupFromData(onBoard);
    expect(onBoard).toContain('data-testid="incident-3"');
    expect(onBoard).toContain('<bdi dir="ltr" data-testid="incident-title">region=&lt;img');
    expect(onBoard).toContain('Acknowledged by <bdi>ack&lt;img');
    expect(onBoard).toContain('data-testid="incident-silenced"');
    expect(onBoard).toContain('>Resolve…<');

    const detail: AnomalyDetail = {
      ...member,
      kind: 'count',
      windowMs: 60_000,
      points: [],
      injected: [],
      explanation: { sentence: anomaly.sentence, top: [], dimensions: {} },
    };
    const log = {
      ...incident,
      notifications: [
        {
          id: 1,
          kind: 'open' as const,
          key: 'pulse-3-1-open',
          severity: 'critical' as const,
          createdAt: now,
          deliveries: [
            {
              channelId: `pager${EVIL}`,
              channelType: 'webhook' as const,
              target: `https://${EVIL}`,
              status: 'failed' as const,
              attempts: 3,
              lastError: `HTTP 500: ${EVIL}`,
              deliveredAt: null,
              nextAttemptAt: null,
              lastAttemptAt: now,
              lastStatusCode: 500,
            },
          ],
        },
      ],
    };
    const drill = renderToStaticMarkup(<AnomalyView initial={detail} user={user} incident={log} />);
    expectNoMarkupFromData(drill);
    expect(drill).toContain('data-testid="sibling-8"');
    expect(drill).toContain('<bdi>pager&lt;img');
    expect(drill).toContain('500 · <bdi>HTTP 500: &lt;img');
    // A viewer sees the incident, not its buttons.
    expect(drill).not.toContain('data-testid="incident-actions"');
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

/** Every bidi embedding, override and isolate: none may reach the page as such. */
// eslint-disable-next-line no-control-regex
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069\u0000-\u0008\u001b]/;
/** What is shown: test ids (hooks for tests, never displayed) keep the data as it is. */
const shown = (html: string) => html.replace(/ data-testid="[^"]*"/g, '');
/** Right-to-left override: "invoice", RLO, "gnp.exe" is shown as "invoiceexe.png". */
const RLO = '\u202e';

describe('bidi controls in event data and names', () => {
  const spoofed = {
    ...anomaly,
    metricName: `Purchases${RLO}kcab`,
    sentence: `region=${RLO}ue accounts for 90% of the drop`,
    acknowledged: { by: `ana${RLO}`, at: now },
    verdict: { value: 'false_positive' as const, by: `judge\u2067x\u2069`, at: now },
  };

  it('on the board: names and sentences are isolated, overrides visible', () => {
    const board: Board = {
      windowMs: 60_000,
      lastAnomalyId: 7,
      anomalies: [spoofed],
      metrics: [
        {
          id: 1,
          key: 'purchases',
          name: `Purchases${RLO}kcab`,
          kind: 'count',
          unit: '',
          enabled: true,
          rule: DEFAULT_RULE,
          points: [],
          series: null,
        },
      ],
    };
    const html = renderToStaticMarkup(<LiveBoard initial={board} user={user} />);
    expect(shown(html)).not.toMatch(BIDI_CONTROL);
    expect(html).toContain('<bdi>Purchases⟨U+202E⟩kcab</bdi>');
    expect(html).toContain(
      '<bdi dir="ltr" class="alert-sentence">region=⟨U+202E⟩ue accounts for 90% of the drop</bdi>',
    );
    expect(html).toContain('Acknowledged by <bdi>ana⟨U+202E⟩</bdi>');
    expect(html).toContain('title="Marked false positive by judge⟨U+2067⟩x⟨U+2069⟩"');
  });

  it('in the drill-down: every dimension name and value, the root cause, the note', () => {
    const value = `${RLO}gnp.exe`;
    const c = { ...contributor, dim: `reg\u2066ion`, value };
    // A value the explore page can filter on: a pivot link, its href encoded, its name revealed.
    const linked = { ...contributor, dim: 'region', value: `${RLO}ue"><script>x</script>` };
    const detail: AnomalyDetail = {
      ...spoofed,
      kind: 'count',
      windowMs: 60_000,
      points: [],
      injected: [],
      explanation: {
        sentence: spoofed.sentence,
        top: [c, linked],
        dimensions: { [c.dim]: [c], region: [linked] },
        rootCause: {
          set: [{ [c.dim]: value, device: 'ios\u200f' }],
          candidates: [{ elements: { [c.dim]: value }, explains: 0.9, score: 1 }],
          sentence: `reg\u2066ion=${value}`,
        },
      },
    };
    const history = [
      {
        id: 1,
        action: 'resolve' as const,
        at: now,
        by: `ed${RLO}`,
        note: `restarted\nthe node${RLO}`,
        until: null,
      },
    ];
    const html = renderToStaticMarkup(
      <AnomalyView initial={detail} user={user} history={history} />,
    );
    expect(shown(html)).not.toMatch(BIDI_CONTROL);
    expect(html).toContain('<bdi>Purchases⟨U+202E⟩kcab</bdi>: critical drop');
    expect(html).toContain('<bdi dir="ltr">region=⟨U+202E⟩ue accounts for 90% of the drop</bdi>');
    // The contributors table, the breakdown's heading and the root-cause chip and candidates.
    expect(html).toContain('<td><bdi>reg⟨U+2066⟩ion</bdi></td>');
    expect(html).toContain('<td class="cell-value"><bdi>⟨U+202E⟩gnp.exe</bdi></td>');
    expect(html).toContain('<h3 class="card-title"><bdi>reg⟨U+2066⟩ion</bdi></h3>');
    expect(html).toContain(
      '<li class="cause-chip"><bdi>reg⟨U+2066⟩ion</bdi>=<bdi>⟨U+202E⟩gnp.exe</bdi> AND <bdi>device</bdi>=<bdi>ios\u200f</bdi></li>',
    );
    expect(html).toMatch(
      /<td class="cell-value"><bdi>reg⟨U\+2066⟩ion<\/bdi>=<bdi>⟨U\+202E⟩gnp\.exe/,
    );
    // The audit trail: who, and the note with its lines kept.
    expect(html).toContain('<strong><bdi>ed⟨U+202E⟩</bdi></strong>');
    expect(html).toMatch(/<q[^>]*><bdi>restarted\nthe node⟨U\+202E⟩<\/bdi><\/q>/);
    // Attributes cannot be isolated: there the overrides are visible too.
    expect(html).toContain('aria-label="Purchases⟨U+202E⟩kcab: value, expected value');
    // A set the slice drift test named says so, its sentence (event data) isolated.
    const named = renderToStaticMarkup(
      <AnomalyView
        initial={{
          ...detail,
          explanation: {
            ...detail.explanation,
            rootCause: {
              ...detail.explanation.rootCause!,
              namedBy: 'slice-drift',
              sentence: `region=${linked.value} has drifted down for 6 windows`,
            },
          },
        }}
        user={user}
        history={history}
      />,
    );
    expect(shown(named)).not.toMatch(BIDI_CONTROL);
    expect(named).toContain(
      'Named by the slice drift test: <bdi>region=⟨U+202E⟩ue&quot;&gt;&lt;script&gt;x&lt;/script&gt; has drifted down for 6 windows</bdi>',
    );
    expect(html).not.toContain('Named by the slice drift test');
    // A set named from a drift's whole span says so, in words that carry no event data.
    const spanned = renderToStaticMarkup(
      <AnomalyView
        initial={{
          ...detail,
          explanation: {
            ...detail.explanation,
            rootCause: { ...detail.explanation.rootCause!, namedBy: 'drift-span' },
          },
        }}
        user={user}
        history={history}
      />,
    );
    expect(spanned).toContain(
      'Named from all of the drift’s windows added up: this window’s change alone is too small to name a cause. The candidates below are from all of them too.',
    );
    expect(named).not.toContain('drift’s windows added up');
    expect(html).toContain('aria-label="Share of the drop by reg⟨U+2066⟩ion"');
    // Pivot links: the value travels percent-encoded in the href, its name shows the override.
    expect(html).toMatch(
      /href="\/metrics\/purchases\?from=\d+&amp;to=\d+&amp;filter=region:%E2%80%AEue%22%3E%3Cscript%3Ex%3C\/script%3E"/,
    );
    expect(html).toContain(
      'aria-label="Show Purchases⟨U+202E⟩kcab for region=⟨U+202E⟩ue&quot;&gt;&lt;script&gt;x&lt;/script&gt;"',
    );
    expect(html).toContain('<bdi>⟨U+202E⟩ue&quot;&gt;&lt;script&gt;x&lt;/script&gt;</bdi></a>');
    expect(html).not.toContain('<script');
  });

  it('in the metrics list: names and the filters in words', () => {
    const metric: MetricListItem = {
      id: 1,
      key: 'eu_purchases',
      name: `EU ${RLO}sesahcrup`,
      kind: 'count',
      eventType: 'purchase',
      extraEventTypes: [],
      measure: null,
      denominatorEventType: null,
      filters: { region: [`eu${RLO}`, 'us'] },
      windowMultiple: 1,
      unit: '',
      enabled: true,
      definitionUpdatedAt: null,
      rescoreFrom: null,
      last: null,
    };
    const html = renderToStaticMarkup(
      <MetricsList user={user} canEdit initial={[metric]} windowMs={60_000} saved="eu_purchases" />,
    );
    expect(shown(html)).not.toMatch(BIDI_CONTROL);
    expect(html).toContain('<div class="metric-list-name"><bdi>EU ⟨U+202E⟩sesahcrup</bdi></div>');
    expect(html).toContain('Saved <bdi>EU ⟨U+202E⟩sesahcrup</bdi>.');
    expect(html).toContain(
      '<bdi dir="ltr">Count of purchase events where region is eu⟨U+202E⟩ or us</bdi>',
    );
    expect(html).toContain('aria-label="Score EU ⟨U+202E⟩sesahcrup"');
  });

  it('in the API keys: names and who made or revoked them', () => {
    const key: ApiKeyView = {
      id: 1,
      name: `billing${RLO}gnp.exe`,
      prefix: 'pk_abcdefg',
      createdBy: `ana${RLO}`,
      createdAt: now,
      lastUsedAt: null,
      revokedAt: now,
      revokedBy: `root\u2068`,
    };
    const active = { ...key, id: 2, revokedAt: null, revokedBy: null };
    const admin = { username: `root${RLO}`, role: 'admin' as const };
    const html = renderToStaticMarkup(<ApiKeysView user={admin} initial={[key, active]} />);
    expect(shown(html)).not.toMatch(BIDI_CONTROL);
    expect(html).toContain('<td class="key-name"><bdi>billing⟨U+202E⟩gnp.exe</bdi></td>');
    expect(html).toContain('by <bdi>ana⟨U+202E⟩</bdi>');
    expect(html).toContain('by <bdi>root⟨U+2068⟩</bdi>');
    expect(html).toContain('aria-label="Revoke billing⟨U+202E⟩gnp.exe"');
    // The signed-in user's name in the header.
    expect(html).toContain('<bdi class="user-name">root⟨U+202E⟩</bdi>');
  });
});
