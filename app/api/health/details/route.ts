import { NextResponse } from 'next/server';
import { loadHealth } from '@/db/queries/health';
import { NO_STORE } from '@/lib/server/api';
import { getDb } from '@/lib/server/context';
import { handle } from '@/lib/server/errors';
import { requireApiUser } from '@/lib/server/session';

export const dynamic = 'force-dynamic';

/**
 * Pipeline health for operators: accounting per partition, quarantine counts by reason and the
 * newest quarantined events. (`/api/health` itself is server.ts's unauthenticated liveness probe.)
 */
export const GET = handle(async () => {
  await requireApiUser('viewer');
  const health = await loadHealth(getDb());
  return NextResponse.json(health, { headers: NO_STORE });
});
