import { UserIdParams } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { revokeAllSessions } from '@/app/_server/use-cases/revoke-session';
import { actorOf } from '@/app/_server/use-cases/user-admin';

export const dynamic = 'force-dynamic';

/** Ends every session of a user (admins only): signed out everywhere. No body. */
export const POST = route(
  { role: 'admin', params: UserIdParams },
  async ({ db, log, user, params }) =>
    revokeAllSessions({ db, log }, { actor: actorOf(user), userId: params.id }),
);
