/** Who is signed in: cookie → session row → user. Used by pages, route handlers, socket.io. */
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { sessionUser, type Role, type SessionUser } from '@/db/queries/auth';
import { getDb } from './context';
import { SESSION_COOKIE } from './cookie';
import { HttpError } from './errors';

export { SESSION_COOKIE };

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function hasRole(user: SessionUser, role: Role): boolean {
  return RANK[user.role] >= RANK[role];
}

export async function currentUser(): Promise<SessionUser | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return token ? sessionUser(getDb(), token) : null;
}

/** For pages: the user, or a redirect to the sign-in page. */
export async function requirePageUser(next = '/'): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(next)}`);
  return user;
}

/** For route handlers: the user with at least `role`, or a 401/403 HttpError. */
export async function requireApiUser(role: Role = 'viewer'): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) throw new HttpError(401, 'Sign in first.');
  if (!hasRole(user, role)) throw new HttpError(403, `This needs the ${role} role.`);
  return user;
}
