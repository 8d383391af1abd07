/**
 * Use case: an admin changes a user's role, or disables or enables the account (in the browser,
 * or `npm run users -- role|disable|enable`). Disabling ends every session of the user; a new
 * role keeps them. Either way the user's live sockets are told, by a notice queued in the same
 * transaction. Nobody disables or demotes the last enabled admin, nor disables themselves.
 */
import { InvalidInputError } from '@/lib/errors';
import type { Role, UserView } from '@/lib/auth/accounts';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { deleteUserSessions, getUserView, updateUser as setUser } from '@/db/queries/auth';
import { lockTarget, notifySessionChange, type Actor } from './user-admin';

export interface UserChange {
  role?: Role | undefined;
  disabled?: boolean | undefined;
}

export async function updateUser(
  deps: { db: Db; log: Logger; now?: () => number },
  input: { actor: Actor; id: number; change: UserChange },
): Promise<UserView> {
  const { role, disabled } = input.change;
  if (role === undefined && disabled === undefined) {
    throw new InvalidInputError('Give a role, or whether the user is disabled.');
  }
  const now = new Date(deps.now?.() ?? Date.now());
  const { before, after, ended } = await deps.db.transaction(async (tx) => {
    // Checked as one change: disabling wins (it takes everything a demotion takes).
    const check = disabled === true ? 'disable' : role !== undefined ? { role } : null;
    const before = await lockTarget(tx, input.actor, input.id, check);
    const set: { role?: Role; disabledAt?: Date | null } = {};
    if (role !== undefined && role !== before.role) set.role = role;
    if (disabled === true && before.disabledAt === null) set.disabledAt = now;
    if (disabled === false && before.disabledAt !== null) set.disabledAt = null;
    let ended = 0;
    if (Object.keys(set).length > 0) {
      await setUser(tx, input.id, set);
      if (set.disabledAt) ended = await deleteUserSessions(tx, input.id);
      await notifySessionChange(tx, input.id);
    }
    return { before, after: (await getUserView(tx, input.id))!, ended };
  });
  const log = { by: input.actor.name, user: after.username, userId: after.id };
  if (after.role !== before.role) {
    deps.log.info({ ...log, from: before.role, to: after.role }, 'user role changed');
  }
  if ((after.disabledAt === null) !== (before.disabledAt === null)) {
    deps.log.info(
      after.disabledAt === null ? log : { ...log, sessionsEnded: ended },
      after.disabledAt === null ? 'user enabled' : 'user disabled',
    );
  }
  return after;
}
