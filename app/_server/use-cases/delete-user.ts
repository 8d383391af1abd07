/**
 * Use case: an admin deletes a user (in the browser, or `npm run users -- delete`). Its
 * sessions go with it and its live sockets are told; the history it signed (acknowledgements,
 * rule changes) stays, without its name. Nobody deletes the last enabled admin, nor themselves.
 */
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { deleteUser } from '@/db/queries/auth';
import { lockTarget, notifySessionChange, type Actor } from './user-admin';

export async function deleteUserAccount(
  deps: { db: Db; log: Logger },
  input: { actor: Actor; id: number },
): Promise<{ id: number; username: string }> {
  const target = await deps.db.transaction(async (tx) => {
    const target = await lockTarget(tx, input.actor, input.id, 'delete');
    await deleteUser(tx, input.id);
    await notifySessionChange(tx, input.id);
    return target;
  });
  deps.log.info({ by: input.actor.name, user: target.username, userId: target.id }, 'user deleted');
  return { id: target.id, username: target.username };
}
