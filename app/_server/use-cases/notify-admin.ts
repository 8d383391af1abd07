/**
 * What the notification-settings use cases share: their dependencies, the lock and checks of a
 * channel about to change (it exists, and was not provisioned from a file), and the re-check of
 * open incidents a silence change makes due.
 */
import { ConflictError, NotFoundError } from '@/lib/errors';
import { PROVISIONED_MESSAGE } from '@/lib/alerts/notify/settings-view';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import type { Executor } from '@/db/queries/executor';
import { notifyInTransaction } from '@/db/queries/notify';
import {
  channelForChange,
  recheckOpenIncidents,
  type ChannelForChange,
} from '@/db/queries/notify-settings';

export interface NotifyDeps {
  db: Db;
  log: Logger;
  now: () => number;
}

/** Who changes a setting: the signed-in user. */
export interface NotifyActor {
  id: number;
  username: string;
}

/**
 * In the caller's transaction: the channel, locked; a 404 when there is none, a 409 when it
 * was provisioned (its settings live in the file, and the next start would put them back).
 */
export async function lockChangeableChannel(tx: Executor, id: string): Promise<ChannelForChange> {
  const channel = await channelForChange(tx, id, { forUpdate: true });
  if (!channel) throw new NotFoundError('No such channel.');
  if (channel.provisioned) throw new ConflictError(PROVISIONED_MESSAGE(`The channel ${id}`));
  return channel;
}

/**
 * Every open incident looks at its notifications again (the sweep of `next_check_at`): a new
 * silence holds them back, an ended one releases what it held. The board hears of each, since
 * whether it shows as silenced may have changed.
 */
export async function recheckIncidents(tx: Executor, now: Date): Promise<number> {
  const ids = await recheckOpenIncidents(tx, now);
  for (const id of ids) await notifyInTransaction(tx, { kind: 'incident', id });
  return ids.length;
}
