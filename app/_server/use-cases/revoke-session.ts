/**
 * Use cases: a session ends because someone says so: its owner (any of their own sessions, this
 * one included), or an admin (any user's, one or all; also `npm run users -- revoke`). The
 * user's live sockets are told by a notice queued in the same transaction.
 */
import { NotFoundError } from '@/lib/errors';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { deleteSessionById, deleteUserSessions, findUser } from '@/db/queries/auth';
import { notifySessionChange, type Actor } from './user-admin';

/** Ends the session `sessionId` of user `userId`; a 404 when that user has no such session. */
export async function revokeSession(
  deps: { db: Db; log: Logger },
  input: { actor: Actor; userId: number; sessionId: string },
): Promise<void> {
  const username = await deps.db.transaction(async (tx) => {
    const user = await findUser(tx, input.userId);
    const gone = user
      ? await deleteSessionById(tx, { id: input.sessionId, userId: user.id })
      : false;
    if (!user || !gone) throw new NotFoundError('No such session.');
    await notifySessionChange(tx, user.id);
    return user.username;
  });
  deps.log.info(
    { by: input.actor.name, user: username, userId: input.userId, session: input.sessionId },
    'session revoked',
  );
}

/** Ends every session of user `userId` (an admin's "sign out everywhere"); how many ended. */
export async function revokeAllSessions(
  deps: { db: Db; log: Logger },
  input: { actor: Actor; userId: number },
): Promise<{ sessionsEnded: number }> {
  const { username, ended } = await deps.db.transaction(async (tx) => {
    const user = await findUser(tx, input.userId);
    if (!user) throw new NotFoundError('No such user.');
    const ended = await deleteUserSessions(tx, user.id);
    await notifySessionChange(tx, user.id);
    return { username: user.username, ended };
  });
  deps.log.info(
    { by: input.actor.name, user: username, userId: input.userId, sessionsEnded: ended },
    'sessions revoked',
  );
  return { sessionsEnded: ended };
}
