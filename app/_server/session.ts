/**
 * Who is signed in: session cookie → session row → user, and what their role allows. Route
 * handlers read the cookie from the request (app/_server/api-route.ts); pages and server components,
 * which get no request object, read it through next/headers.
 */
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { sessionUser, type Role, type SessionUser } from '@/db/queries/auth';
import type { Executor } from '@/db/queries/executor';
import { webContext } from './context';
import { readCookie, SESSION_COOKIE } from './headers';

export { SESSION_COOKIE };
export type { Role, SessionUser };

const RANK: Record<Role, number> = { viewer: 0, editor: 1, admin: 2 };

export function hasRole(user: SessionUser, role: Role): boolean {
  return RANK[user.role] >= RANK[role];
}

/** The session token a request carries in its Cookie header, if any. */
export function sessionToken(request: Request): string | undefined {
  return readCookie(request.headers.get('cookie'), SESSION_COOKIE) || undefined;
}

/** The user signed in on `request`, or null (no cookie, unknown or expired session). */
export async function requestUser(db: Executor, request: Request): Promise<SessionUser | null> {
  const token = sessionToken(request);
  return token ? sessionUser(db, token) : null;
}

/** For server components: the session token of the request being rendered, if any. */
export async function currentToken(): Promise<string | undefined> {
  return (await cookies()).get(SESSION_COOKIE)?.value || undefined;
}

/** For server components: the user of the request being rendered, or null. */
export async function currentUser(): Promise<SessionUser | null> {
  const token = await currentToken();
  return token ? sessionUser(webContext().db, token) : null;
}

/** For pages: the user, or a redirect to the sign-in page. */
export async function requirePageUser(next = '/'): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect(`/login?next=${encodeURIComponent(next)}`);
  return user;
}
