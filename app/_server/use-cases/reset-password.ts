/**
 * Use case: an admin sets another user's password (in the browser, or `npm run users --
 * passwd`): the one given, or a generated one answered this once. Every session of that user
 * ends, and its live sockets are told (the notice is queued in the same transaction).
 */
import { ConflictError, InvalidInputError } from '@/lib/errors';
import { checkNewPassword, type PasswordIssued } from '@/lib/auth/accounts';
import { generatePassword, hashPassword } from '@/lib/auth/password';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { deleteUserSessions, getUserView, updateUser } from '@/db/queries/auth';
import { lockTarget, notifySessionChange, type Actor } from './user-admin';

export async function resetPassword(
  deps: { db: Db; log: Logger },
  input: { actor: Actor; id: number; password?: string | undefined },
): Promise<PasswordIssued> {
  if (input.actor.id === input.id) {
    // Resetting would skip the check of the current password that changing it asks for.
    throw new ConflictError('Change your own password on your account page.');
  }
  if (input.password !== undefined) {
    const checked = checkNewPassword(input.password);
    if (!checked.ok) throw new InvalidInputError(checked.error, { password: checked.error });
  }
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const { user, ended } = await deps.db.transaction(async (tx) => {
    await lockTarget(tx, input.actor, input.id, null);
    await updateUser(tx, input.id, { passwordHash });
    const ended = await deleteUserSessions(tx, input.id);
    await notifySessionChange(tx, input.id);
    return { user: (await getUserView(tx, input.id))!, ended };
  });
  deps.log.info(
    { by: input.actor.name, user: user.username, userId: user.id, sessionsEnded: ended },
    'password reset',
  );
  return input.password === undefined ? { user, password } : { user };
}
