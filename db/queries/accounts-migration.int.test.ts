/**
 * Migration 0006 (accounts) on a database in use: sessions made before it survive, each gets its
 * own random public id and a last-seen time, and keep working; users get no disabled mark.
 */

import { afterAll, beforeAll, expect, it } from 'vitest';

import { runMigrations } from '@/db/migrate';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { hashToken, listSessions, listUsers, sessionUser } from './auth';

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase({ upTo: '0005_partitioned_history' });
});

afterAll(() => t.drop());

it('keeps the sessions made before it, each with its own id, and they keep working', async () => {
  const { sql } = t;
  const [user] = await sql<{ id: number }[]>`
    insert into users (username, password_hash, role) values ('old', 'x', 'admin') returning id`;
  const tokens = ['token-one', 'token-two'];
  for (const token of tokens) {
    await sql`insert into sessions (token_hash, user_id, expires_at)
      values (${hashToken(token)}, ${user!.id}, now() + interval '1 hour')`;
  }
  await runMigrations(t.db);

  for (const token of tokens) {
    expect(await sessionUser(t.db, token)).toEqual({
      id: user!.id,
      username: 'old',
      role: 'admin',
    });
  }
  const sessions = await listSessions(t.db, user!.id);
  expect(sessions).toHaveLength(2);
  expect(new Set(sessions.map((s) => s.id)).size).toBe(2);
  for (const s of sessions) {
    expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(s).toMatchObject({ userAgent: null, clientAddress: null });
    expect(s.lastSeenAt).toBeGreaterThan(0);
  }
  expect(await listUsers(t.db)).toMatchObject([{ username: 'old', disabledAt: null }]);
  const [throttle] = await sql`select to_regclass('login_throttle') as t`;
  expect(throttle!.t).toBe('login_throttle');
});
