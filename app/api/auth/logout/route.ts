import { cookies } from 'next/headers';
import { NextResponse } from 'next/server';
import { deleteSession } from '@/db/queries/auth';
import { NO_STORE, sessionCookieOptions } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle } from '@/app/_server/errors';
import { SESSION_COOKIE } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

export const POST = handle(async (request: Request) => {
  assertSameOrigin(request);
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  if (token) await deleteSession(getDb(), token);
  const response = NextResponse.json({ ok: true }, { headers: NO_STORE });
  response.cookies.set(SESSION_COOKIE, '', {
    ...sessionCookieOptions(request, 0),
    expires: new Date(0),
  });
  return response;
});
