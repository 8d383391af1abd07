import { listMetricItems } from '@/db/queries/metrics';
import { DefinitionBody, json, route } from '@/app/_server/api-route';
import { createMetric } from '@/app/_server/use-cases/create-metric';

export const dynamic = 'force-dynamic';

/** Every metric, enabled or not, with its last scored window. */
export const GET = route({ role: 'viewer' }, async ({ db }) => ({
  metrics: await listMetricItems(db),
}));

/**
 * Creates a metric (editors only). Field errors come back as `fields`, keyed like the form
 * (`key`, `eventType`, `filters.region`, …). The detector scores it from the next window.
 */
export const POST = route(
  { role: 'editor', body: DefinitionBody, invalid: 'Check the highlighted fields.' },
  async ({ db, log, now, user, body }) =>
    json(
      { metric: await createMetric({ db, log, now }, { definition: body, user }) },
      { status: 201 },
    ),
);
