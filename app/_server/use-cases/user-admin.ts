/**
 * What the account use cases share: who acts (an admin in the browser, or the operator of
 * `npm run users`), the rules that keep Pulse administrable (nobody disables, deletes or demotes
 * the last enabled admin; an admin does not disable or delete themselves), and the notice that
 * makes live sockets of a user check their session again (app/_server/live.ts).
 */
import { ConflictError, NotFoundError } from '@/lib/errors';
import type { Role } from '@/lib/auth/accounts';
import type { Executor } from '@/db/queries/executor';
import { findUser, lockEnabledAdmins, type UserRow } from '@/db/queries/auth';
import { notifyInTransaction } from '@/db/queries/notify';

/**
 * Who makes a change: a signed-in admin (its id guards against acting on oneself), or the
 * operator at the command line, who has the database anyway (`id: null`).
 */
export interface Actor {
  id: number | null;
  /** For the log: the admin's username, or `cli`. */
  name: string;
}

/** The operator of `npm run users`. */
export const COMMAND_LINE: Actor = { id: null, name: 'cli' };

export const actorOf = (user: { id: number; username: string }): Actor => ({
  id: user.id,
  name: user.username,
});

/** What a change would leave: to check against the last-admin rule. */
export type AdminChange = 'disable' | 'delete' | { role: Role };

/**
 * In the caller's transaction: the target's row, locked, after the enabled admins' rows are
 * locked too; a 404 when there is no such user; a 409 when the change would leave no enabled
 * admin, or when an admin would disable or delete their own account.
 */
export async function lockTarget(
  tx: Executor,
  actor: Actor,
  id: number,
  change: AdminChange | null,
): Promise<UserRow> {
  // Admins first, the target second, always in this order: no deadlock between two changes.
  const admins = await lockEnabledAdmins(tx);
  const target = await findUser(tx, id, { forUpdate: true });
  if (!target) throw new NotFoundError('No such user.');
  if (change === null) return target;
  if (actor.id === target.id && (change === 'disable' || change === 'delete')) {
    throw new ConflictError(
      change === 'disable'
        ? 'You cannot disable your own account: ask another admin.'
        : 'You cannot delete your own account: ask another admin.',
    );
  }
  const losesAdmin = typeof change === 'string' || change.role !== 'admin';
  const isEnabledAdmin = target.role === 'admin' && target.disabledAt === null;
  if (losesAdmin && isEnabledAdmin && admins.filter((a) => a !== target.id).length === 0) {
    const what =
      change === 'disable' ? 'disabled' : change === 'delete' ? 'deleted' : 'made a non-admin';
    throw new ConflictError(
      `${target.username} is the last enabled admin and cannot be ${what}: make another user an admin first.`,
    );
  }
  return target;
}

/** Live sockets of the user check their session again once the transaction commits. */
export const notifySessionChange = (tx: Executor, userId: number) =>
  notifyInTransaction(tx, { kind: 'session', userId });
