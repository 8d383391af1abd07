import { IncidentActionBody } from '@/lib/alerts/workflow';
import { actOnIncident } from '@/app/_server/use-cases/act-on-incident';
import { IncidentIdParams, route } from '@/app/_server/api-route';

export const dynamic = 'force-dynamic';

/**
 * A person acts on a whole incident (editors and admins): acknowledge, unacknowledge, snooze,
 * unsnooze, resolve, reopen — on each of its anomalies that allows it, in one transaction that
 * also writes the notification the change makes due. Body `{ action, note?, preset?, until? }`;
 * answers the updated incident. When no anomaly allows it, a 409 that says why.
 */
export const POST = route(
  {
    role: 'editor',
    params: IncidentIdParams,
    body: IncidentActionBody,
    invalid: 'Check the action.',
    text: { multiline: ['note'] },
  },
  ({ db, log, now, config, params, user, body }) =>
    actOnIncident({ db, log, now, config }, { incidentId: params.id, user, body }),
);
