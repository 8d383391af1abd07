import { NextResponse } from 'next/server';
import { loadAnomalyDetail } from '@/db/queries/views';
import { config } from '@/env';
import { NO_STORE } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { parseId } from '../../../_lib/ids';

export const dynamic = 'force-dynamic';

/** One anomaly with its explanation and the metric's points around it. */
export const GET = handle(
  async (_request: Request, context: { params: Promise<{ id: string }> }) => {
    await requireApiUser('viewer');
    const id = parseId((await context.params).id);
    const detail = id === null ? null : await loadAnomalyDetail(getDb(), id, config().windowMs);
    if (!detail) throw new HttpError(404, 'No such anomaly.');
    return NextResponse.json(detail, { headers: NO_STORE });
  },
);
