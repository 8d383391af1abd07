/**
 * Migration 0006 (accounts) on a database in use: sessions made before it survive, each gets its
 * own random public id and a last-seen time, and keep working; users get no disabled mark.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createDb, type DbHandle } from '@/db/client';
import { MIGRATIONS_DIR, runMigrations } from '@/db/migrate';
import { hashToken, listSessions, listUsers, sessionUser } from './auth';

/** A copy of the migrations folder whose journal ends at `tag`. */
async function migrationsUpTo(tag: string): Promise<string> {
  const journal = JSON.parse(
    await readFile(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8'),
  ) as { entries: { tag: string }[] };
  const entries = journal.entries.slice(0, journal.entries.findIndex((e) => e.tag === tag) + 1);
  if (entries.length === 0) throw new Error(`no migration ${tag}`);
  const dir = await mkdtemp(join(tmpdir(), 'pulse-migrations-'));
  await mkdir(join(dir, 'meta'));
  for (const e of entries) {
    await copyFile(join(MIGRATIONS_DIR, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  }
  await writeFile(join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
  return dir;
}

const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => undefined });
const name = `pulse_test_${randomBytes(4).toString('hex')}`;
let handle: DbHandle;
let folder: string;

beforeAll(async () => {
  await admin.unsafe(`create database ${name}`);
  handle = createDb(inject('databaseUrl').replace(/\/[^/]+$/, `/${name}`), { max: 2 });
  folder = await migrationsUpTo('0005_partitioned_history');
  await migrate(handle.db, { migrationsFolder: folder });
});

afterAll(async () => {
  await handle.close();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
  await rm(folder, { recursive: true, force: true });
});

it('keeps the sessions made before it, each with its own id, and they keep working', async () => {
  const { sql } = handle;
  const [user] = await sql<{ id: number }[]>`
    insert into users (username, password_hash, role) values ('old', 'x', 'admin') returning id`;
  const tokens = ['token-one', 'token-two'];
  for (const token of tokens) {
    await sql`insert into sessions (token_hash, user_id, expires_at)
      values (${hashToken(token)}, ${user!.id}, now() + interval '1 hour')`;
  }
  await runMigrations(handle.db);

  for (const token of tokens) {
    expect(await sessionUser(handle.db, token)).toEqual({
      id: user!.id,
      username: 'old',
      role: 'admin',
    });
  }
  const sessions = await listSessions(handle.db, user!.id);
  expect(sessions).toHaveLength(2);
  expect(new Set(sessions.map((s) => s.id)).size).toBe(2);
  for (const s of sessions) {
    expect(s.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(s).toMatchObject({ userAgent: null, clientAddress: null });
    expect(s.lastSeenAt).toBeGreaterThan(0);
  }
  expect(await listUsers(handle.db)).toMatchObject([{ username: 'old', disabledAt: null }]);
  const [throttle] = await sql`select to_regclass('login_throttle') as t`;
  expect(throttle!.t).toBe('login_throttle');
});
