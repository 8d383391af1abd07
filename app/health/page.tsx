import type { Metadata } from 'next';
import { loadHealth } from '@/db/queries/health';
import { getDb } from '@/lib/server/context';
import { requirePageUser } from '@/lib/server/session';
import { getSql } from '@/lib/server/sql';
import { liveMetrics } from '@/lib/server/telemetry';
import { HealthView } from './health-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Health · Pulse' };

export default async function HealthPage() {
  const user = await requirePageUser('/health');
  const [health, live] = await Promise.all([
    loadHealth(getDb()),
    // The page still renders without them; the client retries every few seconds.
    liveMetrics(getSql()).catch(() => null),
  ]);
  return (
    <HealthView
      initial={health}
      initialLive={live}
      user={{ username: user.username, role: user.role }}
    />
  );
}
