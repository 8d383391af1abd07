/**
 * Use case: a person (editor or admin) acts on an anomaly — acknowledge, resolve, snooze,
 * verdicts. Each action is one transaction: lock the anomaly's row, check the transition
 * (lib/alerts/workflow.ts), stamp who and when on the row, append to the audit trail
 * (`anomaly_events`), queue the `anomaly` NOTIFY (db/queries/notify.ts), and refresh the
 * anomaly's incident (db/queries/incidents.ts: its stamps, the notifications it is now owed,
 * its `incident` NOTIFY). PostgreSQL delivers a NOTIFY only after its transaction commits —
 * after the change is visible to the relay's read — and never for a rolled-back one, so no
 * browser hears of an action that did not happen. Acting on a whole incident
 * (./act-on-incident.ts) runs the same step, {@link actOnAnomalyInTransaction}, per anomaly.
 */
import {
  toRequest,
  transitionError,
  type ActionBody,
  type AnomalyStatus,
  type LifecycleRequest,
} from '@/lib/alerts/workflow';
import type { Config } from '@/lib/config/schema';
import { ConflictError, InvalidInputError, NotFoundError } from '@/lib/errors';
import type { Logger } from '@/lib/observability/log';
import type { AnomalySummary } from '@/lib/views';
import type { Db } from '@/db/client';
import {
  applyAnomalyAction,
  insertAnomalyEvent,
  lockAnomalyForAction,
  usernameOf,
} from '@/db/queries/anomalies';
import type { SessionUser } from '@/db/queries/auth';
import type { Tx } from '@/db/queries/executor';
import { incidentOfAnomaly, refreshIncident, type IncidentSettings } from '@/db/queries/incidents';
import { notifyInTransaction } from '@/db/queries/notify';
import { anomalySummary } from '@/db/queries/views';

export type ActionResult =
  | { ok: true; summary: AnomalySummary }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'conflict'; message: string };

/**
 * What refreshing an incident needs from the web process's configuration: links in messages
 * point at PULSE_PUBLIC_URL, the schedule is PULSE_NOTIFY_GROUP_WAIT and _REPEAT_INTERVAL, and
 * windows are PULSE_WINDOW long — as the worker's detector has them.
 */
export function incidentSettingsOf(config: Config): IncidentSettings {
  return {
    publicUrl: config.notify.publicUrl,
    schedule: config.notify.schedule,
    baseWindowMs: config.windowMs,
  };
}

/**
 * One person's action on one anomaly, inside the caller's transaction: locks the anomaly's row
 * (the caller may hold it already), checks the transition at `at`, stamps who and when on the
 * row, appends to the audit trail and queues the `anomaly` NOTIFY. Refreshing the anomaly's
 * incident is the caller's (after all of its anomalies were acted on). Returns null when done,
 * 'not_found', or why the anomaly's state does not allow it (with its status).
 */
export async function actOnAnomalyInTransaction(
  tx: Tx,
  input: { anomalyId: number; userId: number; request: LifecycleRequest; at: Date },
): Promise<null | 'not_found' | { refusal: string; status: AnomalyStatus }> {
  const { anomalyId, userId, request, at } = input;
  const row = await lockAnomalyForAction(tx, anomalyId);
  if (!row) return 'not_found';
  const acknowledgedBy =
    request.action === 'acknowledge' && row.acknowledgedBy !== null
      ? await usernameOf(tx, row.acknowledgedBy)
      : null;
  const refusal = transitionError(
    {
      status: row.status,
      acknowledgedAt: row.acknowledgedAt?.getTime() ?? null,
      acknowledgedBy,
      snoozedUntil: row.snoozedUntil?.getTime() ?? null,
      verdict: row.verdict,
    },
    request.action,
    at.getTime(),
  );
  if (refusal) return { refusal, status: row.status };

  await applyAnomalyAction(tx, anomalyId, request, userId, at);
  const detail: Record<string, unknown> = {};
  if (request.note !== null) detail.note = request.note;
  if (request.action === 'snooze') detail.until = new Date(request.until).toISOString();
  if (
    (request.action === 'mark_true_positive' ||
      request.action === 'mark_false_positive' ||
      request.action === 'clear_verdict') &&
    row.verdict !== null
  ) {
    detail.previous = row.verdict;
  }
  await insertAnomalyEvent(tx, { anomalyId, userId, at, action: request.action, detail });
  await notifyInTransaction(tx, { kind: 'anomaly', id: anomalyId });
  return null;
}

/**
 * Applies one person's action to an anomaly; the outcome as a value. Concurrent actions on the
 * same anomaly are serialized by the row lock, so the second of two identical ones sees the
 * first and is refused as a conflict instead of writing twice. The anomaly's incident is
 * refreshed in the same transaction (the anomaly's row locked first, then the incident's, the
 * lock order of db/queries/incidents.ts): acknowledging its last unacknowledged anomaly
 * acknowledges the incident and writes its notification. `now` defaults to the clock, read
 * after the lock.
 */
export async function applyLifecycleAction(
  db: Db,
  input: {
    anomalyId: number;
    userId: number;
    request: LifecycleRequest;
    incidents: IncidentSettings;
    now?: Date;
  },
): Promise<ActionResult> {
  const { anomalyId, userId, request } = input;
  const outcome = await db.transaction(async (tx): Promise<ActionResult | null> => {
    // Lock before reading the clock: a waiting action is judged against the state it waited for.
    if (!(await lockAnomalyForAction(tx, anomalyId))) return { ok: false, reason: 'not_found' };
    const at = input.now ?? new Date();
    const done = await actOnAnomalyInTransaction(tx, { anomalyId, userId, request, at });
    if (done === 'not_found') return { ok: false, reason: 'not_found' };
    if (done) return { ok: false, reason: 'conflict', message: done.refusal };
    const incidentId = await incidentOfAnomaly(tx, anomalyId);
    if (incidentId !== null) await refreshIncident(tx, incidentId, input.incidents, at);
    return null;
  });
  if (outcome) return outcome;
  const summary = await anomalySummary(db, anomalyId);
  // Deleted between the commit and the read (cascade from its metric): as good as not found.
  return summary ? { ok: true, summary } : { ok: false, reason: 'not_found' };
}

/**
 * The action a request body asks for, applied: the updated summary. A 400 for a snooze time that
 * is not in the future (or too far), 404 for an unknown anomaly, 409 (with the reason, in words)
 * for an action the anomaly's state does not allow.
 */
export async function actOnAnomaly(
  deps: { db: Db; log: Logger; now: () => number; config: Config },
  input: { anomalyId: number; user: SessionUser; body: ActionBody },
): Promise<AnomalySummary> {
  const { db, log, now } = deps;
  const checked = toRequest(input.body, now());
  if (!checked.ok) throw new InvalidInputError('Check the action.', checked.fields);
  const result = await applyLifecycleAction(db, {
    anomalyId: input.anomalyId,
    userId: input.user.id,
    request: checked.value,
    incidents: incidentSettingsOf(deps.config),
  });
  if (!result.ok) {
    if (result.reason === 'not_found') throw new NotFoundError('No such anomaly.');
    throw new ConflictError(result.message);
  }
  log.info(
    { anomaly: input.anomalyId, action: checked.value.action, user: input.user.username },
    'anomaly action',
  );
  return result.summary;
}
