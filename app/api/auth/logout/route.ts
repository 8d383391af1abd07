import { NextResponse } from 'next/server';
import { sessionCookieOptions, SESSION_COOKIE } from '@/app/_server/headers';
import { NO_STORE, route } from '@/app/_server/api-route';
import { sessionToken } from '@/app/_server/session';
import { signOut } from '@/app/_server/use-cases/sign-out';

export const dynamic = 'force-dynamic';

/** Signs out: ends the session and clears the cookie. Anyone may (a stale cookie included). */
export const POST = route({ role: 'public' }, async ({ db, request }) => {
  await signOut({ db }, { token: sessionToken(request) });
  const response = NextResponse.json({ ok: true }, { headers: NO_STORE });
  response.cookies.set(SESSION_COOKIE, '', {
    ...sessionCookieOptions(request, 0),
    expires: new Date(0),
  });
  return response;
});
