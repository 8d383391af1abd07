/**
 * Use case: an editor or admin ends a silence now (one yet to start never starts). Open
 * incidents look at their notifications again at once: what the silence held back is sent.
 * Idempotent: a silence already over is answered as it is. Provisioned silences are read-only.
 */
import { ConflictError, NotFoundError } from '@/lib/errors';
import { PROVISIONED_MESSAGE, type SilenceView } from '@/lib/alerts/notify/settings-view';
import { expireSilence as endSilence, getSilence } from '@/db/queries/notify-settings';
import { recheckIncidents, type NotifyActor, type NotifyDeps } from './notify-admin';

export async function expireSilence(
  deps: NotifyDeps,
  input: { actor: NotifyActor; id: number },
): Promise<SilenceView> {
  const now = new Date(deps.now());
  const { silence, ended } = await deps.db.transaction(async (tx) => {
    const current = await getSilence(tx, input.id, now, { forUpdate: true });
    if (!current) throw new NotFoundError('No such silence.');
    if (current.provisioned) throw new ConflictError(PROVISIONED_MESSAGE('This silence'));
    if (current.state === 'ended') return { silence: current, ended: false };
    await endSilence(tx, current.id, now);
    await recheckIncidents(tx, now);
    return { silence: (await getSilence(tx, current.id, now))!, ended: true };
  });
  if (ended) deps.log.info({ silence: silence.id, by: input.actor.username }, 'silence expired');
  return silence;
}
