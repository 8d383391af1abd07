/**
 * Use case: an editor or admin silences incidents for a while — by metric, severity and cause —
 * saying why; from the settings page, or from an incident (`incidentId`). Silenced incidents
 * still show on the board but send nothing until it ends. Open incidents look at their
 * notifications again at once (a silence may now hold one back).
 */
import { InvalidInputError } from '@/lib/errors';
import { checkSilenceTimes, type SilenceInput } from '@/lib/alerts/notify/settings-input';
import type { SilenceView } from '@/lib/alerts/notify/settings-view';
import { incidentExists, insertSilence } from '@/db/queries/notify-settings';
import { recheckIncidents, type NotifyActor, type NotifyDeps } from './notify-admin';

export async function createSilence(
  deps: NotifyDeps,
  input: { actor: NotifyActor; silence: SilenceInput },
): Promise<SilenceView> {
  const nowMs = deps.now();
  const now = new Date(nowMs);
  const { silence } = input;
  const times = checkSilenceTimes(silence, nowMs);
  if (Object.keys(times.errors).length > 0) {
    throw new InvalidInputError('Check when the silence ends.', times.errors);
  }
  const created = await deps.db.transaction(async (tx) => {
    if (silence.incidentId !== undefined && !(await incidentExists(tx, silence.incidentId))) {
      throw new InvalidInputError('No such incident.', { incidentId: 'no such incident' });
    }
    const row = await insertSilence(tx, {
      matchers: silence.matchers,
      comment: silence.comment,
      createdBy: input.actor.username,
      startsAt: new Date(times.startsAt),
      endsAt: new Date(times.endsAt),
      incidentId: silence.incidentId ?? null,
      now,
    });
    await recheckIncidents(tx, now);
    return row;
  });
  deps.log.info(
    {
      silence: created.id,
      by: input.actor.username,
      endsAt: new Date(created.endsAt).toISOString(),
      incident: created.incidentId,
    },
    'silence created',
  );
  return created;
}
