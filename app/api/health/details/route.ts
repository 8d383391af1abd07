import { NextResponse } from 'next/server';
import { loadHealth } from '@/db/queries/health';
import { NO_STORE } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { handle } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

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
