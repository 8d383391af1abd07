/**
 * The one reader of `process.env`: every process (web server, Next's route handlers, workers,
 * command-line tools) gets its configuration here, validated once by lib/config/schema.ts. A bad
 * value stops start-up with the variable's name and what it expected. Everything else receives
 * configuration as arguments.
 */
import { parseConfig, type Config } from '@/lib/config/schema';

let cached: Config | undefined;

/** The process's configuration, read from process.env once. */
export function config(): Config {
  cached ??= parseConfig(process.env);
  return cached;
}

/** The environment for a child process: this one's, with overrides (undefined removes). */
export function childEnvironment(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * The variables `${NAME}` references in the notification provisioning file may name
 * (lib/alerts/notify/config-file.ts): a snapshot of this process's environment.
 */
export function secretReferences(): Readonly<Record<string, string | undefined>> {
  return { ...process.env };
}
