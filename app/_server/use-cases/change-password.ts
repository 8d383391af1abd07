/**
 * Use case: a signed-in person changes their own password, giving the current one. Every other
 * session of theirs ends (the one that asked stays signed in), and their live sockets are told
 * by a notice queued in the same transaction. Guessing the current password (with a stolen
 * cookie) is throttled like sign-in, on the same counts (lib/auth/throttle.ts).
 */
import { ConflictError, InvalidInputError, NotFoundError } from '@/lib/errors';
import { checkNewPassword } from '@/lib/auth/accounts';
import { hashPassword, verifyPassword } from '@/lib/auth/password';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { deleteUserSessions, findUser, updateUser, type SessionUser } from '@/db/queries/auth';
import { recordSuccess } from '@/db/queries/login-throttle';
import { admitPasswordCheck } from './attempt-sign-in';
import { notifySessionChange } from './user-admin';

const CHECK = 'Check the highlighted fields.';

export async function changeOwnPassword(
  deps: { db: Db; log: Logger; now: () => number },
  input: {
    user: SessionUser;
    token: string;
    currentPassword: string;
    newPassword: string;
    /** Where the request came from: the throttle counts guesses per address too. */
    clientAddress: string;
  },
): Promise<{ sessionsEnded: number }> {
  const row = await findUser(deps.db, input.user.id);
  if (!row) throw new NotFoundError('No such user.');
  const who = { user: row.username, address: input.clientAddress };
  const { keys } = await admitPasswordCheck(deps, who, {
    event: 'password change throttled',
    refusal: 'Too many wrong passwords.',
  });
  if (!(await verifyPassword(input.currentPassword, row.passwordHash))) {
    deps.log.warn(who, 'password change refused: wrong current password');
    throw new InvalidInputError(CHECK, { currentPassword: 'This is not your current password.' });
  }
  await recordSuccess(deps.db, keys, deps.now());
  const checked = checkNewPassword(input.newPassword);
  if (!checked.ok) throw new InvalidInputError(CHECK, { newPassword: checked.error });
  if (input.newPassword === input.currentPassword) {
    throw new InvalidInputError(CHECK, {
      newPassword: 'Choose a password other than the current one.',
    });
  }
  const passwordHash = await hashPassword(input.newPassword);
  const ended = await deps.db.transaction(async (tx) => {
    // Only over the hash just verified: a change made meanwhile is not silently overwritten.
    const changed = await updateUser(
      tx,
      row.id,
      { passwordHash },
      { ifPasswordHash: row.passwordHash },
    );
    if (!changed) throw new ConflictError('Your password was changed meanwhile: try again.');
    const ended = await deleteUserSessions(tx, row.id, { exceptToken: input.token });
    await notifySessionChange(tx, row.id);
    return ended;
  });
  deps.log.info({ user: row.username, sessionsEnded: ended }, 'password changed');
  return { sessionsEnded: ended };
}
