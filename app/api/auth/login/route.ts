import { NextResponse } from 'next/server';
import { z } from 'zod';
import { clientAddress, sessionCookieOptions, SESSION_COOKIE } from '@/app/_server/headers';
import { NO_STORE, route } from '@/app/_server/api-route';
import { attemptSignIn } from '@/app/_server/use-cases/attempt-sign-in';

export const dynamic = 'force-dynamic';

const Body = z.strictObject({
  username: z
    .string({ error: 'Enter your username.' })
    .min(1, { error: 'Enter your username.' })
    .max(64, { error: 'Usernames have at most 64 characters.' }),
  password: z
    .string({ error: 'Enter your password.' })
    .min(1, { error: 'Enter your password.' })
    .max(200, { error: 'Passwords have at most 200 characters.' }),
});

/**
 * Signs in: answers who, and sets the session cookie. Throttled per username and client address
 * (429 with Retry-After; app/_server/use-cases/attempt-sign-in.ts).
 */
export const POST = route(
  {
    role: 'public',
    body: Body,
    invalid: 'Enter your username and password.',
    // A password is never stored, shown or logged: taken exactly as typed.
    text: { exempt: ['password'] },
  },
  async ({ db, log, config, request, body, now }) => {
    const ttlMs = config.sessionTtlMs;
    const { user, token } = await attemptSignIn(
      { db, log, now },
      {
        ...body,
        sessionTtlMs: ttlMs,
        clientAddress: clientAddress(request),
        userAgent: request.headers.get('user-agent'),
      },
    );
    const response = NextResponse.json({ user }, { headers: NO_STORE });
    response.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(request, ttlMs));
    return response;
  },
);
