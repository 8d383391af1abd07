/**
 * Vitest global setup for integration tests: one embedded PostgreSQL for the run, in a fresh
 * temporary directory, on a free port. Tests get its URL from `inject('databaseUrl')` and
 * create their own database from it (see db/testing/test-db.ts).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { freePort, startEmbeddedPostgres } from '@/db/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const dir = await mkdtemp(join(tmpdir(), 'pulse-it-'));
  const { chmod } = await import('node:fs/promises');
  await chmod(dir, 0o755); // the postgres system user must reach the cluster directory
  const pg = await startEmbeddedPostgres({
    dir,
    port: await freePort(),
    database: 'pulse_template',
  });
  project.provide('databaseUrl', pg.url);
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
