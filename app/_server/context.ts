/**
 * The web process's handles: the database (drizzle and the raw postgres.js pool it runs on, for
 * LISTEN/NOTIFY), the process logger and the configuration. server.ts, the composition root,
 * builds them and registers them here; Next's route handlers and server components, which Next
 * bundles separately from server.ts, reach the same instances through globalThis. When Next runs
 * without server.ts (`next dev`, a build's page-data step), they are created lazily from env.ts,
 * the one reader of process.env — so configuration reaches Next's code only through here.
 */
import { config as readConfig } from '@/env';
import type { Config } from '@/lib/config/schema';
import { createLogger, type Logger } from '@/lib/observability/log';
import { createDb, type Db, type Sql } from '@/db/client';

export interface WebContext {
  db: Db;
  sql: Sql;
  log: Logger;
  config: Config;
}

const globalRef = globalThis as unknown as { __pulseWeb?: WebContext };

/** Makes these the handles every route handler and page uses (server.ts, tests). */
export function registerWeb(context: WebContext): void {
  globalRef.__pulseWeb = context;
}

/** The registered handles, created on first use when nobody registered any. */
export function webContext(): WebContext {
  if (!globalRef.__pulseWeb) {
    const config = readConfig();
    if (!config.databaseUrl) {
      throw new Error('DATABASE_URL is not set: start Pulse with `npm start`.');
    }
    const { db, sql } = createDb(config.databaseUrl, { appName: 'pulse-web' });
    globalRef.__pulseWeb = { db, sql, log: createLogger('web', config.logLevel), config };
  }
  return globalRef.__pulseWeb;
}
