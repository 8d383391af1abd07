/**
 * `npm start`: the whole product on one machine. Starts embedded PostgreSQL (unless
 * DATABASE_URL is set), applies migrations, builds the web app when needed, then supervises
 * three processes: the web server, one stream worker, and the simulator piping events into it.
 * A child that dies is reported with its last words and restarted with backoff.
 *
 * Ctrl-C, SIGTERM or SIGHUP stop everything cleanly: the processes first (each writes its final
 * flush), PostgreSQL last, then this one exits (workers/services/supervisor.ts). `--no-web` runs
 * the pipeline without the web server (headless, and tests that must not need a Next build).
 */
import { parseArgs } from 'node:util';
import { childEnvironment, config, secretReferences } from '@/env';
import { NotifyConfigError } from '@/lib/alerts/notify/config-file';
import { ConfigError, type Config } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { provisioningOf } from '@/workers/services/provisioning';
import { Supervisor } from '@/workers/services/supervisor';

function main(): void {
  const { values: flags } = parseArgs({
    options: {
      dev: { type: 'boolean', default: false },
      'no-build': { type: 'boolean' },
      'no-web': { type: 'boolean' },
    },
  });
  let cfg: Config;
  try {
    cfg = config();
    // The notification provisioning is read here too, so a mistake in it stops start-up now
    // instead of making the worker fail and restart (the worker applies it).
    provisioningOf(cfg, secretReferences());
  } catch (error) {
    if (error instanceof ConfigError || error instanceof NotifyConfigError) {
      console.error(`Pulse cannot start. ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const log = createLogger('supervisor', cfg.logLevel, { pretty: true });
  const supervisor = new Supervisor(cfg, log, {
    dev: flags.dev ?? false,
    build: !flags['no-build'],
    web: !flags['no-web'],
    childEnvironment,
  });
  // `on`, not `once`: a signal can come twice (the terminal's Ctrl-C, then tsx's CLI relaying
  // it under `npm start`), and a second one without a listener would end this process at once —
  // before its children and PostgreSQL stopped. A repeated signal changes nothing: stop() is
  // idempotent and bounded.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void supervisor.stop(0));
  }
  supervisor.start().catch((error: unknown) => {
    log.fatal({ err: error }, 'start-up failed');
    void supervisor.stop(1);
  });
  // Give pino's destination a moment to drain once everything stopped.
  void supervisor.done.then((code) => setTimeout(() => process.exit(code), 50));
}

main();
