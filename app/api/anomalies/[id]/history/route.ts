import { NotFoundError } from '@/lib/errors';
import { anomalyExists, listAnomalyEvents } from '@/db/queries/anomalies';
import { AnomalyIdParams, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/** The anomaly's audit trail, newest first: who did what and when, with notes. */
export const GET = route({ role: 'viewer', params: AnomalyIdParams }, async ({ db, params }) => {
  if (!(await anomalyExists(db, params.id))) throw new NotFoundError('No such anomaly.');
  return listAnomalyEvents(db, params.id);
});
