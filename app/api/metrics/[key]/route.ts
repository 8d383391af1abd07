import { z } from 'zod';
import { NotFoundError } from '@/lib/errors';
import { validateDefinition } from '@/lib/metrics/definition';
import { getMetricItem } from '@/db/queries/metrics';
import { DefinitionFields, MetricKeyParams, route } from '@/app/_server/api-route';
import { updateMetric } from '@/app/_server/use-cases/update-metric';

export const dynamic = 'force-dynamic';

/** One metric's definition with its last scored window. */
export const GET = route({ role: 'viewer', params: MetricKeyParams }, async ({ db, params }) => {
  const metric = await getMetricItem(db, params.key);
  if (!metric) throw new NotFoundError('No such metric.');
  return { metric };
});

/**
 * `{ enabled?, definition?, rescore? }`, at least one of enabled and definition. A definition's
 * errors are keyed by its own fields (`name`, `filters.region`, …), as the form shows them, not
 * under `definition.`; its key is compared with the metric's by the use case, so any valid key
 * stands in for it while the other fields are checked.
 */
const PatchBody = z
  .strictObject({
    enabled: z.boolean({ error: 'Enabled is true or false.' }).optional(),
    definition: DefinitionFields.optional(),
    rescore: z.boolean({ error: 'Re-score is true or false.' }).optional(),
  })
  .refine((body) => body.enabled !== undefined || body.definition !== undefined, {
    error: 'Send enabled or a definition.',
  })
  .transform(({ definition, ...rest }, ctx) => {
    if (definition === undefined) return rest;
    const { key: sentKey, ...fields } = definition;
    const checked = validateDefinition({ ...fields, key: 'unchanged' });
    if (!checked.ok) {
      for (const [path, message] of Object.entries(checked.errors)) {
        ctx.addIssue({ code: 'custom', path: path.split('.'), message });
      }
      return z.NEVER;
    }
    const { key: _standIn, ...changed } = checked.definition;
    return { ...rest, definition: { definition: changed, sentKey } };
  });

/**
 * Changes a metric (editors only): `enabled` pauses or resumes scoring; `definition` replaces
 * the definition (the key never changes) and, with `rescore: true`, asks the detector to
 * re-score the last 24 h of stored windows with it. Open boards hear of it (NOTIFY `metric`).
 */
export const PATCH = route(
  {
    role: 'editor',
    params: MetricKeyParams,
    body: PatchBody,
    invalid: 'Check the highlighted fields.',
  },
  async ({ db, log, now, params, user, body }) => ({
    metric: await updateMetric({ db, log, now }, { key: params.key, user, ...body }),
  }),
);
