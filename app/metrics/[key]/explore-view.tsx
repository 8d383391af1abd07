'use client';
/**
 * A metric's explore page. The URL is the state: every control navigates to the URL of the
 * view it asks for (lib/explore/view-state.ts), the server component reads the data again,
 * back and forward restore views, and a copied link opens the same one. While the range ends
 * at now, each scored window of this metric refreshes the view.
 */
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useRef, useTransition } from 'react';
import { formatMetricValue } from '@/lib/metrics/units';
import { absoluteSpec, formatInZone, isLive, type RangeSpec } from '@/lib/explore/time-range';
import { exploreHref, type ExploreState } from '@/lib/explore/view-state';
import type { ExploreData } from '@/lib/explore/view';
import type { HeaderUser } from '@/app/_components/app-header';
import { DetailPage } from '@/app/_components/detail-page';
import { RangePicker, useRangeShortcuts } from '@/app/_components/range-picker';
import { EventText } from '@/app/_components/event-text';
import { TimeChart, splitColour, OTHER_COLOUR } from '@/app/_components/time-chart';
import { formatZ } from '@/app/_lib/format';
import { useIsClient } from '@/app/_lib/use-now';
import { usePulseSocket } from '@/app/_lib/use-pulse-socket';
import { formatWindowLength } from '../window-length';
import { AnnotationList } from './_explore/annotations';
import { ViewControls } from './_explore/view-controls';

/** Refreshes of a live view come at most this often, however fast windows close. */
const MIN_REFRESH_MS = 2_000;

export function ExploreView({
  data,
  state,
  user,
  canEdit,
}: {
  data: ExploreData;
  state: ExploreState;
  user: HeaderUser;
  canEdit: boolean;
}) {
  const router = useRouter();
  const [pending, startTransition] = useTransition();
  const hydrated = useIsClient();
  const tz = hydrated ? state.tz : 'utc';
  const { metric } = data;
  const live = isLive(state.range);
  const lastRefresh = useRef(0);

  const go = (next: Partial<ExploreState>) =>
    startTransition(() =>
      router.push(exploreHref(metric.key, { ...state, ...next }), { scroll: false }),
    );
  const setRange = (range: RangeSpec) => go({ range });
  const refresh = () => {
    const now = Date.now();
    if (now - lastRefresh.current < MIN_REFRESH_MS) return;
    lastRefresh.current = now;
    startTransition(() => router.refresh());
  };

  const connection = usePulseSocket('board', {
    points: (update) => {
      if (live && update.points.some((p) => p.metricId === metric.id)) refresh();
    },
    onConnect: (first) => {
      if (!first && live) refresh();
    },
  });

  useRangeShortcuts(state.range, state.tz, setRange, (next) => go({ tz: next }), 'Explore');

  const sliceText = Object.entries(state.filter)
    .map(([dim, value]) => `${dim}=${value}`)
    .join(', ');
  const latest = [...data.points].reverse().find((p) => p.value !== null) ?? null;
  const fmt = (v: number) => formatMetricValue(metric, v);
  const chartLabel =
    `${metric.name}${sliceText ? ` for ${sliceText}` : ''} from ` +
    `${formatInZone(data.from, tz, 'datetime', { zoneName: true })} to ` +
    `${formatInZone(data.to, tz, 'datetime', { zoneName: true })}` +
    (latest?.value != null ? `; latest ${fmt(latest.value)}` : '; no values in this range') +
    (data.anomalies.length > 0 ? `; ${data.anomalies.length} anomalies` : '');

  return (
    <DetailPage user={user} connection={connection}>
      <div className="explore" aria-busy={pending}>
        <div className="explore-head">
          <h1>
            <EventText value={metric.name} />
            {sliceText ? (
              <span className="explore-slice">
                {' '}
                · <EventText value={sliceText} />
              </span>
            ) : null}
          </h1>
          <nav className="explore-tabs" aria-label="Metric">
            <Link href={exploreHref(metric.key)} aria-current="page" className="tab selected">
              Explore
            </Link>
            <Link href={`/metrics/${encodeURIComponent(metric.key)}/thresholds`} className="tab">
              Thresholds
            </Link>
            <Link href={`/metrics/${encodeURIComponent(metric.key)}/edit`} className="tab">
              {canEdit ? 'Edit definition' : 'Definition'}
            </Link>
          </nav>
        </div>
        <p className="muted explore-meta">
          <code>{metric.key}</code>
          {metric.enabled ? null : ' · paused'} · {formatWindowLength(data.windowMs)} windows
          {sliceText ? ' · band from the slice’s own recent windows' : ' · band = expected ± 3σ'}
          {data.downsampled ? ' · highest and lowest window per point shown' : ''}
          {live ? ' · updates live' : ''}
        </p>
        <RangePicker
          key={`${state.range.from}|${state.range.to}`}
          range={state.range}
          tz={tz}
          now={data.now}
          onRange={setRange}
          onTz={(next) => go({ tz: next })}
        />
        <ViewControls state={state} dimensions={data.dimensions} onChange={go} />
        {data.problems.length > 0 ? (
          <div className="notice notice-warn" role="status" data-testid="explore-problems">
            {data.problems.map((p, i) => (
              <p key={i}>
                <EventText value={p} />
              </p>
            ))}
          </div>
        ) : null}
        <section className="card explore-chart" aria-labelledby="explore-chart-heading">
          <h2 id="explore-chart-heading" className="sr-only">
            Chart
          </h2>
          {data.points.length === 0 && !data.split ? (
            <p className="empty">
              No scored windows in this range. Pick a longer range, or wait for the next window.
            </p>
          ) : null}
          <TimeChart
            from={data.from}
            to={data.to}
            windowMs={data.windowMs}
            metric={metric}
            tz={tz}
            points={data.points}
            compare={
              data.compare
                ? {
                    points: data.compare.points,
                    label: compareLabel(data.compare.offsetMs),
                  }
                : null
            }
            split={data.split}
            anomalies={data.anomalies.map((a) => ({
              id: a.id,
              from: a.firstWindow,
              to: a.end,
              severity: a.severity,
            }))}
            annotations={data.annotations}
            label={chartLabel}
            onZoom={(from, to) => setRange(absoluteSpec(from, to))}
          />
          {latest?.value != null ? (
            <p className="explore-latest" data-testid="explore-latest">
              Latest <strong>{fmt(latest.value)}</strong>
              {latest.expected !== null ? <> · expected about {fmt(latest.expected)}</> : null}
              {latest.z !== null ? <> · z {formatZ(latest.z)}</> : null}
              {' · '}
              {formatInZone(latest.windowStart, tz, 'time', { zoneName: true })}
            </p>
          ) : null}
          <Legend data={data} />
          <p className="hint">
            Drag across the chart to zoom in; press z to zoom out, ? for every shortcut.
          </p>
        </section>
        {data.anomalies.length > 0 ? (
          <section className="card" aria-labelledby="explore-anomalies-heading">
            <h2 id="explore-anomalies-heading">Anomalies in this range</h2>
            <ul className="explore-anomalies">
              {data.anomalies.map((a) => (
                <li key={a.id}>
                  <span className={`badge badge-${a.severity}`}>{a.severity}</span>{' '}
                  <Link href={`/anomalies/${a.id}`} className="link">
                    <EventText value={a.sentence} />
                  </Link>{' '}
                  <span className="muted">
                    {formatInZone(a.firstWindow, tz, 'datetime', { zoneName: true })}
                    {a.status === 'open' ? ' · open' : ''}
                  </span>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
        <AnnotationList
          annotations={data.annotations}
          metricKey={metric.key}
          tz={tz}
          canEdit={canEdit}
          defaultStart={live ? 'now' : String(data.to)}
          onChanged={() => startTransition(() => router.refresh())}
        />
      </div>
    </DetailPage>
  );
}

function Legend({ data }: { data: ExploreData }) {
  if (data.split) {
    return (
      <ul className="chart-legend" aria-label={`Split by ${data.split.dim}`}>
        {data.split.lines.map((line, i) => (
          <li key={line.value}>
            <span className="swatch" style={{ background: splitColour(i) }} aria-hidden />
            <EventText value={line.value} />
          </li>
        ))}
        {data.split.other ? (
          <li>
            <span className="swatch" style={{ background: OTHER_COLOUR }} aria-hidden />
            other ({data.split.other.valueCount} values)
          </li>
        ) : null}
      </ul>
    );
  }
  return (
    <ul className="chart-legend">
      <li>
        <span className="swatch swatch-value" aria-hidden /> Value
      </li>
      <li>
        <span className="swatch swatch-band" aria-hidden /> Expected ± 3σ
      </li>
      {data.compare ? (
        <li>
          <span className="swatch swatch-compare" aria-hidden />{' '}
          {compareLabel(data.compare.offsetMs)}
        </li>
      ) : null}
      {data.anomalies.length > 0 ? (
        <li>
          <span className="swatch swatch-anomaly" aria-hidden /> Anomaly
        </li>
      ) : null}
      {data.annotations.length > 0 ? (
        <li>
          <span className="swatch swatch-annotation" aria-hidden /> Annotation
        </li>
      ) : null}
    </ul>
  );
}

/** What the comparison line is called in the chart and its legend. */
function compareLabel(offsetMs: number): string {
  return offsetMs === 86_400_000 ? 'A day before' : 'A week before';
}
