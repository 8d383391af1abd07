import { z } from 'zod';
import { REINGEST_MAX_IDS } from '@/db/sources/reingest';
import { webTelemetry } from '@/app/_server/metrics-endpoint';
import { route } from '@/app/_server/api-route';
import { reingestEvents } from '@/app/_server/use-cases/reingest-quarantined';

export const dynamic = 'force-dynamic';

const Body = z.strictObject({
  ids: z
    .array(z.number().int().positive().max(Number.MAX_SAFE_INTEGER), {
      error: 'expected a list of quarantine ids',
    })
    .min(1, { error: 'choose at least one event' })
    .max(REINGEST_MAX_IDS, { error: `at most ${REINGEST_MAX_IDS} at a time` }),
});

/**
 * Re-ingests selected quarantined events (admins only): one transaction folds the ones not
 * re-ingested yet through the pipeline as source `reingest` and marks them (see
 * db/sources/reingest.ts). Answers with the counts, and why any were refused.
 */
export const POST = route(
  { role: 'admin', body: Body, invalid: 'Choose the events to re-ingest.' },
  ({ sql, log, now, config, user, body }) =>
    reingestEvents(
      { sql, log, now, telemetry: webTelemetry() },
      {
        ids: body.ids,
        user,
        windowMs: config.windowMs,
        outOfOrderMs: config.outOfOrderMs,
        maxValuesPerDim: config.maxValuesPerDim,
      },
    ),
);
