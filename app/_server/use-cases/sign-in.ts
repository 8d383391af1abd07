/**
 * Use case: a person signs in with username and password and gets a new session. A wrong
 * username costs as much time as a wrong password, so that timing does not tell which
 * usernames exist; a disabled account gets the same answer as a wrong password, after the same
 * work. The session remembers the client's User-Agent and address, to tell sessions apart in
 * the account page's list.
 */
import { UnauthorizedError } from '@/lib/errors';
import { hashPassword, verifyPassword } from '@/lib/auth/password';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import {
  createSession,
  findUserByUsername,
  type Role,
  type SessionClient,
} from '@/db/queries/auth';

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

/**
 * A new session for the user; a 401 (the same message in every case) when the pair is wrong or
 * the account is disabled. `userAgent` (the User-Agent header) and `clientAddress`
 * (headers.ts `clientAddress(request)`) are stored with the session, cut to length.
 */
export async function signIn(
  deps: { db: Db; log: Logger },
  input: { username: string; password: string; sessionTtlMs: number } & SessionClient,
): Promise<SignedIn> {
  const user = await findUserByUsername(deps.db, input.username);
  const ok = user
    ? await verifyPassword(input.password, user.passwordHash)
    : (await verifyPassword(input.password, await getDummyHash()), false);
  // A disabled account: no hint, not even in timing (the password was checked all the same).
  if (!user || !ok || user.disabledAt !== null) throw new UnauthorizedError(WRONG);
  const token = await createSession(deps.db, user.id, input.sessionTtlMs, {
    userAgent: input.userAgent,
    clientAddress: input.clientAddress,
  });
  deps.log.info({ user: user.username }, 'signed in');
  return { user: { username: user.username, role: user.role }, token };
}
