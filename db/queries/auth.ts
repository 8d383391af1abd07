/**
 * Users and sessions. Session tokens are random; only their SHA-256 is stored, and a session is
 * named outside this module by its random public `id`. A disabled user's sessions are refused
 * (and its sign-in too, app/_server/use-cases/sign-in.ts). The rules about who may change whom
 * (the last admin, oneself) are the use cases' (app/_server/use-cases/); these queries do what
 * they are told, on the database or in the caller's transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, gt, inArray, isNull, lt, ne, sql as dsql } from 'drizzle-orm';
import type { SessionView, UserView } from '@/lib/auth/accounts';
import type { Executor } from './executor';
import { sessions, users } from '../schema';

export type Role = (typeof users.$inferSelect)['role'];
export type UserRow = typeof users.$inferSelect;
export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

/** What a session remembers of the client that signed in: to tell sessions apart in a list. */
export interface SessionClient {
  userAgent?: string | null | undefined;
  clientAddress?: string | null | undefined;
}

/** Longest User-Agent kept (the rest is cut); client addresses are short anyway. */
export const USER_AGENT_MAX = 200;
const CLIENT_ADDRESS_MAX = 100;

/** A session's (and its user's) last-seen time is written at most this often. */
export const TOUCH_EVERY_MS = 60_000;

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Client-supplied text as stored: control and bidi formatting characters replaced (it is shown
 * to people and printed by the CLI), cut to `max`; null if empty.
 */
function clientText(value: string | null | undefined, max: number): string | null {
  if (!value) return null;
  const clean = value.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g,
    '\uFFFD',
  );
  const cut = [...clean].slice(0, max).join('');
  return cut.trim() === '' ? null : cut;
}

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

/** The user's row (its hash included: for the use cases, never for an answer). */
export async function findUser(
  db: Executor,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<UserRow | undefined> {
  const query = db.select().from(users).where(eq(users.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

/**
 * The ids of the enabled admins, their rows locked until the transaction ends: two admins
 * disabling each other at once cannot both pass a "not the last admin" check.
 */
export async function lockEnabledAdmins(tx: Executor): Promise<number[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.disabledAt)))
    .orderBy(asc(users.id))
    .for('update');
  return rows.map((row) => row.id);
}

/** Changes a user's role, enabled state or password hash. False when there is no such user. */
export async function updateUser(
  db: Executor,
  id: number,
  set: { role?: Role; disabledAt?: Date | null; passwordHash?: string },
  options: { ifPasswordHash?: string } = {},
): Promise<boolean> {
  const rows = await db
    .update(users)
    .set(set)
    .where(
      options.ifPasswordHash === undefined
        ? eq(users.id, id)
        : and(eq(users.id, id), eq(users.passwordHash, options.ifPasswordHash)),
    )
    .returning({ id: users.id });
  return rows.length > 0;
}

/** Deletes a user (its sessions go with it; its name leaves the history it signed). */
export async function deleteUser(db: Executor, id: number): Promise<boolean> {
  const rows = await db.delete(users).where(eq(users.id, id)).returning({ id: users.id });
  return rows.length > 0;
}

function userListQuery(db: Executor, now: Date) {
  return db
    .select({
      id: users.id,
      username: users.username,
      role: users.role,
      createdAt: users.createdAt,
      disabledAt: users.disabledAt,
      lastSeenAt: users.lastSeenAt,
      // Qualified by hand: drizzle leaves the columns of a one-table select unqualified.
      sessions:
        dsql<number>`(select count(*) from "sessions" where "sessions"."user_id" = "users"."id" and "sessions"."expires_at" > ${now.toISOString()}::timestamptz)`.mapWith(
          Number,
        ),
    })
    .from(users);
}

type UserListRow = Awaited<ReturnType<typeof userListQuery>>[number];

function toUserView(row: UserListRow): UserView {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    createdAt: row.createdAt.getTime(),
    disabledAt: row.disabledAt ? row.disabledAt.getTime() : null,
    lastSeenAt: row.lastSeenAt ? row.lastSeenAt.getTime() : null,
    sessions: row.sessions,
  };
}

/** Every user, by name: never a password hash. */
export async function listUsers(db: Executor, now = new Date()): Promise<UserView[]> {
  const rows = await userListQuery(db, now).orderBy(asc(users.username));
  return rows.map(toUserView);
}

export async function getUserView(
  db: Executor,
  id: number,
  now = new Date(),
): Promise<UserView | null> {
  const [row] = await userListQuery(db, now).where(eq(users.id, id));
  return row ? toUserView(row) : null;
}

/**
 * Creates a session and returns its token (to put in the cookie; never stored). Expired
 * sessions of anyone are deleted on the way; the user is marked seen.
 */
export async function createSession(
  db: Executor,
  userId: number,
  ttlMs: number,
  client: SessionClient = {},
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  await db.delete(sessions).where(lt(sessions.expiresAt, now));
  await db.insert(sessions).values({
    tokenHash: hashToken(token),
    userId,
    expiresAt: new Date(now.getTime() + ttlMs),
    createdAt: now,
    lastSeenAt: now,
    userAgent: clientText(client.userAgent, USER_AGENT_MAX),
    clientAddress: clientText(client.clientAddress, CLIENT_ADDRESS_MAX),
  });
  await db.update(users).set({ lastSeenAt: now }).where(eq(users.id, userId));
  return token;
}

/**
 * The user of a session token: null when the token is unknown, expired, or its user disabled.
 * Marks the session (and its user) seen, at most once a minute: one extra write per session
 * per minute, none on the other requests.
 */
export async function sessionUser(
  db: Executor,
  token: string,
  now = new Date(),
): Promise<SessionUser | null> {
  const tokenHash = hashToken(token);
  const [row] = await db
    .select({
      id: users.id,
      username: users.username,
      role: users.role,
      lastSeenAt: sessions.lastSeenAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(eq(sessions.tokenHash, tokenHash), gt(sessions.expiresAt, now), isNull(users.disabledAt)),
    );
  if (!row) return null;
  if (now.getTime() - row.lastSeenAt.getTime() >= TOUCH_EVERY_MS) {
    await touchSession(db, tokenHash, now);
  }
  return { id: row.id, username: row.username, role: row.role };
}

async function touchSession(db: Executor, tokenHash: string, now: Date): Promise<void> {
  const before = new Date(now.getTime() - TOUCH_EVERY_MS);
  // The condition again: of two requests at once, one writes.
  const touched = await db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.tokenHash, tokenHash), lt(sessions.lastSeenAt, before)))
    .returning({ userId: sessions.userId });
  const userId = touched[0]?.userId;
  if (userId !== undefined) {
    await db.update(users).set({ lastSeenAt: now }).where(eq(users.id, userId));
  }
}

/** Ends the session of a token; the id of its user, or null when there was none. */
export async function deleteSession(db: Executor, token: string): Promise<number | null> {
  const rows = await db
    .delete(sessions)
    .where(eq(sessions.tokenHash, hashToken(token)))
    .returning({ userId: sessions.userId });
  return rows[0]?.userId ?? null;
}

/** Ends the user's sessions, but the one of `exceptToken` if given; how many ended. */
export async function deleteUserSessions(
  db: Executor,
  userId: number,
  options: { exceptToken?: string } = {},
): Promise<number> {
  const rows = await db
    .delete(sessions)
    .where(
      options.exceptToken === undefined
        ? eq(sessions.userId, userId)
        : and(eq(sessions.userId, userId), ne(sessions.tokenHash, hashToken(options.exceptToken))),
    )
    .returning({ id: sessions.id });
  return rows.length;
}

/** Ends the session with public id `id` if it belongs to `userId`; false when there is none. */
export async function deleteSessionById(
  db: Executor,
  input: { id: string; userId: number },
): Promise<boolean> {
  const rows = await db
    .delete(sessions)
    .where(and(eq(sessions.id, input.id), eq(sessions.userId, input.userId)))
    .returning({ id: sessions.id });
  return rows.length > 0;
}

/**
 * The user's sessions that have not expired, most recently used first; `currentToken` (the
 * asking request's) marks "this device".
 */
export async function listSessions(
  db: Executor,
  userId: number,
  options: { currentToken?: string | undefined; now?: Date } = {},
): Promise<SessionView[]> {
  const now = options.now ?? new Date();
  const current = options.currentToken ? hashToken(options.currentToken) : null;
  const rows = await db
    .select({
      id: sessions.id,
      tokenHash: sessions.tokenHash,
      createdAt: sessions.createdAt,
      lastSeenAt: sessions.lastSeenAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
      clientAddress: sessions.clientAddress,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now)))
    .orderBy(desc(sessions.lastSeenAt), desc(sessions.createdAt));
  // The hash is compared here and goes no further.
  return rows.map((row) => ({
    id: row.id,
    createdAt: row.createdAt.getTime(),
    lastSeenAt: row.lastSeenAt.getTime(),
    expiresAt: row.expiresAt.getTime(),
    userAgent: row.userAgent,
    clientAddress: row.clientAddress,
    current: row.tokenHash === current,
  }));
}

/** Token hashes per query of {@link liveSessions}. */
const LIVE_SESSIONS_BATCH = 1000;

/**
 * Which of `tokenHashes` are sessions that still hold — not expired, their user not disabled —
 * with their user as it is now (its role may have changed). For the live sockets
 * (app/_server/live.ts): one query for every connected socket's session (one per 1000 distinct
 * sessions), at the handshake, every few seconds and on a 'session' notice. It only reads: the
 * session is not marked seen.
 */
export async function liveSessions(
  db: Executor,
  tokenHashes: Iterable<string>,
  now = new Date(),
): Promise<Map<string, SessionUser>> {
  const distinct = [...new Set(tokenHashes)];
  const found = new Map<string, SessionUser>();
  for (let i = 0; i < distinct.length; i += LIVE_SESSIONS_BATCH) {
    const rows = await db
      .select({
        tokenHash: sessions.tokenHash,
        id: users.id,
        username: users.username,
        role: users.role,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(
        and(
          inArray(sessions.tokenHash, distinct.slice(i, i + LIVE_SESSIONS_BATCH)),
          gt(sessions.expiresAt, now),
          isNull(users.disabledAt),
        ),
      );
    for (const row of rows) {
      found.set(row.tokenHash, { id: row.id, username: row.username, role: row.role });
    }
  }
  return found;
}
