/**
 * `npm run migrate`: applies migrations, creates the default metrics and (on first run) the
 * admin account, then exits. For deployments where the web and worker processes run on their
 * own (docker-compose); `npm start` does the same itself.
 */
import { config } from '@/env';
import { ConfigError } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { prepareDatabase } from '@/workers/services/bootstrap';

async function main(): Promise<void> {
  const cfg = config();
  if (!cfg.databaseUrl) throw new ConfigError(['DATABASE_URL: required by npm run migrate']);
  const log = createLogger('migrate', cfg.logLevel, { pretty: true });
  const db = await prepareDatabase(cfg, log);
  if (db.generatedAdminPassword) {
    console.log(
      `Created the admin account. Sign in as "admin" with password: ${db.generatedAdminPassword}`,
    );
  }
  log.info('database ready');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
