import { z } from 'zod';
import { boardIncidents, incidentsChangedSince } from '@/db/queries/incident-views';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

const Query = z.object({
  since: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'since must be a time in epoch milliseconds.' })
    .transform(Number)
    .optional(),
});

/**
 * Incidents with their anomalies: the board's (open, and resolved within a day), newest first;
 * `?since=MS` for catch-up after a reconnect: every incident changed after that time.
 */
export const GET = route({ role: 'viewer', query: Query }, ({ db, query }) =>
  query.since !== undefined ? incidentsChangedSince(db, query.since) : boardIncidents(db),
);
