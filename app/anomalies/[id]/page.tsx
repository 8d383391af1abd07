import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { listAnomalyEvents } from '@/db/queries/anomalies';
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
  return (
    <AnomalyView
      initial={detail}
      history={history}
      user={{ username: user.username, role: user.role }}
    />
  );
}
