import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { listAnomalyEvents } from '@/db/queries/anomalies';
import { annotationsBetween } from '@/db/queries/annotations';
import { incidentDetail } from '@/db/queries/incident-views';
import { loadAnomalyDetail } from '@/db/queries/views';
import { webContext } from '@/app/_server/context';
import { requirePageUser } from '@/app/_server/session';
import { parseId } from '../../_lib/ids';
import { AnomalyView } from './anomaly-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Anomaly · Pulse' };

export default async function AnomalyPage({ params }: { params: Promise<{ id: string }> }) {
  const { id: raw } = await params;
  const user = await requirePageUser(`/anomalies/${encodeURIComponent(raw)}`);
  const id = parseId(raw);
  if (id === null) notFound();
  const { db, config } = webContext();
  const [detail, history] = await Promise.all([
    loadAnomalyDetail(db, id, config.windowMs),
    listAnomalyEvents(db, id),
  ]);
  if (!detail) notFound();
  // The annotations over the chart's windows (a deploy just before the drop is the first lead).
  const first = detail.points[0]?.windowStart ?? detail.firstWindow;
  const last = (detail.points.at(-1)?.windowStart ?? detail.lastWindow) + detail.windowMs;
  const [incident, annotations] = await Promise.all([
    detail.incidentId === null ? null : incidentDetail(db, detail.incidentId),
    annotationsBetween(db, {
      from: new Date(first),
      to: new Date(last),
      metricKey: detail.metricKey,
    }),
  ]);
  return (
    <AnomalyView
      initial={detail}
      history={history}
      incident={incident}
      annotations={annotations.annotations}
      user={{ username: user.username, role: user.role }}
    />
  );
}
