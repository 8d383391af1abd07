import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { getMetricItem } from '@/db/queries/metrics';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { decodeSafeSegment, decodeSegment } from '../../../_lib/ids';
import { loadCatalog } from '../../catalog';
import { DefinitionForm } from '../../definition-form';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Metric definition · Pulse' };

/** A metric's definition: editors change it, viewers read it. */
export default async function EditMetricPage({ params }: { params: Promise<{ key: string }> }) {
  const raw = (await params).key;
  const user = await requirePageUser(`/metrics/${encodeURIComponent(decodeSegment(raw))}/edit`);
  // A key with a control character names no metric (and PostgreSQL would refuse a NUL).
  const key = decodeSafeSegment(raw);
  if (key === null) notFound();
  const metric = await getMetricItem(webContext().db, key);
  if (!metric) notFound();
  return (
    <DefinitionForm
      user={{ username: user.username, role: user.role }}
      canEdit={hasRole(user, 'editor')}
      catalog={await loadCatalog()}
      windowMs={webContext().config.windowMs}
      metric={metric}
    />
  );
}
