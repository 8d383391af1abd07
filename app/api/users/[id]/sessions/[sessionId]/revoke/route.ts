import { UserSessionParams } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { revokeSession } from '@/app/_server/use-cases/revoke-session';
import { actorOf } from '@/app/_server/use-cases/user-admin';

export const dynamic = 'force-dynamic';

/** Ends one session of a user (admins only); a 404 when that user has no such session. */
export const POST = route(
  { role: 'admin', params: UserSessionParams },
  async ({ db, log, user, params }) => {
    await revokeSession(
      { db, log },
      { actor: actorOf(user), userId: params.id, sessionId: params.sessionId },
    );
    return { ok: true };
  },
);
