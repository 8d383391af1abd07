import { listUsers } from '@/db/queries/auth';
import { CreateUserBody } from '@/app/_server/account-schemas';
import { json, route } from '@/app/_server/api-route';
import { createUserAccount } from '@/app/_server/use-cases/create-user';
import { actorOf } from '@/app/_server/use-cases/user-admin';

export const dynamic = 'force-dynamic';

/** Every user (admins only): role, status, created, last seen, sessions; never a hash. */
export const GET = route({ role: 'admin' }, async ({ db }) => ({ users: await listUsers(db) }));

/**
 * Creates a user: `{ username, role, password? }`. Without a password one is generated and
 * answered this once (`{ user, password }`); only its hash is stored.
 */
export const POST = route(
  {
    role: 'admin',
    body: CreateUserBody,
    invalid: 'Check the highlighted fields.',
    // The password is taken exactly as typed, as sign-in takes it.
    text: { exempt: ['password'] },
  },
  async ({ db, log, user, body }) =>
    json(
      await createUserAccount(
        { db, log },
        { actor: actorOf(user), username: body.username, role: body.role, password: body.password },
      ),
      { status: 201 },
    ),
);
