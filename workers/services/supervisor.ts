/**
 * The supervisor of `npm start`: starts embedded PostgreSQL (unless DATABASE_URL is set) and
 * applies migrations, builds the web app when needed, then runs two groups of processes — the
 * web server, and the pipeline (one stream worker, fed by the simulator unless Kafka is the
 * source). A child that dies is reported with its last words and its group restarted with
 * backoff.
 *
 * Stopping (stop()): every child gets SIGTERM and writes its final flush; one that has not exited
 * after the grace period is killed (SIGKILL) and named in the log; PostgreSQL stops last. Only
 * the supervisor decides that order: each child runs in its own process group (detached), so a
 * terminal's Ctrl-C, which signals the whole foreground group, reaches the supervisor alone (the
 * embedded server is detached too, db/embedded.ts). Each child also has an IPC channel: if the
 * supervisor is killed outright, the channel closes and the child stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '@/lib/config/schema';
import { formatLogLine, type Logger } from '@/lib/observability/log';
import { prepareDatabase, type PreparedDatabase } from './bootstrap';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NODE_ARGS = ['--import', 'tsx'];
/**
 * SIGTERM to SIGKILL. The stream worker gives its stop 6 s (workers/stream.ts); with
 * PostgreSQL's own stop after this, `npm start` is gone within 15 s of Ctrl-C.
 */
export const STOP_GRACE_MS = 7_000;

export interface SupervisorOptions {
  dev: boolean;
  build: boolean;
  /** Run the web server (false: the pipeline only — `--no-web`, headless, and tests). */
  web?: boolean;
  /** How long a child may take to exit after SIGTERM before it is killed. */
  stopGraceMs?: number;
  /** The environment of a child process: this one's with overrides (env.ts). */
  childEnvironment: (overrides: Record<string, string | undefined>) => NodeJS.ProcessEnv;
  /** Where the children's output and the banner go, line by line (default: stdout). */
  write?: (line: string) => void;
}

interface Child {
  name: string;
  process: ChildProcess;
  /** Its last lines of output, for the report when it dies. */
  tail: string[];
}

interface Group {
  name: string;
  children: Child[];
  crashes: number[];
  restartTimer?: NodeJS.Timeout;
}

/**
 * One line of a child's output (stderr, or the web server's stdout) as the supervisor prints
 * it: the child's name, then the line, a pino JSON line rendered for reading. Either way one
 * line with its control characters escaped (formatLogLine): readline has split the output at
 * line feeds and carriage returns, and an ESC sequence or bidi control inside a line (text a
 * user sent, logged) must not rewrite the terminal.
 */
export function relayLine(name: string, line: string): string {
  return `${name.padEnd(9)}│ ${formatLogLine(line)}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

export class Supervisor {
  private database: Promise<PreparedDatabase> | null = null;
  private db: PreparedDatabase | null = null;
  private builder: ChildProcess | null = null;
  private groups: Group[] = [];
  private stopped: Promise<number> | null = null;
  private readonly write: (line: string) => void;
  private finish: (code: number) => void = () => undefined;
  /** Resolves with the exit code once a stop (whoever asked for it) has ended every process. */
  readonly done = new Promise<number>((resolve) => (this.finish = resolve));

  constructor(
    private readonly cfg: Config,
    private readonly log: Logger,
    private readonly opts: SupervisorOptions,
  ) {
    this.write = opts.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  private get stopping(): boolean {
    return this.stopped !== null;
  }

  async start(): Promise<void> {
    // PostgreSQL out of the terminal's process group too: it stops last, after the children.
    this.database = prepareDatabase(this.cfg, this.log, { detached: true });
    this.db = await this.database;
    if (this.stopping) return;
    const web = this.opts.web !== false;
    if (web && !this.opts.dev && this.opts.build && needsBuild()) await this.build();
    if (this.stopping) return;
    this.groups = [
      ...(web ? [{ name: 'web', children: [], crashes: [] }] : []),
      { name: 'pipeline', children: [], crashes: [] },
    ];
    for (const group of this.groups) this.launch(group);
    await this.announce();
  }

  private childEnv(): NodeJS.ProcessEnv {
    return this.opts.childEnvironment({
      DATABASE_URL: this.db?.url,
      NODE_ENV: this.opts.dev ? 'development' : 'production',
    });
  }

  private async build(): Promise<void> {
    this.log.info('building the web app (first run, or sources changed): this takes a minute');
    const code = await new Promise<number | null>((resolve) => {
      this.builder = spawn(
        process.execPath,
        [join(ROOT, 'node_modules/next/dist/bin/next'), 'build'],
        {
          cwd: ROOT,
          stdio: ['ignore', 'inherit', 'inherit'],
          env: this.opts.childEnvironment({
            NODE_ENV: 'production',
            NEXT_TELEMETRY_DISABLED: '1',
          }),
        },
      );
      this.builder.on('exit', resolve);
    });
    this.builder = null;
    if (code !== 0 && !this.stopping) throw new Error(`next build failed with exit code ${code}`);
  }

  private spawnChild(name: string, file: string, stdin: 'ignore' | 'pipe'): Child {
    const proc = spawn(process.execPath, [...NODE_ARGS, join(ROOT, file)], {
      cwd: ROOT,
      env: this.childEnv(),
      // Its own process group, and an IPC channel: see the top of this file.
      detached: true,
      stdio: [stdin, 'pipe', 'pipe', 'ipc'],
    });
    const child: Child = { name, process: proc, tail: [] };
    if (proc.stderr) {
      createInterface({ input: proc.stderr }).on('line', (line) => {
        child.tail.push(line);
        if (child.tail.length > 20) child.tail.shift();
        this.write(relayLine(name, line));
      });
    }
    proc.on('error', (error) => this.log.error({ err: error, child: name }, 'could not start'));
    return child;
  }

  private launch(group: Group): void {
    if (group.name === 'web') {
      const web = this.spawnChild('web', 'server.ts', 'ignore');
      if (web.process.stdout) {
        createInterface({ input: web.process.stdout }).on('line', (l) =>
          this.write(relayLine('web', l)),
        );
      }
      group.children = [web];
    } else if (this.cfg.kafka) {
      // Kafka is the source: the worker consumes the topic; `npm run produce` feeds it.
      group.children = [this.spawnChild('worker', 'workers/stream.ts', 'ignore')];
    } else {
      const simulator = this.spawnChild('simulator', 'workers/simulator.ts', 'ignore');
      const worker = this.spawnChild('worker', 'workers/stream.ts', 'pipe');
      if (simulator.process.stdout && worker.process.stdin) {
        simulator.process.stdout.pipe(worker.process.stdin);
      }
      // A closed pipe is reported by the exit handler below, not as an unhandled error.
      worker.process.stdin?.on('error', () => undefined);
      group.children = [simulator, worker];
    }
    for (const child of group.children) {
      child.process.once('exit', (code, signal) => this.onExit(group, child, code, signal));
    }
  }

  private onExit(group: Group, child: Child, code: number | null, signal: NodeJS.Signals | null) {
    if (this.stopping || group.restartTimer) return;
    this.log.error(
      { child: child.name, code, signal, lastOutput: child.tail.slice(-5).map(formatLogLine) },
      `${child.name} exited unexpectedly; restarting the ${group.name}`,
    );
    for (const other of group.children) {
      if (other !== child && running(other.process)) other.process.kill('SIGTERM');
    }
    const now = Date.now();
    group.crashes = [...group.crashes.filter((t) => now - t < 60_000), now];
    if (group.crashes.length >= 5) {
      this.log.fatal(`${group.name} crashed 5 times within a minute; giving up`);
      void this.stop(1);
      return;
    }
    const delay = Math.min(30_000, 1000 * 2 ** (group.crashes.length - 1));
    group.restartTimer = setTimeout(() => {
      group.restartTimer = undefined;
      if (!this.stopping) this.launch(group);
    }, delay);
  }

  private async announce(): Promise<void> {
    const url = `http://${this.cfg.host === '0.0.0.0' ? 'localhost' : this.cfg.host}:${this.cfg.port}`;
    const web = this.opts.web !== false;
    for (let i = 0; web && i < 600 && !this.stopping; i++) {
      try {
        const res = await fetch(`${url}/api/health`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      await sleep(250);
    }
    if (this.stopping) return;
    const password = this.db?.generatedAdminPassword;
    const lines = [
      '',
      web
        ? `  Pulse is running at ${url}`
        : '  Pulse is running without its web server (--no-web): the pipeline only.',
      password
        ? `  Sign in as "admin" with password: ${password}   (shown once; set PULSE_ADMIN_PASSWORD to choose it)`
        : '  Sign in as "admin" (password from PULSE_ADMIN_PASSWORD, or the one printed at first start).',
      '  Press Ctrl-C to stop.',
      '',
    ];
    this.write(lines.join('\n'));
  }

  /**
   * Stops the children (SIGTERM; SIGKILL after the grace period), then PostgreSQL. Resolves with
   * `code` once all of them exited; later calls return the same promise.
   */
  stop(code: number): Promise<number> {
    this.stopped ??= this.stopAll(code);
    return this.stopped;
  }

  private async stopAll(code: number): Promise<number> {
    this.log.info('stopping: the processes first, then PostgreSQL');
    for (const group of this.groups) clearTimeout(group.restartTimer);
    this.builder?.kill('SIGTERM');
    const children = this.groups.flatMap((g) => g.children).filter((c) => running(c.process));
    await Promise.all(children.map((child) => this.stopChild(child)));
    // Started, or still starting: wait for it, so that the server is not left behind.
    const db = await this.database?.catch(() => null);
    await db?.embedded?.stop();
    this.log.info('stopped');
    this.finish(code);
    return code;
  }

  private async stopChild(child: Child): Promise<void> {
    const { process: proc } = child;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    proc.kill('SIGTERM');
    const graceMs = this.opts.stopGraceMs ?? STOP_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
    ]);
    clearTimeout(timer);
    if (!inTime) {
      this.log.error(
        { child: child.name, pid: proc.pid, graceMs, lastOutput: child.tail.slice(-3) },
        `${child.name} did not stop within ${graceMs / 1000} s of SIGTERM; killed it (SIGKILL)`,
      );
      killGroup(proc);
      await exited;
    }
    // Whatever the child left in its process group (a helper of its own) goes with it.
    killGroup(proc);
    // Its last lines (what its final flush wrote, or did not) are relayed before we go on.
    await Promise.race([closed, sleep(1000)]);
  }
}

/** SIGKILL to a child's process group (it leads its own: detached). */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // ESRCH: the group is empty already
  }
}

/** True when there is no production build or a source file is newer than it. */
function needsBuild(): boolean {
  const buildId = join(ROOT, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  const newer = (dir: string): boolean =>
    existsSync(dir) &&
    readdirSync(dir, { withFileTypes: true }).some((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name !== 'node_modules' && newer(path);
      return /\.(tsx?|css)$/.test(entry.name) && statSync(path).mtimeMs > built;
    });
  const newerFile = (file: string) => existsSync(file) && statSync(file).mtimeMs > built;
  return (
    ['app', 'lib', 'db', 'public'].some((dir) => newer(join(ROOT, dir))) ||
    ['env.ts', 'proxy.ts', 'next.config.ts'].some((file) => newerFile(join(ROOT, file)))
  );
}
