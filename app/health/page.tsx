import type { Metadata } from 'next';
import { loadHealth } from '@/db/queries/health';
import { webContext } from '@/app/_server/context';
import { requirePageUser } from '@/app/_server/session';
import { liveMetrics } from '@/app/_server/metrics-endpoint';
import { HealthView } from './health-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Health · Pulse' };

export default async function HealthPage() {
  const user = await requirePageUser('/health');
  const [health, live] = await Promise.all([
    loadHealth(webContext().db),
    // The page still renders without them; the client retries every few seconds.
    liveMetrics(webContext().sql).catch(() => null),
  ]);
  return (
    <HealthView
      initial={health}
      initialLive={live}
      retention={webContext().config.retention}
      user={{ username: user.username, role: user.role }}
    />
  );
}
