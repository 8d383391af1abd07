import { NextResponse } from 'next/server';
import { loadBoard } from '@/db/queries/views';
import { config } from '@/env';
import { NO_STORE } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { handle } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/** The live board: metrics with their recent points, recent anomalies. */
export const GET = handle(async () => {
  await requireApiUser('viewer');
  const board = await loadBoard(getDb(), { windowMs: config().windowMs });
  return NextResponse.json(board, { headers: NO_STORE });
});
