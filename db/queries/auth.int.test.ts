import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { createSession, createUser, deleteSession, hashToken, sessionUser } from './auth';
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
