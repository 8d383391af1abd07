import { loadBoard } from '@/db/queries/views';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/** The live board: metrics with their recent points, recent anomalies. */
export const GET = route({ role: 'viewer' }, ({ db, config }) =>
  loadBoard(db, { windowMs: config.windowMs }),
);
