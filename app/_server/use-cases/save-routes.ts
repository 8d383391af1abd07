/**
 * Use case: an admin saves the routes set in the browser — the whole ordered list at once, in
 * one transaction, so routing never sees half of an edit — and optionally which channels are
 * the defaults. Provisioned routes stay as the file says, tried before these. A route must
 * name channels that exist (400 naming the field).
 */
import { ConflictError, InvalidInputError, type FieldErrors } from '@/lib/errors';
import type { RoutesInput } from '@/lib/alerts/notify/settings-input';
import {
  PROVISIONED_MESSAGE,
  type ChannelView,
  type RouteView,
} from '@/lib/alerts/notify/settings-view';
import {
  channelIds,
  listChannels,
  listRoutes,
  lockRouting,
  replaceBrowserRoutes,
  setBrowserDefaults,
} from '@/db/queries/notify-settings';
import type { NotifyActor, NotifyDeps } from './notify-admin';

export async function saveRoutes(
  deps: NotifyDeps,
  input: { actor: NotifyActor; routing: RoutesInput },
): Promise<{ routes: RouteView[]; channels: ChannelView[] }> {
  const { routes, defaultChannels } = input.routing;
  const now = new Date(deps.now());
  const saved = await deps.db.transaction(async (tx) => {
    await lockRouting(tx);
    const channels = await channelIds(tx);
    const known = new Map(channels.map((c) => [c.id, c]));
    const fields: FieldErrors = {};
    routes.forEach((route, i) => {
      const missing = route.channels.find((id) => !known.has(id));
      if (missing) fields[`routes.${i}.channels`] = `no channel has the id "${missing}"`;
    });
    const missingDefault = defaultChannels?.find((id) => !known.has(id));
    if (missingDefault) fields.defaultChannels = `no channel has the id "${missingDefault}"`;
    if (Object.keys(fields).length > 0) {
      throw new InvalidInputError('Some routes name channels that do not exist.', fields);
    }
    if (defaultChannels) {
      const wanted = new Set(defaultChannels);
      const fixed = channels.find((c) => c.provisioned && c.isDefault !== wanted.has(c.id));
      if (fixed) {
        throw new ConflictError(
          PROVISIONED_MESSAGE(`Whether the channel ${fixed.id} is a default`),
        );
      }
      await setBrowserDefaults(
        tx,
        channels.filter((c) => !c.provisioned && wanted.has(c.id)).map((c) => c.id),
        now,
      );
    }
    await replaceBrowserRoutes(tx, routes, now);
    return { routes: await listRoutes(tx), channels: await listChannels(tx) };
  });
  deps.log.info(
    {
      by: input.actor.username,
      routes: routes.length,
      defaultChannels: defaultChannels ?? '(unchanged)',
    },
    'notification routes saved',
  );
  return saved;
}
