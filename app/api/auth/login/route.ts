import { NextResponse } from 'next/server';
import { z } from 'zod';
import { createSession, findUserByUsername } from '@/db/queries/auth';
import { hashPassword, verifyPassword } from '@/lib/auth/password';
import { config } from '@/env';
import { NO_STORE, parseWith, readJson, sessionCookieOptions } from '@/app/_server/http';
import { getDb } from '@/app/_server/context';
import { assertSameOrigin, handle, HttpError } from '@/app/_server/errors';
import { SESSION_COOKIE } from '@/app/_server/session';

export const dynamic = 'force-dynamic';

const Body = z.object({
  username: z
    .string({ error: 'Enter your username.' })
    .min(1, { error: 'Enter your username.' })
    .max(64, { error: 'Usernames have at most 64 characters.' }),
  password: z
    .string({ error: 'Enter your password.' })
    .min(1, { error: 'Enter your password.' })
    .max(200, { error: 'Passwords have at most 200 characters.' }),
});

const WRONG = 'Wrong username or password.';

/** A real scrypt hash of a random password: unknown users cost as much as known ones. */
let dummyHash: Promise<string> | undefined;
function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(crypto.randomUUID());
  return dummyHash;
}

export const POST = handle(async (request: Request) => {
  assertSameOrigin(request);
  const body = parseWith(Body, await readJson(request), 'Enter your username and password.');
  const db = getDb();
  const user = await findUserByUsername(db, body.username);
  const ok = user
    ? await verifyPassword(body.password, user.passwordHash)
    : (await verifyPassword(body.password, await getDummyHash()), false);
  if (!user || !ok) throw new HttpError(401, WRONG);

  const ttlMs = config().sessionTtlMs;
  const token = await createSession(db, user.id, ttlMs);
  const response = NextResponse.json(
    { user: { username: user.username, role: user.role } },
    { headers: NO_STORE },
  );
  response.cookies.set(SESSION_COOKIE, token, sessionCookieOptions(request, ttlMs));
  return response;
});
