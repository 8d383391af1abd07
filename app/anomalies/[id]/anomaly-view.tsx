'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { Fragment, useState } from 'react';
import { formatMetricValue } from '@/lib/metrics/units';
import type { RootCause } from '@/lib/types';
import type {
  AnomalyDetail,
  AnomalyEventView,
  AnomalySummary,
  IncidentDetail,
  InjectedIncident,
} from '@/lib/views';
import type { HeaderUser } from '../../_components/app-header';
import { DetailPage } from '../../_components/detail-page';
import { EventText } from '../../_components/event-text';
import { ContributionBars, MetricChart } from '../../_components/charts';
import { LifecycleMarks } from '../../_components/lifecycle-badges';
import { LifecycleBadge, RevisedBadge, SeverityBadge } from '../../_components/status-badge';
import { ClockTime, TimeAgo } from '../../_components/time-ago';
import { apiFetch, loginHref } from '../../_lib/api';
import { mergePoints } from '../../_lib/board-state';
import { SEVERITY_LABEL, formatShare, formatZ, revealControls } from '../../_lib/format';
import { usePulseSocket } from '../../_lib/use-pulse-socket';
import { DeliveryLog, IncidentCard, useIncidentDetail } from './incident-panel';
import { LifecyclePanel } from './lifecycle-panel';

const OTHER = '(other)';

const LIFECYCLE_NOTE = {
  open: ' · still open',
  resolved: ' · resolved',
  withdrawn: ' · withdrawn',
} as const;

export function AnomalyView({
  initial,
  user,
  history: initialHistory = [],
  incident: initialIncident = null,
}: {
  initial: AnomalyDetail;
  user: HeaderUser;
  /** The audit trail, newest first. */
  history?: AnomalyEventView[];
  /** Its incident with the siblings and the delivery log; null while it has none. */
  incident?: IncidentDetail | null;
}) {
  const router = useRouter();
  const [detail, setDetail] = useState(initial);
  const [history, setHistory] = useState(initialHistory);
  const incident = useIncidentDetail(initialIncident);
  const id = initial.id;
  // The API refuses viewers too; this only decides whether to offer the buttons.
  const canAct = user.role === 'editor' || user.role === 'admin';

  async function refreshHistory() {
    const result = await apiFetch<AnomalyEventView[]>(`/api/anomalies/${id}/history`);
    if (result.ok) setHistory(result.data);
  }

  async function refresh() {
    const result = await apiFetch<AnomalyDetail>(`/api/anomalies/${id}`);
    if (result.status === 401) {
      router.replace(loginHref(`/anomalies/${id}`));
      return;
    }
    if (!result.ok) return;
    const fresh = result.data;
    setDetail((current) => (fresh.updatedAt >= current.updatedAt ? fresh : current));
  }

  function applySummary(summary: AnomalySummary) {
    setDetail((current) =>
      summary.updatedAt >= current.updatedAt ? { ...current, ...summary } : current,
    );
  }

  /** Its incident: the one it belongs to now (placed by the detector within a poll). */
  const incidentId = incident.incident?.id ?? detail.incidentId;

  const connection = usePulseSocket(`anomaly:${id}`, {
    anomaly: (summary) => {
      if (summary.id !== id) return;
      applySummary(summary);
      void refresh(); // the explanation and the points travel by REST
      void refreshHistory(); // someone may have acted on it
      if (summary.incidentId !== null && summary.incidentId !== incident.incident?.id) {
        void incident.refresh(summary.incidentId); // placed in an incident since
      }
    },
    incident: (summary) => {
      if (!summary.anomalies.some((a) => a.id === id)) return;
      incident.apply(summary);
      void incident.refresh(summary.id); // the delivery log travels by REST
    },
    points: (update) => {
      const mine = update.points.filter((p) => p.metricId === detail.metricId);
      if (mine.length === 0) return;
      setDetail((current) => ({
        ...current,
        points: mergePoints(current.points, mine, current.windowMs, 240),
      }));
    },
    onConnect: () => {
      void refresh();
      void refreshHistory();
      if (incidentId !== null) void incident.refresh(incidentId);
    },
  });

  const metric = { kind: detail.kind, unit: detail.unit };
  const fmt = (v: number) => formatMetricValue(metric, v);
  const seconds = detail.windowMs < 60_000;
  const windows = Math.round((detail.lastWindow - detail.firstWindow) / detail.windowMs) + 1;
  const change = detail.direction === 'up' ? 'spike' : 'drop';
  const dimensions = Object.entries(detail.explanation.dimensions).filter(
    ([, list]) => list.length > 0,
  );
  const top = detail.explanation.top;
  const hasOther =
    top.some((c) => c.value === OTHER) ||
    dimensions.some(([, l]) => l.some((c) => c.value === OTHER));
  const deviation =
    detail.expected !== 0 ? (detail.value - detail.expected) / Math.abs(detail.expected) : null;

  return (
    <DetailPage user={user} connection={connection}>
      <header className="detail-head" data-testid="anomaly-header">
        <div className="detail-badges">
          <SeverityBadge severity={detail.severity} />
          <LifecycleBadge status={detail.status} />
          <RevisedBadge revisions={detail.revisions} />
          <LifecycleMarks anomaly={detail} />
          <span className={`direction direction-${detail.direction}`}>
            <span aria-hidden="true">{detail.direction === 'up' ? '▲' : '▼'}</span>{' '}
            {detail.direction === 'up' ? 'Up' : 'Down'}
          </span>
        </div>
        <h1 data-testid="anomaly-title">
          <EventText value={detail.metricName} />: {SEVERITY_LABEL[detail.severity].toLowerCase()}{' '}
          {change}
        </h1>
        <p className="muted detail-range" data-testid="anomaly-range">
          <ClockTime ms={detail.firstWindow} seconds={seconds} /> –{' '}
          <ClockTime ms={detail.lastWindow + detail.windowMs} seconds={seconds} /> · {windows}{' '}
          {windows === 1 ? 'window' : 'windows'} · started <TimeAgo ms={detail.firstWindow} />
          {LIFECYCLE_NOTE[detail.status]}
        </p>
        {detail.revisions > 0 && (
          <p className="muted" data-testid="revision-note">
            {detail.status === 'withdrawn'
              ? 'Withdrawn: events that arrived late (within the allowed lateness) completed its windows, and with them none is anomalous.'
              : `Revised ${detail.revisions === 1 ? 'once' : `${detail.revisions} times`}: events that arrived late changed its windows, which were re-scored; the figures below include them.`}
          </p>
        )}
        {detail.revisions === 0 && detail.status === 'withdrawn' && (
          <p className="muted" data-testid="revision-note">
            Withdrawn: the metric&apos;s definition or alert rule changed and its stored history was
            re-scored; with the new settings these windows are not anomalous.
          </p>
        )}
      </header>

      <p className="explanation" data-testid="explanation">
        <EventText value={detail.sentence || detail.explanation.sentence} ltr />
      </p>

      {incident.incident ? (
        <IncidentCard
          incident={incident.incident}
          anomalyId={id}
          canAct={canAct}
          onChanged={(summary) => {
            incident.apply(summary);
            void incident.refresh(summary.id);
            void refresh();
            void refreshHistory();
          }}
          onSilenced={() => void incident.refresh(incident.incident!.id)}
        />
      ) : null}

      {detail.explanation.rootCause ? (
        <RootCauseCard rootCause={detail.explanation.rootCause} />
      ) : null}

      {detail.injected.map((incident) => (
        <GroundTruth
          key={`${incident.scenario}-${incident.startsAt}`}
          incident={incident}
          found={detail.explanation.top[0] ?? null}
          set={detail.explanation.rootCause?.set ?? null}
          seconds={seconds}
        />
      ))}

      <dl className="stat-row">
        <div className="stat">
          <dt>Value at peak</dt>
          <dd>{fmt(detail.value)}</dd>
        </div>
        <div className="stat">
          <dt>Expected</dt>
          <dd>{fmt(detail.expected)}</dd>
        </div>
        <div className="stat">
          <dt>Change</dt>
          <dd>
            {deviation === null
              ? '—'
              : `${deviation > 0 ? '+' : ''}${(deviation * 100).toFixed(1)}%`}
          </dd>
        </div>
        <div className="stat">
          <dt>Peak z</dt>
          <dd>{formatZ(detail.z)}</dd>
        </div>
        <div className="stat">
          <dt>Peak window</dt>
          <dd>
            <ClockTime ms={detail.peakWindow} seconds={seconds} />
          </dd>
        </div>
      </dl>

      <LifecyclePanel
        anomaly={detail}
        canAct={canAct}
        history={history}
        onChanged={(summary) => {
          applySummary(summary);
          void refreshHistory();
        }}
      />

      <section className="card" aria-labelledby="chart-heading">
        <div className="card-head">
          <h2 id="chart-heading">
            <EventText value={detail.metricName} /> around the anomaly
          </h2>
          <Link href={`/metrics/${encodeURIComponent(detail.metricKey)}`} className="link">
            Thresholds
          </Link>
        </div>
        <MetricChart
          points={detail.points}
          metric={metric}
          windowMs={detail.windowMs}
          highlight={{ from: detail.firstWindow, to: detail.lastWindow }}
          label={revealControls(
            `${detail.metricName}: value, expected value and expected ± 3σ band; the anomalous windows are highlighted`,
          )}
        />
        <ChartLegend />
      </section>

      {dimensions.length > 0 ? (
        <section aria-labelledby="breakdown-heading">
          <h2 id="breakdown-heading" className="section-title">
            Share of the deviation by dimension
          </h2>
          <div className="breakdown-grid">
            {dimensions.map(([dim, list]) => (
              <div className="card" key={dim} data-testid={`dimension-${dim}`}>
                <h3 className="card-title">
                  <EventText value={dim} />
                </h3>
                <ContributionBars dim={dim} contributors={list} />
              </div>
            ))}
          </div>
        </section>
      ) : null}

      <section className="card" aria-labelledby="contributors-heading">
        <h2 id="contributors-heading">Top contributors</h2>
        {top.length === 0 ? (
          <p className="empty">No single dimension value stands out for this anomaly.</p>
        ) : (
          <div className="table-wrap">
            <table className="table" data-testid="contributors">
              <thead>
                <tr>
                  <th scope="col">Dimension</th>
                  <th scope="col">Value</th>
                  <th scope="col" className="num">
                    Actual
                  </th>
                  <th scope="col" className="num">
                    Expected
                  </th>
                  <th scope="col" className="num">
                    Share of deviation
                  </th>
                  <th scope="col" className="num">
                    z
                  </th>
                </tr>
              </thead>
              <tbody>
                {top.map((c) => (
                  <tr key={`${c.dim}\u0000${c.value}`}>
                    <td>
                      <EventText value={c.dim} />
                    </td>
                    <td className="cell-value">
                      <EventText value={c.value} />
                    </td>
                    <td className="num">{fmt(c.actual)}</td>
                    <td className="num">{fmt(c.expected)}</td>
                    <td className="num">
                      <span className="share">
                        <span className="share-track" aria-hidden="true">
                          <span
                            className="share-bar"
                            style={{ width: `${Math.min(100, Math.max(0, c.share) * 100)}%` }}
                          />
                        </span>
                        <span className="share-text">{formatShare(c.share)}</span>
                      </span>
                    </td>
                    <td className="num">{formatZ(c.z)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {hasOther ? (
          <p className="muted footnote">
            {OTHER} collects the values beyond a dimension&apos;s cardinality limit.
          </p>
        ) : null}
      </section>

      {incident.incident ? <DeliveryLog incident={incident.incident} /> : null}
    </DetailPage>
  );
}

function ChartLegend() {
  return (
    <ul className="legend" aria-hidden="true">
      <li>
        <span className="swatch swatch-value" /> value
      </li>
      <li>
        <span className="swatch swatch-expected" /> expected
      </li>
      <li>
        <span className="swatch swatch-band" /> expected ± 3σ
      </li>
      <li>
        <span className="swatch swatch-highlight" /> anomalous windows
      </li>
    </ul>
  );
}

/** A conjunction as a key: its text, never shown (see Conjunction). */
const conjunction = (elements: Record<string, string>) =>
  Object.entries(elements)
    .map(([dim, value]) => `${dim}=${value}`)
    .join(' AND ');

/** `region=eu-west AND device=ios`, each name and value isolated (event data). */
function Conjunction({ elements }: { elements: Record<string, string> }) {
  return Object.entries(elements).map(([dim, value], i) => (
    <Fragment key={dim}>
      {i > 0 ? ' AND ' : null}
      <EventText value={dim} />=<EventText value={value} />
    </Fragment>
  ));
}

/**
 * The multi-dimensional root cause: the smallest set of dimension-value conjunctions that
 * explains the deviation, and the ranked candidates it was chosen from.
 */
function RootCauseCard({ rootCause }: { rootCause: RootCause }) {
  const candidates = rootCause.candidates.slice(0, 5);
  return (
    <section className="card" aria-labelledby="root-cause-heading" data-testid="root-cause">
      <h2 id="root-cause-heading">Root cause</h2>
      {rootCause.set.length === 0 ? (
        <p className="empty">
          No combination of up to three dimension values explains it: the change is spread.
        </p>
      ) : (
        <ul className="cause-set" aria-label="Root-cause set">
          {rootCause.set.map((elements) => (
            <li key={conjunction(elements)} className="cause-chip">
              <Conjunction elements={elements} />
            </li>
          ))}
        </ul>
      )}
      {candidates.length > 0 ? (
        <div className="table-wrap">
          <table className="table" data-testid="root-cause-candidates">
            <caption className="muted">Candidates, best first</caption>
            <thead>
              <tr>
                <th scope="col">Slice</th>
                <th scope="col" className="num">
                  Share of deviation
                </th>
                <th scope="col" className="num">
                  Score
                </th>
              </tr>
            </thead>
            <tbody>
              {candidates.map((c) => (
                <tr key={conjunction(c.elements)}>
                  <td className="cell-value">
                    <Conjunction elements={c.elements} />
                  </td>
                  <td className="num">{formatShare(c.explains)}</td>
                  <td className="num">{c.score.toFixed(2)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

/** The set is exactly the one conjunction `cause`. */
function isExactly(set: readonly Record<string, string>[], cause: Record<string, string>): boolean {
  if (set.length !== 1) return false;
  const only = set[0]!;
  const keys = Object.keys(cause);
  return Object.keys(only).length === keys.length && keys.every((key) => only[key] === cause[key]);
}

/**
 * What the simulator really injected around this anomaly, and whether the root-cause set and
 * the top contributor match its root cause: detection compared with the truth, in the product
 * itself.
 */
function GroundTruth({
  incident,
  found,
  set,
  seconds,
}: {
  incident: InjectedIncident;
  found: { dim: string; value: string } | null;
  set: readonly Record<string, string>[] | null;
  seconds: boolean;
}) {
  const matches = found !== null && incident.rootCause[found.dim] === found.value;
  const verdict =
    set === null
      ? ''
      : isExactly(set, incident.rootCause)
        ? ' The root-cause set is exactly it'
        : set.length === 0
          ? ' The root-cause set is empty'
          : ' The root-cause set differs';
  return (
    <p className="ground-truth" data-testid="ground-truth">
      <strong>Injected by the simulator:</strong> <EventText value={incident.description} /> (
      <ClockTime ms={incident.startsAt} seconds={seconds} />–
      <ClockTime ms={incident.endsAt} seconds={seconds} />
      ). True root cause: <Conjunction elements={incident.rootCause} />
      {found
        ? matches
          ? ' — the top contributor matches.'
          : ' — the top contributor differs.'
        : '.'}
      {verdict ? `${verdict}.` : null}
    </p>
  );
}
