/**
 * Use case: an admin creates a notification channel (webhook, Slack or email) in the browser or
 * over the API. Its credentials are stored and never answered again: the answer is the channel
 * as listed (its target, type and flags).
 */
import { ConflictError } from '@/lib/errors';
import type { ChannelCreateInput } from '@/lib/alerts/notify/settings-input';
import { channelTarget, type ChannelView } from '@/lib/alerts/notify/settings-view';
import { getChannel, insertChannel } from '@/db/queries/notify-settings';
import type { NotifyActor, NotifyDeps } from './notify-admin';

export async function createChannel(
  deps: NotifyDeps,
  input: { actor: NotifyActor; channel: ChannelCreateInput },
): Promise<ChannelView> {
  const { config, isDefault, enabled } = input.channel;
  const now = new Date(deps.now());
  const created = await deps.db.transaction(async (tx) => {
    const inserted = await insertChannel(tx, {
      config,
      target: channelTarget(config),
      isDefault,
      enabled,
      createdBy: input.actor.id,
      now,
    });
    if (!inserted) {
      throw new ConflictError(`A channel with the id ${config.id} already exists.`, {
        id: 'this id is taken: choose another',
      });
    }
    return (await getChannel(tx, config.id))!;
  });
  deps.log.info(
    { channel: created.id, type: created.type, by: input.actor.username },
    'notification channel created',
  );
  return created;
}
