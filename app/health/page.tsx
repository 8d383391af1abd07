import type { Metadata } from 'next';
import { loadHealth } from '@/db/queries/health';
import { getDb } from '@/lib/server/context';
import { requirePageUser } from '@/lib/server/session';
import { HealthView } from './health-view';

export const dynamic = 'force-dynamic';

export const metadata: Metadata = { title: 'Health · Pulse' };

export default async function HealthPage() {
  const user = await requirePageUser('/health');
  const health = await loadHealth(getDb());
  return <HealthView initial={health} user={{ username: user.username, role: user.role }} />;
}
