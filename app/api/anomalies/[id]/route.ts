import { NotFoundError } from '@/lib/errors';
import { loadAnomalyDetail } from '@/db/queries/views';
import { AnomalyIdParams, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/** One anomaly with its explanation and the metric's points around it. */
export const GET = route(
  { role: 'viewer', params: AnomalyIdParams },
  async ({ db, config, params }) => {
    const detail = await loadAnomalyDetail(db, params.id, config.windowMs);
    if (!detail) throw new NotFoundError('No such anomaly.');
    return detail;
  },
);
