import { NextResponse } from 'next/server';
import { anomalyExists, listAnomalyEvents } from '@/db/queries/alerts';
import { NO_STORE } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { handle, HttpError } from '@/app/_server/errors';
import { requireApiUser } from '@/app/_server/session';
import { parseId } from '../../../../_lib/ids';

export const dynamic = 'force-dynamic';

/** The anomaly's audit trail, newest first: who did what and when, with notes. */
export const GET = handle(
  async (_request: Request, context: { params: Promise<{ id: string }> }) => {
    await requireApiUser('viewer');
    const id = parseId((await context.params).id);
    const db = getDb();
    if (id === null || !(await anomalyExists(db, id))) {
      throw new HttpError(404, 'No such anomaly.');
    }
    return NextResponse.json(await listAnomalyEvents(db, id), { headers: NO_STORE });
  },
);
