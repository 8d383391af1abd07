/**
 * The raw postgres.js handle of the web process, for LISTEN/NOTIFY. It is the same pool that
 * getDb() returns drizzle over (registered by server.ts on globalThis, or created lazily).
 */
import type { DbHandle } from '@/db/client';
import { getDb } from './context';

const globalRef = globalThis as unknown as { __pulseDb?: DbHandle };

export function getSql(): DbHandle['sql'] {
  getDb(); // makes sure the handle exists
  const handle = globalRef.__pulseDb;
  if (!handle) throw new Error('database handle missing after getDb()');
  return handle.sql;
}
