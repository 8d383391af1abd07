import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import {
  createSession,
  createUser,
  deleteSession,
  deleteSessionById,
  deleteUserSessions,
  getUserView,
  hashToken,
  listSessions,
  listUsers,
  lockEnabledAdmins,
  sessionUser,
  updateUser,
  USER_AGENT_MAX,
} from './auth';
import { sessions } from '../schema';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(() => t.drop());

describe('sessions', () => {
  it('resolves a token to its user, stores only the hash, and ends on sign-out', async () => {
    const user = await createUser(t.db, { username: 'ana', passwordHash: 'x', role: 'editor' });
    const token = await createSession(t.db, user.id, 60_000);
    expect(await sessionUser(t.db, token)).toEqual(user);
    const stored = await t.db.select().from(sessions);
    expect(stored.map((s) => s.tokenHash)).toEqual([hashToken(token)]);
    expect(JSON.stringify(stored)).not.toContain(token);
    await deleteSession(t.db, token);
    expect(await sessionUser(t.db, token)).toBeNull();
  });

  it('refuses expired and unknown tokens', async () => {
    const user = await createUser(t.db, { username: 'bo', passwordHash: 'x', role: 'viewer' });
    const token = await createSession(t.db, user.id, -1000);
    expect(await sessionUser(t.db, token)).toBeNull();
    expect(await sessionUser(t.db, 'nope')).toBeNull();
  });
});

describe('accounts', () => {
  it('refuses the sessions of a disabled user, and takes them back once enabled', async () => {
    const user = await createUser(t.db, { username: 'cy', passwordHash: 'x', role: 'viewer' });
    const token = await createSession(t.db, user.id, 60_000);
    await updateUser(t.db, user.id, { disabledAt: new Date() });
    expect(await sessionUser(t.db, token)).toBeNull();
    await updateUser(t.db, user.id, { disabledAt: null });
    expect(await sessionUser(t.db, token)).toEqual(user);
  });

  it('records the client, marks this device, and never lists a token or its hash', async () => {
    const user = await createUser(t.db, { username: 'di', passwordHash: 'x', role: 'viewer' });
    const agent = `Mozilla/5.0 (X11; Linux x86_64) ${'x'.repeat(300)}`;
    const mine = await createSession(t.db, user.id, 60_000, {
      userAgent: agent,
      clientAddress: '203.0.113.7',
    });
    const other = await createSession(t.db, user.id, 60_000, { userAgent: 'curl/8.5\u0000x' });
    const list = await listSessions(t.db, user.id, { currentToken: mine });
    expect(list).toHaveLength(2);
    const current = list.find((s) => s.current)!;
    expect(current.userAgent).toBe(agent.slice(0, USER_AGENT_MAX));
    expect(current.clientAddress).toBe('203.0.113.7');
    expect(current.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(list.find((s) => !s.current)!.userAgent).toBe('curl/8.5\uFFFDx');
    const text = JSON.stringify(list);
    for (const secret of [mine, other, hashToken(mine), hashToken(other)]) {
      expect(text).not.toContain(secret);
    }
    expect(Object.keys(current).sort()).toEqual(
      [
        'clientAddress',
        'createdAt',
        'current',
        'expiresAt',
        'id',
        'lastSeenAt',
        'userAgent',
      ].sort(),
    );
  });

  it('ends all sessions of a user but one, or one by its public id (of that user only)', async () => {
    const a = await createUser(t.db, { username: 'ed', passwordHash: 'x', role: 'viewer' });
    const b = await createUser(t.db, { username: 'fi', passwordHash: 'x', role: 'viewer' });
    const [a1, a2, a3] = [
      await createSession(t.db, a.id, 60_000),
      await createSession(t.db, a.id, 60_000),
      await createSession(t.db, a.id, 60_000),
    ];
    const b1 = await createSession(t.db, b.id, 60_000);
    expect(await deleteUserSessions(t.db, a.id, { exceptToken: a1 })).toBe(2);
    expect(await sessionUser(t.db, a1)).toEqual(a);
    expect(await sessionUser(t.db, a2!)).toBeNull();
    expect(await sessionUser(t.db, a3!)).toBeNull();
    const [bSession] = await listSessions(t.db, b.id);
    expect(await deleteSessionById(t.db, { id: bSession!.id, userId: a.id })).toBe(false);
    expect(await sessionUser(t.db, b1)).toEqual(b);
    expect(await deleteSessionById(t.db, { id: bSession!.id, userId: b.id })).toBe(true);
    expect(await sessionUser(t.db, b1)).toBeNull();
  });

  it('marks a session and its user seen at most once a minute', async () => {
    const user = await createUser(t.db, { username: 'gu', passwordHash: 'x', role: 'viewer' });
    const token = await createSession(t.db, user.id, 10 * 60_000);
    const seen = async () => (await listSessions(t.db, user.id))[0]!.lastSeenAt;
    const first = await seen();
    await sessionUser(t.db, token, new Date(first + 30_000));
    expect(await seen()).toBe(first);
    const later = new Date(first + 61_000);
    await sessionUser(t.db, token, later);
    expect(await seen()).toBe(later.getTime());
    expect((await getUserView(t.db, user.id))!.lastSeenAt).toBe(later.getTime());
  });

  it('lists users with status, last seen and live sessions, never a hash', async () => {
    const user = await createUser(t.db, {
      username: 'hal',
      passwordHash: 'secret$hash',
      role: 'editor',
    });
    await createSession(t.db, user.id, 60_000);
    await createSession(t.db, user.id, -1000);
    const view = (await listUsers(t.db)).find((u) => u.id === user.id)!;
    expect(view).toMatchObject({ username: 'hal', role: 'editor', disabledAt: null, sessions: 1 });
    expect(view.lastSeenAt).not.toBeNull();
    expect(JSON.stringify(await listUsers(t.db))).not.toContain('secret$hash');
  });

  it('counts only enabled admins as admins that keep Pulse administrable', async () => {
    const before = await lockEnabledAdmins(t.db);
    const admin = await createUser(t.db, { username: 'ida', passwordHash: 'x', role: 'admin' });
    const off = await createUser(t.db, { username: 'jo', passwordHash: 'x', role: 'admin' });
    await updateUser(t.db, off.id, { disabledAt: new Date() });
    expect(await lockEnabledAdmins(t.db)).toEqual([...before, admin.id]);
  });
});
