import { ResetPasswordBody, UserIdParams } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { resetPassword } from '@/app/_server/use-cases/reset-password';
import { actorOf } from '@/app/_server/use-cases/user-admin';

export const dynamic = 'force-dynamic';

/**
 * Sets another user's password (admins only): `{ password }`, or `{}` for a generated one that
 * the answer carries this once (`{ user, password }`). Every session of that user ends. An
 * admin changes their own password on the account page instead (409).
 */
export const POST = route(
  {
    role: 'admin',
    params: UserIdParams,
    body: ResetPasswordBody,
    invalid: 'Check the highlighted field.',
    // The password is taken exactly as typed, as sign-in takes it.
    text: { exempt: ['password'] },
  },
  async ({ db, log, user, params, body }) =>
    resetPassword({ db, log }, { actor: actorOf(user), id: params.id, password: body.password }),
);
