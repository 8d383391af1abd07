/**
 * `npm start`: the whole product on one machine. Starts embedded PostgreSQL (unless
 * DATABASE_URL is set), applies migrations, builds the web app when needed, then supervises
 * three processes: the web server, one stream worker, and the simulator piping events into it.
 * A child that dies is reported with its last words and restarted with backoff; Ctrl-C stops
 * everything cleanly.
 */
import { parseArgs } from 'node:util';
import { childEnvironment, config } from '@/env';
import { ConfigError, type Config } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { Supervisor } from '@/workers/services/supervisor';

function main(): void {
  const { values: flags } = parseArgs({
    options: { dev: { type: 'boolean', default: false }, 'no-build': { type: 'boolean' } },
  });
  let cfg: Config;
  try {
    cfg = config();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Pulse cannot start. ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger('supervisor', cfg.logLevel, { pretty: true });
  const supervisor = new Supervisor(cfg, log, {
    dev: flags.dev ?? false,
    build: !flags['no-build'],
    childEnvironment,
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => void supervisor.stop(0));
  }
  supervisor.start().catch((error: unknown) => {
    log.fatal({ err: error }, 'start-up failed');
    void supervisor.stop(1);
  });
}

main();
