import { NotFoundError } from '@/lib/errors';
import { findUser, listSessions } from '@/db/queries/auth';
import { UserIdParams } from '@/app/_server/account-schemas';
import { route } from '@/app/_server/api-route';
import { sessionToken } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/** A user's sessions (admins only); the asking admin's own one is marked `current`. */
export const GET = route(
  { role: 'admin', params: UserIdParams },
  async ({ db, params, request }) => {
    if (!(await findUser(db, params.id))) throw new NotFoundError('No such user.');
    return {
      sessions: await listSessions(db, params.id, { currentToken: sessionToken(request) }),
    };
  },
);
