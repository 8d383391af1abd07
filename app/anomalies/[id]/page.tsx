import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { listAnomalyEvents } from '@/db/queries/anomalies';
import { annotationsBetween } from '@/db/queries/annotations';
import { anomaliesInRange } from '@/db/queries/explore';
import { incidentDetail } from '@/db/queries/incident-views';
import { loadAnomalyDetail } from '@/db/queries/views';
import { webContext } from '@/app/_server/context';
import { readPageRange, toSearchParams, type SearchParams } from '@/app/_server/search-params';
import { requirePageUser } from '@/app/_server/session';
import { parseId } from '../../_lib/ids';
import { AnomalyView } from './anomaly-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Anomaly · Pulse' };

/**
 * An anomaly's drill-down. Its chart shows the windows around it, or the range in the URL
 * (`?from=…&to=…`, set by the range picker and by dragging across the chart).
 */
export default async function AnomalyPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<SearchParams>;
}) {
  const { id: raw } = await params;
  const query = toSearchParams(await searchParams);
  const self = `/anomalies/${encodeURIComponent(raw)}`;
  const user = await requirePageUser(query.size > 0 ? `${self}?${query.toString()}` : self);
  const id = parseId(raw);
  if (id === null) notFound();
  const { db, config } = webContext();
  const { view, range } = readPageRange(query);
  const [detail, history] = await Promise.all([
    loadAnomalyDetail(db, id, config.windowMs, { range }),
    listAnomalyEvents(db, id),
  ]);
  if (!detail) notFound();
  // What the chart spans: the URL's range, or the windows read around the anomaly.
  const chart = range ?? {
    from: detail.points[0]?.windowStart ?? detail.firstWindow,
    to: (detail.points.at(-1)?.windowStart ?? detail.lastWindow) + detail.windowMs,
  };
  const [incident, annotations, spans] = await Promise.all([
    detail.incidentId === null ? null : incidentDetail(db, detail.incidentId),
    // The annotations over the chart (a deploy just before the drop is the first lead).
    annotationsBetween(db, {
      from: new Date(chart.from),
      to: new Date(chart.to),
      metricKey: detail.metricKey,
    }),
    // The metric's other anomalies in view, drawn beside this one.
    anomaliesInRange(db, detail.metricId, chart, detail.windowMs),
  ]);
  return (
    <AnomalyView
      // A new range is a new chart: the view starts again from what the server read.
      key={view.range ? `${view.range.from}|${view.range.to}` : 'around'}
      initial={detail}
      history={history}
      incident={incident}
      annotations={annotations.annotations}
      others={spans.filter((a) => a.id !== detail.id)}
      view={view}
      range={range}
      user={{ username: user.username, role: user.role }}
    />
  );
}
