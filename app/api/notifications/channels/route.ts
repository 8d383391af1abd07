import { ChannelCreateBody } from '@/lib/alerts/notify/settings-input';
import { listChannels } from '@/db/queries/notify-settings';
import { json, route } from '@/app/_server/api-route';
import { createChannel } from '@/app/_server/use-cases/create-channel';

export const dynamic = 'force-dynamic';

/**
 * Every notification channel (admins only): id, type, target (a URL's origin or the
 * recipients), flags, `hasSecret: true` and the latest delivery; never a credential.
 */
export const GET = route({ role: 'admin' }, async ({ db }) => ({
  channels: await listChannels(db),
}));

/**
 * Creates a channel: `{ id, type: 'webhook', url, secret }`, `{ id, type: 'slack', webhookUrl }`
 * or `{ id, type: 'email', to, from, smtp }`, with `isDefault?` and `enabled?`. The answer is
 * the channel as listed (201): its credentials are never answered.
 */
export const POST = route(
  { role: 'admin', body: ChannelCreateBody, invalid: 'Check the highlighted fields.' },
  async ({ db, log, now, user, body }) =>
    json(
      { channel: await createChannel({ db, log, now }, { actor: user, channel: body }) },
      {
        status: 201,
      },
    ),
);
