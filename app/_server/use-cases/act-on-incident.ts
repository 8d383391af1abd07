/**
 * Use case: a person (editor or admin) acts on a whole incident — acknowledge, unacknowledge,
 * snooze, unsnooze, resolve, reopen. Acting on an incident is acting on each of its anomalies
 * whose state allows the action (lib/alerts/workflow.ts `transitionError`), the others left as
 * they are: acknowledging an incident whose anomaly A was acknowledged already acknowledges B
 * and C. One transaction: lock the incident's anomalies (ascending id, the lock order of
 * db/queries/incidents.ts), apply the action to each that allows it — the same step as acting
 * on one anomaly (./act-on-anomaly.ts `actOnAnomalyInTransaction`: its row, its audit trail,
 * its `anomaly` NOTIFY) — then refresh the incident, which locks its row, re-derives it and
 * writes the notification the change made due (acknowledge, resolve) to the outbox with its
 * `incident` NOTIFY. When no anomaly allows the action, nothing is written: a 409 that says why.
 */
import {
  toRequest,
  type AnomalyStatus,
  type IncidentAction,
  type IncidentActionBody,
  type LifecycleRequest,
} from '@/lib/alerts/workflow';
import type { Config } from '@/lib/config/schema';
import { ConflictError, InvalidInputError, NotFoundError } from '@/lib/errors';
import type { Logger } from '@/lib/observability/log';
import type { IncidentSummary } from '@/lib/views';
import type { Db } from '@/db/client';
import type { SessionUser } from '@/db/queries/auth';
import { incidentExists, incidentSummary } from '@/db/queries/incident-views';
import {
  lockIncidentAnomalies,
  refreshIncident,
  type IncidentSettings,
} from '@/db/queries/incidents';
import { actOnAnomalyInTransaction, incidentSettingsOf } from './act-on-anomaly';

export type IncidentActionResult =
  | { ok: true; summary: IncidentSummary; anomalyIds: number[] }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; message: string };

/** Why no anomaly of the incident allowed the action, when their reasons differ. */
const REFUSED: Record<IncidentAction, string> = {
  acknowledge: 'Every open anomaly of this incident is acknowledged already.',
  unacknowledge: 'No anomaly of this incident is acknowledged.',
  resolve: 'Only an open incident can be resolved.',
  reopen: 'Only a resolved incident can be reopened.',
  snooze: 'Only an open incident can be snoozed.',
  unsnooze: 'No anomaly of this incident is snoozed.',
};

/** An anomaly's refusal (lib/alerts/workflow.ts) said of the incident. */
const ofIncident = (refusal: string) =>
  refusal
    .replace('This anomaly', 'This incident')
    .replace('an open anomaly', 'an open incident')
    .replace('a resolved anomaly', 'a resolved incident');

/**
 * The 409's sentence when no anomaly allowed the action: withdrawn anomalies aside (they allow
 * nothing but verdicts), the reason the others share, else one for the action.
 */
export function incidentRefusal(
  action: IncidentAction,
  refusals: readonly { refusal: string; status: AnomalyStatus }[],
): string {
  const rest = [...new Set(refusals.filter((r) => r.status !== 'withdrawn').map((r) => r.refusal))];
  if (rest.length === 0) {
    return 'Every anomaly of this incident was withdrawn (late data showed none was one).';
  }
  return rest.length === 1 ? ofIncident(rest[0]!) : REFUSED[action];
}

/**
 * Applies one person's action to every anomaly of an incident that allows it, in one
 * transaction; the outcome as a value, with the ids of the anomalies it changed. `now`
 * defaults to the clock, read after the locks.
 */
export async function applyIncidentAction(
  db: Db,
  input: {
    incidentId: number;
    userId: number;
    request: LifecycleRequest & { action: IncidentAction };
    incidents: IncidentSettings;
    now?: Date;
  },
): Promise<IncidentActionResult> {
  const { incidentId, userId, request } = input;
  const outcome = await db.transaction(
    async (tx): Promise<Exclude<IncidentActionResult, { ok: true }> | number[]> => {
      if (!(await incidentExists(tx, incidentId))) return { ok: false, reason: 'not_found' };
      const ids = await lockIncidentAnomalies(tx, incidentId);
      // Read the clock after the locks: an action that waited is judged on what it waited for.
      const at = input.now ?? new Date();
      const applied: number[] = [];
      const refusals: { refusal: string; status: AnomalyStatus }[] = [];
      for (const anomalyId of ids) {
        const done = await actOnAnomalyInTransaction(tx, { anomalyId, userId, request, at });
        if (done === null) applied.push(anomalyId);
        else if (done !== 'not_found') refusals.push(done);
      }
      if (applied.length === 0) {
        if (ids.length === 0) {
          return { ok: false, reason: 'conflict', message: 'This incident has no anomalies.' };
        }
        const message = incidentRefusal(request.action, refusals);
        return { ok: false, reason: 'conflict', message };
      }
      await refreshIncident(tx, incidentId, input.incidents, at);
      return applied;
    },
  );
  if (!Array.isArray(outcome)) return outcome;
  const summary = await incidentSummary(db, incidentId);
  return summary ? { ok: true, summary, anomalyIds: outcome } : { ok: false, reason: 'not_found' };
}

/**
 * The action a request body asks for, applied to the incident: its updated summary. A 400 for
 * a snooze time that is not in the future (or too far), 404 for an unknown incident, 409 (with
 * the reason, in words) when none of its anomalies allows the action.
 */
export async function actOnIncident(
  deps: { db: Db; log: Logger; now: () => number; config: Config },
  input: { incidentId: number; user: SessionUser; body: IncidentActionBody },
): Promise<IncidentSummary> {
  const { db, log, now } = deps;
  const checked = toRequest(input.body, now());
  if (!checked.ok) throw new InvalidInputError('Check the action.', checked.fields);
  const request = checked.value as LifecycleRequest & { action: IncidentAction };
  const result = await applyIncidentAction(db, {
    incidentId: input.incidentId,
    userId: input.user.id,
    request,
    incidents: incidentSettingsOf(deps.config),
  });
  if (!result.ok) {
    if (result.reason === 'not_found') throw new NotFoundError('No such incident.');
    throw new ConflictError(result.message);
  }
  log.info(
    {
      incident: input.incidentId,
      anomalies: result.anomalyIds,
      action: request.action,
      user: input.user.username,
    },
    'incident action',
  );
  return result.summary;
}
