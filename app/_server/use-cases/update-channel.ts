/**
 * Use case: an admin changes a channel set in the browser: some of its settings (those left out
 * keep their stored value, so credentials need not be typed again), whether it is enabled, and
 * whether it is a default channel. Provisioned channels are read-only (409).
 */
import { InvalidInputError } from '@/lib/errors';
import {
  channelConfig,
  channelSettings,
  checkChannelSettings,
  type ChannelUpdateInput,
} from '@/lib/alerts/notify/settings-input';
import { channelTarget, type ChannelView } from '@/lib/alerts/notify/settings-view';
import { getChannel, updateChannel as writeChannel } from '@/db/queries/notify-settings';
import { lockChangeableChannel, type NotifyActor, type NotifyDeps } from './notify-admin';

export async function updateChannel(
  deps: NotifyDeps,
  input: { actor: NotifyActor; id: string; change: ChannelUpdateInput },
): Promise<ChannelView> {
  const { isDefault, enabled, ...settings } = input.change;
  const now = new Date(deps.now());
  const updated = await deps.db.transaction(async (tx) => {
    const channel = await lockChangeableChannel(tx, input.id);
    const checked = checkChannelSettings(channel.type, settings, 'update');
    if (Object.keys(checked.errors).length > 0) {
      throw new InvalidInputError('Check the highlighted fields.', checked.errors);
    }
    const changesSettings = Object.keys(checked.value).length > 0;
    const config = changesSettings
      ? channelConfig(channel.id, channel.type, {
          ...channelSettings(channel.config),
          ...checked.value,
        })
      : undefined;
    await writeChannel(
      tx,
      channel.id,
      { config, target: config ? channelTarget(config) : undefined, isDefault, enabled },
      now,
    );
    return (await getChannel(tx, channel.id))!;
  });
  deps.log.info(
    {
      channel: updated.id,
      by: input.actor.username,
      // Which settings changed, never their values.
      settings: Object.keys(settings).filter(
        (k) => settings[k as keyof typeof settings] !== undefined,
      ),
      enabled: updated.enabled,
      isDefault: updated.isDefault,
    },
    'notification channel changed',
  );
  return updated;
}
