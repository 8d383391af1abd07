import { ActionBody } from '@/lib/alerts/workflow';
import { actOnAnomaly } from '@/app/_server/use-cases/act-on-anomaly';
import { AnomalyIdParams, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/**
 * A person acts on an anomaly (editors and admins): acknowledge, resolve, snooze, verdicts.
 * Body `{ action, note?, preset?, until? }`; answers the updated summary. An action the
 * anomaly's state does not allow is a 409 that says why. Every open board and drill-down hears
 * of the change through the NOTIFY the action's transaction sends; the anomaly's incident is
 * refreshed in the same transaction (and owes a notification when the action settled it).
 */
export const POST = route(
  {
    role: 'editor',
    params: AnomalyIdParams,
    body: ActionBody,
    invalid: 'Check the action.',
    text: { multiline: ['note'] },
  },
  ({ db, log, now, config, params, user, body }) =>
    actOnAnomaly({ db, log, now, config }, { anomalyId: params.id, user, body }),
);
