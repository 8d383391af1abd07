import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import {
  getMetric as getMetricById,
  getMetricByKey,
  getMetricItem,
  savedRule,
} from '@/db/queries/metrics';
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
  const { db } = webContext();
  const [metric, row] = await Promise.all([getMetricItem(db, key), getMetricByKey(db, key)]);
  if (!metric || !row) notFound();
  // A split's series follows its parent (lib/metrics/split.ts): it is read here, edited there.
  const parent = row.parentId === null ? null : await getMetricById(db, row.parentId);
  return (
    <DefinitionForm
      user={{ username: user.username, role: user.role }}
      canEdit={hasRole(user, 'editor') && parent === null}
      catalog={await loadCatalog()}
      windowMs={webContext().config.windowMs}
      metric={metric}
      rule={savedRule(row)}
      parent={parent ? { key: parent.key, name: parent.name } : null}
    />
  );
}
