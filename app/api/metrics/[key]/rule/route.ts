import { z } from 'zod';
import { alertRuleShape, thresholdOrder } from '@/lib/detection/rule';
import { MetricKeyParams, route } from '@/app/_server/api-route';
import { saveRule } from '@/app/_server/use-cases/save-rule';

export const dynamic = 'force-dynamic';

/** The rule's fields (lib/detection/rule.ts) and whether to re-score stored history with it. */
const RuleBody = z
  .strictObject({
    ...alertRuleShape,
    rescore: z.boolean({ error: 'Re-score must be true or false.' }).optional(),
  })
  .check(thresholdOrder);

/**
 * Replaces a metric's alert rule (editors only). The detector reads rules fresh for every
 * window, so the change applies from the next window; the live tier is told via NOTIFY. With
 * `rescore: true` it also asks the detector to re-score the stored windows the preview covers
 * (metrics.rescore_from).
 */
export const PUT = route(
  {
    role: 'editor',
    params: MetricKeyParams,
    body: RuleBody,
    invalid: 'Check the highlighted fields.',
  },
  ({ db, log, now, config, params, user, body: { rescore, ...rule } }) =>
    saveRule(
      { db, log, now },
      { key: params.key, rule, rescore: rescore === true, user, baseWindowMs: config.windowMs },
    ),
);
