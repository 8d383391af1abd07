import { NextResponse } from 'next/server';
import { anomalyExists, listAnomalyEvents } from '@/db/queries/lifecycle';
import { NO_STORE } from '@/lib/server/api';
import { getDb } from '@/lib/server/context';
import { handle, HttpError } from '@/lib/server/errors';
import { requireApiUser } from '@/lib/server/session';
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
