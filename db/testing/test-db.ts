/** Integration-test helper: a fresh, migrated database per test file on the shared cluster. */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '@/db/client';
import { MIGRATIONS_DIR, runMigrations } from '@/db/migrate';

interface Journal {
  entries: { idx: number; tag: string }[];
}

async function readJournal(): Promise<Journal> {
  return JSON.parse(
    await readFile(join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8'),
  ) as Journal;
}

/** How many migrations the project has: what a fully migrated database has applied. */
export async function migrationCount(): Promise<number> {
  return (await readJournal()).entries.length;
}

/** A copy of the migrations folder whose journal ends at `tag`. */
async function migrationsUpTo(tag: string): Promise<string> {
  const journal = await readJournal();
  const last = journal.entries.findIndex((e) => e.tag === tag);
  if (last < 0) throw new Error(`no migration ${tag}`);
  const entries = journal.entries.slice(0, last + 1);
  const dir = await mkdtemp(join(tmpdir(), 'pulse-migrations-'));
  await mkdir(join(dir, 'meta'));
  for (const e of entries) {
    await copyFile(join(MIGRATIONS_DIR, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  }
  await writeFile(join(dir, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries }));
  return dir;
}

export interface TestDatabase extends DbHandle {
  url: string;
  drop(): Promise<void>;
}

/**
 * A fresh database, migrated to the end, or only up to migration `upTo` (a journal tag) for
 * tests of a later migration on a database in use (they run the rest with runMigrations).
 */
export async function createTestDatabase(options: { upTo?: string } = {}): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `pulse_test_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = adminUrl.replace(/\/[^/]+$/, `/${name}`);
  const handle = createDb(url, { max: 4, appName: 'pulse-test' });
  if (options.upTo) {
    const folder = await migrationsUpTo(options.upTo);
    try {
      await migrate(handle.db, { migrationsFolder: folder });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  } else {
    await runMigrations(handle.db);
  }
  return {
    ...handle,
    url,
    async drop() {
      await handle.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}
