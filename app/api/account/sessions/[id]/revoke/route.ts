import { OwnSessionParams } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { revokeSession } from '@/app/_server/use-cases/revoke-session';
import { actorOf } from '@/app/_server/use-cases/user-admin';

export const dynamic = 'force-dynamic';

/**
 * Ends one of the signed-in person's own sessions (this one too: that signs them out). A
 * session of someone else is a 404, as one that does not exist. No body.
 */
export const POST = route(
  { role: 'viewer', params: OwnSessionParams },
  async ({ db, log, user, params }) => {
    await revokeSession(
      { db, log },
      { actor: actorOf(user), userId: user.id, sessionId: params.id },
    );
    return { ok: true };
  },
);
