/**
 * Use case: a person signs out: the session behind the cookie's token stops working, and the
 * user's live sockets are told (the notice is queued in the same transaction).
 */
import type { Db } from '@/db/client';
import { deleteSession } from '@/db/queries/auth';
import { notifySessionChange } from './user-admin';

export async function signOut(deps: { db: Db }, input: { token: string | undefined }) {
  const token = input.token;
  if (!token) return;
  await deps.db.transaction(async (tx) => {
    const userId = await deleteSession(tx, token);
    if (userId !== null) await notifySessionChange(tx, userId);
  });
}
