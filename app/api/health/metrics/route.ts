import { NextResponse } from 'next/server';
import { NO_STORE } from '@/app/_server/http';
import { handle } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { getSql } from '@/app/_server/sql';
import { liveMetrics } from '@/app/_server/metrics-endpoint';

export const dynamic = 'force-dynamic';

/**
 * The live figures of the Health page, for signed-in users: the same metrics as `/metrics`
 * (this web process merged with fresh worker snapshots), summed up — throughput, flush
 * latency, lags per partition, buffers, quarantine by reason, socket connections.
 */
export const GET = handle(async () => {
  await requireApiUser('viewer');
  return NextResponse.json(await liveMetrics(getSql()), { headers: NO_STORE });
});
