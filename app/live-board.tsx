'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useReducer, useState } from 'react';
import { exploreHref } from '@/lib/explore/view-state';
import { formatMetricValue } from '@/lib/metrics/units';
import type { AnomalySummary, Board, BoardMetric, IncidentSummary } from '@/lib/views';
import { AppHeader, type HeaderUser } from './_components/app-header';
import { Sparkline } from './_components/charts';
import { ConnectionIndicator } from './_components/connection-state';
import { EventText } from './_components/event-text';
import { StatusBadge } from './_components/status-badge';
import { ClockTime, TimeAgo } from './_components/time-ago';
import { AlertFeed, DesktopAlertsToggle } from './alert-feed';
import { apiFetch, loginHref } from './_lib/api';
import { boardReducer, hasUnknownMetric, initBoardState } from './_lib/board-state';
import { formatNumber, formatZ, revealControls } from './_lib/format';
import { describeLatest } from './_lib/sparkline';
import { feedItems } from './_lib/incident-feed';
import { useDesktopAlerts, useTitleCount } from './_lib/use-incident-alerts';
import { usePulseSocket } from './_lib/use-pulse-socket';

/** Catch-up asks for incidents changed a little before the last change seen (clocks, commits). */
const CATCH_UP_MARGIN_MS = 60_000;

export function LiveBoard({
  initial,
  incidents: initialIncidents = [],
  user,
}: {
  initial: Board;
  /** The board's incidents (GET /api/incidents), newest first. */
  incidents?: IncidentSummary[];
  user: HeaderUser;
}) {
  const router = useRouter();
  const [state, dispatch] = useReducer(boardReducer, undefined, () =>
    initBoardState(initial, initialIncidents),
  );
  const [firstLive] = useState(() => ({
    anomaly: initial.lastAnomalyId,
    incident: initialIncidents.reduce((max, i) => Math.max(max, i.id), 0),
  }));
  // The API refuses viewers too; this only decides whether to offer the buttons.
  const canAct = user.role === 'editor' || user.role === 'admin';
  const items = useMemo(
    () => feedItems(state.incidents, state.anomalies),
    [state.incidents, state.anomalies],
  );
  useTitleCount(state.incidents);
  const desktop = useDesktopAlerts(state.incidents);

  async function refetchBoard() {
    const board = await apiFetch<Board>('/api/board');
    if (board.status === 401) router.replace(loginHref('/'));
    else if (board.ok) dispatch({ type: 'board', board: board.data });
  }

  /** After every (re)connect: fetch what happened while we were not listening. */
  async function catchUp() {
    const after = state.lastAnomalyId;
    const since = Math.max(0, state.lastIncidentUpdate - CATCH_UP_MARGIN_MS);
    const [board, missed, incidents] = await Promise.all([
      apiFetch<Board>('/api/board'),
      apiFetch<AnomalySummary[]>(`/api/anomalies?after=${after}`),
      apiFetch<IncidentSummary[]>(
        state.lastIncidentUpdate > 0 ? `/api/incidents?since=${since}` : '/api/incidents',
      ),
    ]);
    if (board.status === 401 || missed.status === 401 || incidents.status === 401) {
      router.replace(loginHref('/'));
      return;
    }
    if (board.ok) dispatch({ type: 'board', board: board.data });
    if (missed.ok) dispatch({ type: 'anomalies', anomalies: missed.data });
    if (incidents.ok) dispatch({ type: 'incidents', incidents: incidents.data });
  }

  const connection = usePulseSocket('board', {
    points: (update) => {
      dispatch({ type: 'points', ...update, receivedAt: Date.now() });
      if (
        hasUnknownMetric(
          state,
          update.points.map((p) => p.metricId),
        )
      ) {
        void refetchBoard();
      }
    },
    anomaly: (anomaly) => dispatch({ type: 'anomalies', anomalies: [anomaly] }),
    incident: (incident) => dispatch({ type: 'incidents', incidents: [incident] }),
    rule: (update) => {
      dispatch({ type: 'rule', ...update });
      // A rule change may come with re-scored history: fetch the points again.
      void refetchBoard();
    },
    metric: (metric) => dispatch({ type: 'metric', metric }),
    onConnect: () => void catchUp(),
  });

  const metricCount = state.metrics.length;
  const openIncidents = state.incidents.filter((i) => i.status === 'open').length;

  return (
    <>
      <AppHeader user={user}>
        <ConnectionIndicator state={connection} />
        <LastWindow
          start={state.lastWindowStart}
          windowMs={state.windowMs}
          scoredAt={state.lastScoredAt}
        />
      </AppHeader>
      <main id="main" className="page board-layout">
        <section className="board-main" aria-labelledby="metrics-heading">
          <div className="section-head">
            <h1 id="metrics-heading">Live board</h1>
            <p className="muted">
              {metricCount} {metricCount === 1 ? 'metric' : 'metrics'} ·{' '}
              {describeWindow(state.windowMs)} windows · band = expected ± 3σ
            </p>
          </div>
          {metricCount === 0 ? (
            <p className="empty">No metrics are defined yet.</p>
          ) : (
            <div className="metric-grid">
              {state.metrics.map((metric) => (
                <MetricCard key={metric.id} metric={metric} windowMs={state.windowMs} />
              ))}
            </div>
          )}
        </section>
        <aside className="board-side" aria-labelledby="alerts-heading">
          <div className="section-head">
            <h2 id="alerts-heading">Alerts</h2>
            <span className="alerts-meta">
              <span className="muted" data-testid="open-incidents">
                {openIncidents} open {openIncidents === 1 ? 'incident' : 'incidents'}
              </span>
              <DesktopAlertsToggle state={desktop.state} onToggle={() => void desktop.toggle()} />
            </span>
          </div>
          <AlertFeed
            items={items}
            metricCount={metricCount}
            firstLive={firstLive}
            canAct={canAct}
            onIncident={(incident) => dispatch({ type: 'incidents', incidents: [incident] })}
          />
        </aside>
      </main>
    </>
  );
}

function describeWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}-h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}-min`;
  if (ms % 1000 === 0) return `${ms / 1000}-s`;
  return `${ms}-ms`;
}

function LastWindow({
  start,
  windowMs,
  scoredAt,
}: {
  start: number | null;
  windowMs: number;
  scoredAt: number | null;
}) {
  if (start === null) {
    return (
      <span className="last-window muted" data-testid="last-window">
        No window scored yet
      </span>
    );
  }
  const seconds = windowMs < 60_000;
  return (
    <span className="last-window muted" data-testid="last-window" data-window-start={start}>
      Last window <ClockTime ms={start} seconds={seconds} />–
      <ClockTime ms={start + windowMs} seconds={seconds} />
      {' · '}
      {scoredAt !== null ? (
        <TimeAgo ms={scoredAt} prefix="scored " />
      ) : (
        <TimeAgo ms={start + windowMs} prefix="ended " />
      )}
    </span>
  );
}

const STATUS_NOTE: Partial<Record<BoardMetric['points'][number]['status'], string>> = {
  learning: 'Learning the baseline — no alerts yet.',
  low_volume: 'Low volume — too few events to alert.',
};

function MetricCard({ metric, windowMs }: { metric: BoardMetric; windowMs: number }) {
  const latest = metric.points.at(-1);
  const status = latest?.status ?? 'waiting';
  const value =
    latest?.value !== null && latest?.value !== undefined
      ? formatMetricValue(metric, latest.value)
      : '—';
  const expected =
    latest?.expected !== null && latest?.expected !== undefined
      ? formatMetricValue(metric, latest.expected)
      : null;
  const note = latest ? STATUS_NOTE[latest.status] : undefined;
  return (
    <article
      className={`card metric-card card-${status}`}
      data-testid={`metric-card-${metric.key}`}
      data-status={status}
      aria-labelledby={`metric-${metric.id}-name`}
    >
      <div className="metric-card-head">
        <h3 id={`metric-${metric.id}-name`} className="metric-name">
          {/* The metric's page, and the card's keyboard target: its ::after covers the card. */}
          <Link href={exploreHref(metric.key)} className="metric-card-link">
            <EventText value={metric.name} />
          </Link>
        </h3>
        {latest ? <StatusBadge status={latest.status} /> : null}
        {!metric.enabled ? <span className="badge status-learning">Paused</span> : null}
      </div>
      {latest ? (
        <>
          <div className="metric-figures">
            <span className="metric-value" data-testid="metric-value">
              {value}
            </span>
            <span className="metric-z" title="z-score of the latest window">
              z {formatZ(latest.z)}
            </span>
          </div>
          <div className="metric-expected muted">
            {expected !== null ? (
              <>
                expected {expected}
                {latest.sigma !== null ? (
                  <> ± {formatMetricValue(metric, 3 * latest.sigma)}</>
                ) : null}
              </>
            ) : (
              'no baseline yet'
            )}
            {' · '}volume {formatNumber(latest.volume)}
          </div>
          <Sparkline
            points={metric.points}
            metric={metric}
            windowMs={windowMs}
            label={revealControls(
              `${metric.name}: ${describeLatest(latest, (v) => formatMetricValue(metric, v))}`,
            )}
          />
          {note ? <p className={`metric-note note-${latest.status}`}>{note}</p> : null}
        </>
      ) : (
        <p className="metric-waiting">Waiting for the first window…</p>
      )}
      <div className="metric-card-foot">
        <span className="muted">
          warn |z| ≥ {metric.rule.warnZ} · critical ≥ {metric.rule.criticalZ}
        </span>
        <Link
          href={`/metrics/${encodeURIComponent(metric.key)}/thresholds`}
          className="link metric-card-thresholds"
        >
          Thresholds
          <span className="sr-only">
            {' '}
            of <EventText value={metric.name} />
          </span>
        </Link>
      </div>
    </article>
  );
}
