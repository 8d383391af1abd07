import { NotFoundError } from '@/lib/errors';
import { incidentDetail } from '@/db/queries/incident-views';
import { IncidentIdParams, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/** One incident with its anomalies and its delivery log (channels by id, never their secrets). */
export const GET = route({ role: 'viewer', params: IncidentIdParams }, async ({ db, params }) => {
  const detail = await incidentDetail(db, params.id);
  if (!detail) throw new NotFoundError('No such incident.');
  return detail;
});
