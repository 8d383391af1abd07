'use client';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useState, useTransition } from 'react';
import { classifySlices } from '@/lib/detection/breakdown';
import { absoluteSpec, isLive, type RangeSpec } from '@/lib/explore/time-range';
import { exploreHref, rangeHref, type PageRange, type RangeState } from '@/lib/explore/view-state';
import type { ExploreAnomaly } from '@/lib/explore/view';
import { formatMetricValue } from '@/lib/metrics/units';
import type {
  AnomalyDetail,
  AnomalyEventView,
  AnomalySummary,
  AnnotationView,
  IncidentDetail,
  InjectedIncident,
} from '@/lib/views';
import type { HeaderUser } from '../../_components/app-header';
import { DetailPage } from '../../_components/detail-page';
import { EventText } from '../../_components/event-text';
import { RangePicker, useRangeShortcuts } from '../../_components/range-picker';
import { TimeChart } from '../../_components/time-chart';
import { LifecycleMarks } from '../../_components/lifecycle-badges';
import {
  InterimBadge,
  LifecycleBadge,
  RevisedBadge,
  SeverityBadge,
} from '../../_components/status-badge';
import { TimeAgo } from '../../_components/time-ago';
import { apiFetch, loginHref } from '../../_lib/api';
import { mergePoints } from '../../_lib/board-state';
import { SEVERITY_LABEL, formatZ, revealControls } from '../../_lib/format';
import { OTHER_VALUE, pivotRange } from '../../_lib/pivot';
import { useIsClient } from '../../_lib/use-now';
import { usePulseSocket } from '../../_lib/use-pulse-socket';
import { DeliveryLog, IncidentCard, useIncidentDetail } from './incident-panel';
import { LifecyclePanel } from './lifecycle-panel';
import { BreakdownSection } from './breakdown';
import { ContributorsTable } from './contributors';
import type { PivotContext } from './pivot-link';
import { Conjunction, RootCauseCard } from './root-cause';
import { PageZone, ZoneName, ZonedTime } from '../../_components/zoned-time';

const OTHER = OTHER_VALUE;

const LIFECYCLE_NOTE = {
  open: ' · still open',
  resolved: ' · resolved',
  withdrawn: ' · withdrawn',
} as const;

const DEFAULT_VIEW: PageRange = { range: null, tz: 'local', problems: [], now: 0 };
/** Refreshes of a live range come at most this often, however fast windows close. */
const MIN_REFRESH_MS = 2_000;

export function AnomalyView({
  initial,
  user,
  history: initialHistory = [],
  incident: initialIncident = null,
  annotations = [],
  others = [],
  view = DEFAULT_VIEW,
  range = null,
}: {
  initial: AnomalyDetail;
  user: HeaderUser;
  /** The audit trail, newest first. */
  history?: AnomalyEventView[];
  /** Its incident with the siblings and the delivery log; null while it has none. */
  incident?: IncidentDetail | null;
  /** Annotations (deploys, campaigns) that overlap the chart's windows. */
  annotations?: readonly AnnotationView[];
  /** The metric's other anomalies that overlap the chart. */
  others?: readonly ExploreAnomaly[];
  /** The range in the URL (null: the windows around the anomaly) and the zone. */
  view?: PageRange;
  /** The URL's range resolved, or null. */
  range?: { from: number; to: number } | null;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const tz = useIsClient() ? view.tz : 'utc';
  const lastRefresh = useRef(0);
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
    // The API's points are those around the anomaly: a chart over a range keeps its own.
    const fresh = result.data;
    setDetail((current) =>
      fresh.updatedAt >= current.updatedAt
        ? { ...fresh, points: range ? current.points : fresh.points }
        : current,
    );
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
      if (view.range) {
        // A range from the URL: read again while it ends at now, at most every 2 s.
        const now = Date.now();
        if (!isLive(view.range) || now - lastRefresh.current < MIN_REFRESH_MS) return;
        lastRefresh.current = now;
        startTransition(() => router.refresh());
        return;
      }
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
  /** The change as the explanations name it. */
  const movement = detail.direction === 'up' ? 'rise' : 'drop';
  const dimensions = Object.entries(detail.explanation.dimensions).filter(
    ([, list]) => list.length > 0,
  );
  const top = detail.explanation.top;
  const hasOther =
    top.some((c) => c.value === OTHER) ||
    dimensions.some(([, l]) => l.some((c) => c.value === OTHER));
  const deviation =
    detail.expected !== 0 ? (detail.value - detail.expected) / Math.abs(detail.expected) : null;
  // The breakdown's colours per value, for the contributors table's bars too.
  const tones = new Map(
    dimensions.flatMap(([dim, list]) => {
      const classified = classifySlices(list, detail.kind);
      return list.map((c, i) => [`${dim}\u0000${c.value}`, classified[i]!] as const);
    }),
  );
  const pivot: PivotContext = {
    metricKey: detail.metricKey,
    metricName: detail.metricName,
    range: pivotRange(detail),
  };

  const self = `/anomalies/${id}`;
  const go = (next: RangeState) =>
    startTransition(() => router.push(rangeHref(self, next), { scroll: false }));
  const setRange = (next: RangeSpec) => go({ range: next, tz: view.tz });
  const setTz = (next: RangeState['tz']) => go({ range: view.range, tz: next });
  // The chart spans the URL's range, or the windows read around the anomaly.
  const chart = range ?? {
    from: detail.points[0]?.windowStart ?? detail.firstWindow,
    to: (detail.points.at(-1)?.windowStart ?? detail.lastWindow) + detail.windowMs,
  };
  const shown = view.range ?? absoluteSpec(chart.from, chart.to);
  useRangeShortcuts(shown, view.tz, setRange, setTz, 'Drill-down');
  const spans = [
    {
      id: detail.id,
      from: detail.firstWindow,
      to: detail.lastWindow + detail.windowMs,
      severity: detail.severity,
    },
    ...others.map((a) => ({ id: a.id, from: a.firstWindow, to: a.end, severity: a.severity })),
  ];

  return (
    <PageZone tz={view.tz}>
      <DetailPage user={user} connection={connection}>
        <header className="detail-head" data-testid="anomaly-header">
          <div className="detail-badges">
            <SeverityBadge severity={detail.severity} />
            <LifecycleBadge status={detail.status} />
            <RevisedBadge revisions={detail.revisions} />
            <InterimBadge interim={detail.interim} />
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
            <ZonedTime ms={detail.firstWindow} seconds={seconds} zone={false} /> –{' '}
            <ZonedTime ms={detail.lastWindow + detail.windowMs} seconds={seconds} /> · {windows}{' '}
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
              Withdrawn: the metric&apos;s definition or alert rule changed and its stored history
              was re-scored; with the new settings these windows are not anomalous.
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
          <RootCauseCard rootCause={detail.explanation.rootCause} change={movement} pivot={pivot} />
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
              <ZonedTime ms={detail.peakWindow} seconds={seconds} />
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

        <section className="card" aria-labelledby="chart-heading" aria-busy={pending}>
          <div className="card-head">
            <h2 id="chart-heading">
              <EventText value={detail.metricName} />{' '}
              {view.range ? 'over the chosen range' : 'around the anomaly'}
            </h2>
            <div className="card-links">
              {view.range ? (
                <Link
                  href={rangeHref(self, { range: null, tz: view.tz })}
                  className="link"
                  data-testid="around-link"
                  scroll={false}
                >
                  Back to around the anomaly
                </Link>
              ) : null}
              <Link
                href={exploreHref(detail.metricKey, {
                  range: view.range ?? pivot.range,
                  tz: view.tz,
                })}
                prefetch={false}
                className="link"
                data-testid="explore-link"
              >
                {view.range ? 'Explore this range' : 'Explore around it'}
              </Link>
              <Link
                href={`/metrics/${encodeURIComponent(detail.metricKey)}/thresholds`}
                className="link"
              >
                Thresholds
              </Link>
            </div>
          </div>
          <RangePicker
            key={view.range ? `${view.range.from}|${view.range.to}` : 'around'}
            range={shown}
            tz={tz}
            now={view.now}
            onRange={setRange}
            onTz={setTz}
          />
          {view.problems.length > 0 ? (
            <div className="notice notice-warn" role="status" data-testid="range-problems">
              {view.problems.map((p, i) => (
                <p key={i}>{p}</p>
              ))}
            </div>
          ) : null}
          {detail.points.length === 0 ? (
            <p className="empty">No scored windows in this range. Pick another range.</p>
          ) : null}
          <TimeChart
            from={chart.from}
            to={chart.to}
            windowMs={detail.windowMs}
            metric={metric}
            tz={tz}
            points={detail.points}
            anomalies={spans}
            annotations={annotations}
            height={300}
            onZoom={(from, to) => setRange(absoluteSpec(from, to))}
            label={revealControls(
              `${detail.metricName}: value, expected value and expected ± 3σ band; the anomalous windows are shaded. Drag across the chart to zoom in.`,
            )}
          />
          <ChartLegend annotations={annotations.length > 0} />
          {annotations.length > 0 ? (
            <ul className="annotation-list drill-annotations" aria-label="Annotations in this time">
              {annotations.map((a) => (
                <li key={a.id} data-testid="drill-annotation">
                  <span className="swatch swatch-annotation" aria-hidden />{' '}
                  <strong>
                    <EventText value={a.title} />
                  </strong>{' '}
                  <span className="muted">
                    <ZonedTime ms={a.startsAt} />
                    {a.endsAt !== null ? (
                      <>
                        {' – '}
                        <ZonedTime ms={a.endsAt} />
                      </>
                    ) : null}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
          <p className="muted footnote">
            Times are in <ZoneName ms={detail.peakWindow} />.
          </p>
        </section>

        {dimensions.length > 0 ? (
          <BreakdownSection
            dimensions={dimensions}
            kind={detail.kind}
            change={movement}
            pivot={pivot}
          />
        ) : null}

        <section className="card" aria-labelledby="contributors-heading">
          <h2 id="contributors-heading">Top contributors</h2>
          {top.length === 0 ? (
            <p className="empty">No single dimension value stands out for this anomaly.</p>
          ) : (
            <ContributorsTable
              top={top}
              format={fmt}
              change={movement}
              pivot={pivot}
              toneOf={(c) => tones.get(`${c.dim}\u0000${c.value}`)}
            />
          )}
          {hasOther ? (
            <p className="muted footnote">
              {OTHER} collects the values beyond a dimension&apos;s cardinality limit.
            </p>
          ) : null}
        </section>

        {incident.incident ? <DeliveryLog incident={incident.incident} /> : null}
      </DetailPage>
    </PageZone>
  );
}

function ChartLegend({ annotations }: { annotations: boolean }) {
  return (
    <ul className="chart-legend" aria-hidden="true">
      <li>
        <span className="swatch swatch-value" /> Value
      </li>
      <li>
        <span className="swatch swatch-expected" /> Expected
      </li>
      <li>
        <span className="swatch swatch-band" /> Expected ± 3σ
      </li>
      <li>
        <span className="swatch swatch-anomaly" /> Anomalous windows
      </li>
      {annotations ? (
        <li>
          <span className="swatch swatch-annotation" /> Annotation
        </li>
      ) : null}
    </ul>
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
      <ZonedTime ms={incident.startsAt} seconds={seconds} zone={false} />–
      <ZonedTime ms={incident.endsAt} seconds={seconds} />
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
