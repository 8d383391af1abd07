import { z } from 'zod';
import { InvalidInputError } from '@/lib/errors';
import { resolveRange } from '@/lib/explore/time-range';
import { loadBoard } from '@/db/queries/views';
import { route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

const Query = z.object({ from: z.string().optional(), to: z.string().optional() });

/**
 * The live board: metrics with their points, recent anomalies. The points are the last 60
 * windows, or with `?from=…&to=…` (now-6h, epoch ms or ISO 8601, as in the pages' URLs; either
 * end defaults to the last 6 hours') those in the range, downsampled to about 300 per metric.
 */
export const GET = route({ role: 'viewer', query: Query }, ({ db, config, query, now }) => {
  if (query.from === undefined && query.to === undefined) {
    return loadBoard(db, { windowMs: config.windowMs });
  }
  const range = resolveRange({ from: query.from ?? 'now-6h', to: query.to ?? 'now' }, now());
  if (!range.ok) {
    throw new InvalidInputError('Bad query parameters.', { [range.field]: range.error });
  }
  return loadBoard(db, { windowMs: config.windowMs, range });
});
