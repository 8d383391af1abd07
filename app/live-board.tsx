'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useMemo, useReducer, useState, useTransition } from 'react';
import { isLive, lastSpan, resolveRange, type RangeSpec } from '@/lib/explore/time-range';
import { exploreHref, rangeHref, type PageRange, type RangeState } from '@/lib/explore/view-state';
import { formatMetricValue } from '@/lib/metrics/units';
import type { AnomalySummary, Board, BoardMetric, IncidentSummary } from '@/lib/views';
import { AppHeader, type HeaderUser } from './_components/app-header';
import { Sparkline } from './_components/charts';
import { ConnectionIndicator } from './_components/connection-state';
import { EventText } from './_components/event-text';
import { RangePicker, useRangeShortcuts } from './_components/range-picker';
import { PageZone, useZone } from './_components/zoned-time';
import { StatusBadge } from './_components/status-badge';
import { ClockTime, TimeAgo } from './_components/time-ago';
import { AlertFeed, DesktopAlertsToggle } from './alert-feed';
import { SplitSeries } from './split-series';
import { apiFetch, loginHref } from './_lib/api';
import { MAX_WINDOWS, boardReducer, hasUnknownMetric, initBoardState } from './_lib/board-state';
import { formatNumber, formatZ, revealControls } from './_lib/format';
import { describeLatest } from './_lib/sparkline';
import { feedItems } from './_lib/incident-feed';
import { useDesktopAlerts, useTitleCount } from './_lib/use-incident-alerts';
import { usePulseSocket } from './_lib/use-pulse-socket';

/** Catch-up asks for incidents changed a little before the last change seen (clocks, commits). */
const CATCH_UP_MARGIN_MS = 60_000;

const DEFAULT_VIEW: PageRange = { range: null, tz: 'local', problems: [], now: 0 };

export function LiveBoard({
  initial,
  incidents: initialIncidents = [],
  view = DEFAULT_VIEW,
  user,
}: {
  initial: Board;
  /** The board's incidents (GET /api/incidents), newest first. */
  incidents?: IncidentSummary[];
  /** The range in the URL (null: the last 60 windows) and the zone. */
  view?: PageRange;
  user: HeaderUser;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const [state, dispatch] = useReducer(boardReducer, undefined, () => {
    const resolved = view.range ? resolveRange(view.range, view.now) : null;
    return initBoardState(
      initial,
      initialIncidents,
      resolved?.ok ? { rangeMs: resolved.to - resolved.from, frozen: !isLive(view.range!) } : {},
    );
  });
  /** The API's query for the board's points: the URL's range, or none. */
  const rangeQuery = view.range
    ? `?from=${encodeURIComponent(view.range.from)}&to=${encodeURIComponent(view.range.to)}`
    : '';
  const go = (next: RangeState) =>
    startTransition(() => router.push(rangeHref('/', next), { scroll: false }));
  const shown: RangeSpec = view.range ?? lastSpan(MAX_WINDOWS * initial.windowMs);
  const setRange = (range: RangeSpec) => go({ range, tz: view.tz });
  const setTz = (tz: RangeState['tz']) => go({ range: view.range, tz });
  useRangeShortcuts(shown, view.tz, setRange, setTz, 'Board');
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
    const board = await apiFetch<Board>(`/api/board${rangeQuery}`);
    if (board.status === 401) router.replace(loginHref(rangeHref('/', view)));
    else if (board.ok) dispatch({ type: 'board', board: board.data });
  }

  /** After every (re)connect: fetch what happened while we were not listening. */
  async function catchUp() {
    const after = state.lastAnomalyId;
    const since = Math.max(0, state.lastIncidentUpdate - CATCH_UP_MARGIN_MS);
    const [board, missed, incidents] = await Promise.all([
      apiFetch<Board>(`/api/board${rangeQuery}`),
      apiFetch<AnomalySummary[]>(`/api/anomalies?after=${after}`),
      apiFetch<IncidentSummary[]>(
        state.lastIncidentUpdate > 0 ? `/api/incidents?since=${since}` : '/api/incidents',
      ),
    ]);
    if (board.status === 401 || missed.status === 401 || incidents.status === 401) {
      router.replace(loginHref(rangeHref('/', view)));
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
    'metric-removed': ({ metricId }) => dispatch({ type: 'metric-removed', metricId }),
    onConnect: () => void catchUp(),
  });

  // A split's series show inside their parent's card, not as cards of their own.
  const cards = state.metrics.filter((m) => m.series === null);
  const seriesOf = (parent: BoardMetric) =>
    state.metrics.filter((m) => m.series?.parentId === parent.id);
  const metricCount = cards.length;
  const openIncidents = state.incidents.filter((i) => i.status === 'open').length;

  return (
    <PageZone tz={view.tz}>
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
              {state.frozen ? ' · values as of the end of the range' : ''}
            </p>
          </div>
          <BoardRange
            shown={shown}
            now={view.now}
            pending={pending}
            onRange={setRange}
            onTz={setTz}
          />
          {view.problems.length > 0 ? (
            <div className="notice notice-warn" role="status" data-testid="board-problems">
              {view.problems.map((p, i) => (
                <p key={i}>{p}</p>
              ))}
            </div>
          ) : null}
          {metricCount === 0 ? (
            <p className="empty">No metrics are defined yet.</p>
          ) : (
            <div className="metric-grid">
              {cards.map((metric) => (
                <MetricCard
                  key={metric.id}
                  metric={metric}
                  series={seriesOf(metric)}
                  windowMs={state.windowMs}
                  view={{ range: view.range, tz: view.tz }}
                />
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
    </PageZone>
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

/** The board's range picker: the zone shown is the page's (UTC until hydrated). */
function BoardRange({
  shown,
  now,
  pending,
  onRange,
  onTz,
}: {
  shown: RangeSpec;
  now: number;
  pending: boolean;
  onRange: (range: RangeSpec) => void;
  onTz: (tz: RangeState['tz']) => void;
}) {
  return (
    <div className="board-range" aria-busy={pending}>
      <RangePicker
        key={`${shown.from}|${shown.to}`}
        range={shown}
        tz={useZone()}
        now={now}
        onRange={onRange}
        onTz={onTz}
      />
    </div>
  );
}

function MetricCard({
  metric,
  series,
  windowMs,
  view,
}: {
  metric: BoardMetric;
  /** Its series when it is split by a dimension (lib/metrics/split.ts). */
  series: BoardMetric[];
  windowMs: number;
  view: RangeState;
}) {
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
          <Link
            href={exploreHref(metric.key, { range: view.range ?? undefined, tz: view.tz })}
            className="metric-card-link"
          >
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
      <SplitSeries parent={metric} series={series} view={view} />
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
