import { NextResponse } from 'next/server';
import { loadBoard } from '@/db/queries/views';
import { config } from '@/lib/config';
import { NO_STORE } from '@/lib/server/api';
import { getDb } from '@/lib/server/context';
import { handle } from '@/lib/server/errors';
import { requireApiUser } from '@/lib/server/session';

export const dynamic = 'force-dynamic';

/** The live board: metrics with their recent points, recent anomalies. */
export const GET = handle(async () => {
  await requireApiUser('viewer');
  const board = await loadBoard(getDb(), { windowMs: config().windowMs });
  return NextResponse.json(board, { headers: NO_STORE });
});
