import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { listAnomalyEvents } from '@/db/queries/anomalies';
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
  const incident = detail.incidentId === null ? null : await incidentDetail(db, detail.incidentId);
  return (
    <AnomalyView
      initial={detail}
      history={history}
      incident={incident}
      user={{ username: user.username, role: user.role }}
    />
  );
}
