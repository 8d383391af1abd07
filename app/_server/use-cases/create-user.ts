/**
 * Use case: an admin (in the browser or with `npm run users -- add`) creates a user. Without a
 * password given, one is generated and answered this once; only its scrypt hash is stored.
 */
import { ConflictError, InvalidInputError } from '@/lib/errors';
import {
  checkNewPassword,
  checkUsername,
  type PasswordIssued,
  type Role,
} from '@/lib/auth/accounts';
import { generatePassword, hashPassword } from '@/lib/auth/password';
import type { Logger } from '@/lib/observability/log';
import type { Db } from '@/db/client';
import { createUser, findUserByUsername, getUserView } from '@/db/queries/auth';
import type { Actor } from './user-admin';

const TAKEN = 'This username is taken.';

export async function createUserAccount(
  deps: { db: Db; log: Logger },
  input: { actor: Actor; username: string; role: Role; password?: string | undefined },
): Promise<PasswordIssued> {
  const name = checkUsername(input.username);
  if (!name.ok) throw new InvalidInputError(name.error, { username: name.error });
  if (input.password !== undefined) {
    const password = checkNewPassword(input.password);
    if (!password.ok) throw new InvalidInputError(password.error, { password: password.error });
  }
  const password = input.password ?? generatePassword();
  const passwordHash = await hashPassword(password);
  const user = await deps.db.transaction(async (tx) => {
    if (await findUserByUsername(tx, name.value)) {
      throw new ConflictError(`A user named ${name.value} already exists.`, { username: TAKEN });
    }
    try {
      const created = await createUser(tx, {
        username: name.value,
        role: input.role,
        passwordHash,
      });
      return (await getUserView(tx, created.id))!;
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new ConflictError(`A user named ${name.value} already exists.`, { username: TAKEN });
      }
      throw error;
    }
  });
  deps.log.info(
    { by: input.actor.name, user: user.username, userId: user.id, role: user.role },
    'user created',
  );
  return input.password === undefined ? { user, password } : { user };
}

/** Two creations of one name at once: the database's unique constraint decides. */
function isUniqueViolation(error: unknown): boolean {
  const code = (value: unknown) => (value as { code?: unknown } | null)?.code;
  return code(error) === '23505' || code((error as { cause?: unknown } | null)?.cause) === '23505';
}
