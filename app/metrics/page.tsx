import type { Metadata } from 'next';
import { listMetricItems } from '@/db/queries/metrics';
import { webContext } from '@/app/_server/context';
import { hasRole, requirePageUser } from '@/app/_server/session';
import { MetricsList } from './metrics-list';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Metrics · Pulse' };

/** Every metric with its definition and last value; editors create, edit, pause and resume. */
export default async function MetricsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const user = await requirePageUser('/metrics');
  const metrics = await listMetricItems(webContext().db);
  const saved = (await searchParams).saved;
  return (
    <MetricsList
      user={{ username: user.username, role: user.role }}
      canEdit={hasRole(user, 'editor')}
      initial={metrics}
      windowMs={webContext().config.windowMs}
      saved={typeof saved === 'string' && metrics.some((m) => m.key === saved) ? saved : null}
    />
  );
}
