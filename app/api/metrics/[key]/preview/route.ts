import { z } from 'zod';
import { NotFoundError } from '@/lib/errors';
import { alertRuleShape, thresholdOrder } from '@/lib/detection/rule';
import { getMetricByKey } from '@/db/queries/metrics';
import { previewRule } from '@/db/queries/rule-preview';
import { MetricKeyParams, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

const PreviewBody = z.strictObject({
  rule: z
    .strictObject(alertRuleShape, { error: 'Send the rule to preview.' })
    .check(thresholdOrder),
  hours: z
    .int({ error: 'Hours must be a whole number.' })
    .min(1, { error: 'Hours must be between 1 and 24.' })
    .max(24, { error: 'Hours must be between 1 and 24.' })
    .optional(),
});

/**
 * What a candidate rule would have done over the metric's stored history (editors only, as
 * they are the ones who can save it): per window its verdict, the counts, and the anomalies it
 * would have opened, beside the same for the saved rule. Nothing is written.
 */
export const POST = route(
  {
    role: 'editor',
    params: MetricKeyParams,
    body: PreviewBody,
    invalid: 'Check the highlighted fields.',
  },
  async ({ db, config, now, params, body }) => {
    const metric = await getMetricByKey(db, params.key);
    if (!metric) throw new NotFoundError('No such metric.');
    return previewRule(db, metric, body.rule, {
      baseWindowMs: config.windowMs,
      now: now(),
      ...(body.hours !== undefined ? { hours: body.hours } : {}),
    });
  },
);
