import { ChannelUpdateBody } from '@/lib/alerts/notify/settings-input';
import { route } from '@/app/_server/api-route';
import { ChannelIdParams } from '@/app/_server/notify-schemas';
import { deleteChannel } from '@/app/_server/use-cases/delete-channel';
import { updateChannel } from '@/app/_server/use-cases/update-channel';

export const dynamic = 'force-dynamic';

/**
 * Changes a channel set in the browser (admins only): the settings given (left out: kept, so
 * credentials need not be sent again), `enabled`, `isDefault`. Provisioned channels: 409.
 * `{ channel }`, without credentials.
 */
export const PATCH = route(
  {
    role: 'admin',
    params: ChannelIdParams,
    body: ChannelUpdateBody,
    invalid: 'Check the highlighted fields.',
  },
  async ({ db, log, now, user, params, body }) => ({
    channel: await updateChannel({ db, log, now }, { actor: user, id: params.id, change: body }),
  }),
);

/**
 * Deletes a channel set in the browser (admins only). Refused (409) while a route names it, or
 * when it is provisioned. No body; `{ deleted: { id } }`.
 */
export const DELETE = route(
  { role: 'admin', params: ChannelIdParams },
  async ({ db, log, now, user, params }) => ({
    deleted: await deleteChannel({ db, log, now }, { actor: user, id: params.id }),
  }),
);
