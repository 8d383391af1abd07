/**
 * Use case: an admin deletes a channel set in the browser. A channel that a route names is not
 * deleted (409, naming the routes): removing it from them behind the person's back could leave
 * a route with no channel, or send its incidents somewhere else than they think. Its delivery
 * log stays (deliveries name channels by id, not by reference).
 */
import { ConflictError } from '@/lib/errors';
import {
  deleteChannel as removeChannel,
  listRoutes,
  lockRouting,
} from '@/db/queries/notify-settings';
import { lockChangeableChannel, type NotifyActor, type NotifyDeps } from './notify-admin';

export async function deleteChannel(
  deps: NotifyDeps,
  input: { actor: NotifyActor; id: string },
): Promise<{ id: string }> {
  await deps.db.transaction(async (tx) => {
    // Routes first, then the channel: the order save-routes takes them in too.
    await lockRouting(tx);
    const channel = await lockChangeableChannel(tx, input.id);
    const routes = await listRoutes(tx);
    const naming = routes
      .map((route, index) => ({ route, label: route.name ? `“${route.name}”` : `#${index + 1}` }))
      .filter(({ route }) => route.channels.includes(channel.id));
    if (naming.length > 0) {
      const labels = naming.map((n) => `route ${n.label}`).join(', ');
      throw new ConflictError(
        `The channel ${channel.id} is used by ${labels}: remove it from ${naming.length === 1 ? 'that route' : 'those routes'} first.`,
      );
    }
    await removeChannel(tx, channel.id);
  });
  deps.log.info({ channel: input.id, by: input.actor.username }, 'notification channel deleted');
  return { id: input.id };
}
