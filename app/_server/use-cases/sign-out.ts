/** Use case: a person signs out: the session behind the cookie's token stops working. */
import type { Db } from '@/db/client';
import { deleteSession } from '@/db/queries/auth';

export async function signOut(deps: { db: Db }, input: { token: string | undefined }) {
  if (input.token) await deleteSession(deps.db, input.token);
}
