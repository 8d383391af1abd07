import { UpdateUserBody, UserIdParams } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { deleteUserAccount } from '@/app/_server/use-cases/delete-user';
import { updateUser } from '@/app/_server/use-cases/update-user';
import { actorOf } from '@/app/_server/use-cases/user-admin';

export const dynamic = 'force-dynamic';

/**
 * Changes a user's role and/or disables or enables it (admins only): `{ role?, disabled? }`.
 * Disabling ends its sessions. The last enabled admin cannot be demoted or disabled, nor can an
 * admin disable themselves (409). `{ user }`.
 */
export const PATCH = route(
  { role: 'admin', params: UserIdParams, body: UpdateUserBody, invalid: 'Check the change.' },
  async ({ db, log, user, params, body, now }) => ({
    user: await updateUser(
      { db, log, now },
      { actor: actorOf(user), id: params.id, change: { role: body.role, disabled: body.disabled } },
    ),
  }),
);

/**
 * Deletes a user and its sessions (admins only). The last enabled admin cannot be deleted, nor
 * can an admin delete themselves (409). No body; `{ deleted: { id, username } }`.
 */
export const DELETE = route(
  { role: 'admin', params: UserIdParams },
  async ({ db, log, user, params }) => ({
    deleted: await deleteUserAccount({ db, log }, { actor: actorOf(user), id: params.id }),
  }),
);
