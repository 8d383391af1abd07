/**
 * Use case: a person signs in with username and password and gets a new session. A wrong
 * username costs as much time as a wrong password, so that timing does not tell which
 * usernames exist.
 */
import { UnauthorizedError } from '@/lib/errors';
import { hashPassword, verifyPassword } from '@/lib/auth/password';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { createSession, findUserByUsername, type Role } from '@/db/queries/auth';

const WRONG = 'Wrong username or password.';

/**
 * A real scrypt hash of a random password, made once per process: unknown users are checked
 * against it. A memo of a constant, not a client, hence module state.
 */
let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomUUID());
  return dummyHash;
}

export interface SignedIn {
  user: { username: string; role: Role };
  /** The session token, for the cookie; only its hash is stored. */
  token: string;
}

/** A new session for the user; a 401 (the same message either way) when the pair is wrong. */
export async function signIn(
  deps: { db: Db; log: Logger },
  input: { username: string; password: string; sessionTtlMs: number },
): Promise<SignedIn> {
  const user = await findUserByUsername(deps.db, input.username);
  const ok = user
    ? await verifyPassword(input.password, user.passwordHash)
    : (await verifyPassword(input.password, await getDummyHash()), false);
  if (!user || !ok) throw new UnauthorizedError(WRONG);
  const token = await createSession(deps.db, user.id, input.sessionTtlMs);
  deps.log.info({ user: user.username }, 'signed in');
  return { user: { username: user.username, role: user.role }, token };
}
