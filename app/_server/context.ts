/**
 * Process-wide handles of the web process. server.ts (the composition root) creates the
 * database handle and registers it here; Next's route handlers and server components, which
 * are bundled separately, reach the same instance through globalThis.
 */
import { config } from '@/env';
import { createDb, type DbHandle } from '@/db/client';

const globalRef = globalThis as unknown as { __pulseDb?: DbHandle };

export function registerDb(handle: DbHandle): void {
  globalRef.__pulseDb = handle;
}

export function getDb(): DbHandle['db'] {
  if (!globalRef.__pulseDb) {
    const url = config().databaseUrl;
    if (!url) throw new Error('DATABASE_URL is not set: start Pulse with `npm start`.');
    globalRef.__pulseDb = createDb(url, { appName: 'pulse-web' });
  }
  return globalRef.__pulseDb.db;
}
