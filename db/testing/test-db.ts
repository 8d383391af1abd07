/** Integration-test helper: a fresh, migrated database per test file on the shared cluster. */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { inject } from 'vitest';
import { createDb, type DbHandle } from '@/db/client';
import { runMigrations } from '@/db/migrate';

export interface TestDatabase extends DbHandle {
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('databaseUrl');
  const name = `pulse_test_${randomBytes(4).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  await admin.unsafe(`create database ${name}`);
  const url = adminUrl.replace(/\/[^/]+$/, `/${name}`);
  const handle = createDb(url, { max: 4, appName: 'pulse-test' });
  await runMigrations(handle.db);
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
