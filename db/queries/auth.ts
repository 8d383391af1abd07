/** Users and sessions. Session tokens are random; only their SHA-256 is stored. */
import { createHash, randomBytes } from 'node:crypto';
import { and, count, eq, gt, lt } from 'drizzle-orm';
import type { Executor } from './executor';
import { sessions, users } from '../schema';

export type Role = (typeof users.$inferSelect)['role'];
export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export async function countUsers(db: Executor): Promise<number> {
  const [row] = await db.select({ n: count() }).from(users);
  return row?.n ?? 0;
}

export async function createUser(
  db: Executor,
  user: { username: string; passwordHash: string; role: Role },
): Promise<SessionUser> {
  const [row] = await db
    .insert(users)
    .values(user)
    .returning({ id: users.id, username: users.username, role: users.role });
  if (!row) throw new Error('insert into users returned no row');
  return row;
}

export async function findUserByUsername(db: Executor, username: string) {
  const [row] = await db.select().from(users).where(eq(users.username, username));
  return row;
}

/** Creates a session and returns its token (to put in the cookie; never stored). */
export async function createSession(db: Executor, userId: number, ttlMs: number): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await db.delete(sessions).where(lt(sessions.expiresAt, new Date()));
  await db
    .insert(sessions)
    .values({ tokenHash: hashToken(token), userId, expiresAt: new Date(Date.now() + ttlMs) });
  return token;
}

export async function sessionUser(db: Executor, token: string): Promise<SessionUser | null> {
  const [row] = await db
    .select({ id: users.id, username: users.username, role: users.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, hashToken(token)), gt(sessions.expiresAt, new Date())));
  return row ?? null;
}

export async function deleteSession(db: Executor, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}
