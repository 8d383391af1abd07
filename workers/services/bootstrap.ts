/**
 * Database set-up shared by `npm start` and the tests: embedded PostgreSQL when no
 * DATABASE_URL is given, migrations, default metrics, and the first admin account.
 */
import type { Config } from '@/lib/config/schema';
import type { Logger } from '@/lib/observability/log';
import { generatePassword, hashPassword } from '@/lib/auth/password';
import { createDb } from '@/db/client';
import { embeddedUrl, startEmbeddedPostgres, type EmbeddedDatabase } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { countUsers, createUser } from '@/db/queries/auth';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { ensurePartitions } from '@/db/queries/retention';

export interface PreparedDatabase {
  url: string;
  embedded: EmbeddedDatabase | null;
  /** Set only when this start created the admin with a generated password. */
  generatedAdminPassword: string | null;
}

export async function prepareDatabase(
  cfg: Config,
  log: Logger,
  /**
   * `detached`: embedded PostgreSQL out of the terminal's process group (db/embedded.ts), for an
   * owner that stops it itself, after its children, on any signal (the supervisor).
   */
  options: { detached?: boolean } = {},
): Promise<PreparedDatabase> {
  let embedded: EmbeddedDatabase | null = null;
  let url = cfg.databaseUrl;
  if (!url) {
    // Another Pulse process (npm start) may already run the embedded cluster: share it.
    const existing = await embeddedUrl({ dir: cfg.dataDir, port: cfg.embeddedPgPort });
    if (existing && (await reachable(existing))) url = existing;
  }
  if (!url) {
    log.info({ dir: cfg.dataDir, port: cfg.embeddedPgPort }, 'starting embedded PostgreSQL');
    embedded = await startEmbeddedPostgres({
      dir: cfg.dataDir,
      port: cfg.embeddedPgPort,
      detached: options.detached ?? false,
      log: (line) => log.debug({ pg: line }, 'postgres'),
      // As root, say where the cluster went if the postgres user cannot reach the data dir.
      inform: (message, fields) => log.info(fields, message),
    });
    url = embedded.url;
  }
  const handle = createDb(url, { max: 2, appName: 'pulse-setup' });
  try {
    await runMigrations(handle.db);
    await ensurePartitions(handle.db, Date.now(), cfg.retention); // today and the days ahead
    await ensureDefaultMetrics(handle.db);
    let generatedAdminPassword: string | null = null;
    if ((await countUsers(handle.db)) === 0) {
      const password = cfg.adminPassword ?? generatePassword();
      await createUser(handle.db, {
        username: 'admin',
        passwordHash: await hashPassword(password),
        role: 'admin',
      });
      if (!cfg.adminPassword) generatedAdminPassword = password;
      log.info('created the admin account');
    }
    return { url, embedded, generatedAdminPassword };
  } catch (error) {
    await embedded?.stop();
    throw error;
  } finally {
    await handle.close();
  }
}

async function reachable(url: string): Promise<boolean> {
  const handle = createDb(url, { max: 1, appName: 'pulse-probe' });
  try {
    await handle.sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await handle.close();
  }
}
