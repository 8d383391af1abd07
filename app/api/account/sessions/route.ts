import { listSessions } from '@/db/queries/auth';
import { route } from '@/app/_server/api-route';
import { sessionToken } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

/** The signed-in person's sessions, this one marked `current`: never a token nor its hash. */
export const GET = route({ role: 'viewer' }, async ({ db, user, request }) => ({
  sessions: await listSessions(db, user.id, { currentToken: sessionToken(request) }),
}));
