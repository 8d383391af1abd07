import { z } from 'zod';
import { anomalySummaries } from '@/db/queries/views';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

const Query = z.object({
  after: z
    .string()
    .regex(/^\d{1,15}$/, { error: 'after must be an anomaly id (a non-negative integer).' })
    .transform(Number)
    .optional(),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, { error: 'limit must be an integer from 1 to 500.' })
    .transform(Number)
    .pipe(z.number().min(1, { error: 'limit must be at least 1.' }).max(500))
    .optional(),
});

/** Anomaly summaries, most recently updated first; `?after=ID` for catch-up after a reconnect. */
export const GET = route({ role: 'viewer', query: Query }, ({ db, query }) =>
  anomalySummaries(db, {
    ...(query.after !== undefined ? { afterId: query.after } : {}),
    limit: query.limit ?? (query.after !== undefined ? 500 : 50),
  }),
);
