/**
 * The supervisor of `npm start`: starts embedded PostgreSQL (unless DATABASE_URL is set) and
 * applies migrations, builds the web app when needed, then runs two groups of processes — the
 * web server, and the pipeline (one stream worker, fed by the simulator unless Kafka is the
 * source). A child that dies is reported with its last words and its group restarted with
 * backoff; stop() ends everything cleanly.
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

interface Group {
  name: string;
  children: ChildProcess[];
  crashes: number[];
  restartTimer?: NodeJS.Timeout;
}

export class Supervisor {
  private db: PreparedDatabase | null = null;
  private groups: Group[] = [];
  private stopping = false;

  constructor(
    private readonly cfg: Config,
    private readonly log: Logger,
    private readonly opts: {
      dev: boolean;
      build: boolean;
      /** The environment of a child process: this one's with overrides (env.ts). */
      childEnvironment: (overrides: Record<string, string | undefined>) => NodeJS.ProcessEnv;
    },
  ) {}

  async start(): Promise<void> {
    this.db = await prepareDatabase(this.cfg, this.log);
    if (this.stopping) return;
    if (!this.opts.dev && this.opts.build && needsBuild()) await this.build();
    if (this.stopping) return;
    this.groups = [
      { name: 'web', children: [], crashes: [] },
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
      const child = spawn(
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
      child.on('exit', resolve);
    });
    if (code !== 0) throw new Error(`next build failed with exit code ${code}`);
  }

  private spawnChild(name: string, file: string, stdin: 'ignore' | 'pipe'): ChildProcess {
    const child = spawn(process.execPath, [...NODE_ARGS, join(ROOT, file)], {
      cwd: ROOT,
      env: this.childEnv(),
      stdio: [stdin, 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const relay = (stream: NodeJS.ReadableStream | null) => {
      if (!stream) return;
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > 20) tail.shift();
        process.stdout.write(`${name.padEnd(9)}│ ${formatLogLine(line)}\n`);
      });
    };
    relay(child.stderr);
    (child as ChildProcess & { tail: string[] }).tail = tail;
    child.on('error', (error) => this.log.error({ err: error, child: name }, 'could not start'));
    return child;
  }

  private launch(group: Group): void {
    if (group.name === 'web') {
      const web = this.spawnChild('web', 'server.ts', 'ignore');
      if (web.stdout)
        createInterface({ input: web.stdout }).on('line', (l) => console.log(`web      │ ${l}`));
      group.children = [web];
    } else if (this.cfg.kafka) {
      // Kafka is the source: the worker consumes the topic; `npm run produce` feeds it.
      group.children = [this.spawnChild('worker', 'workers/stream.ts', 'ignore')];
    } else {
      const simulator = this.spawnChild('simulator', 'workers/simulator.ts', 'ignore');
      const worker = this.spawnChild('worker', 'workers/stream.ts', 'pipe');
      if (simulator.stdout && worker.stdin) simulator.stdout.pipe(worker.stdin);
      // A closed pipe is reported by the exit handler below, not as an unhandled error.
      worker.stdin?.on('error', () => undefined);
      group.children = [simulator, worker];
    }
    for (const child of group.children) {
      child.once('exit', (code, signal) => this.onExit(group, child, code, signal));
    }
  }

  private onExit(
    group: Group,
    child: ChildProcess,
    code: number | null,
    signal: NodeJS.Signals | null,
  ) {
    if (this.stopping || group.restartTimer) return;
    const name = child.spawnargs.at(-1)?.split('/').pop() ?? group.name;
    const tail = (child as ChildProcess & { tail?: string[] }).tail ?? [];
    this.log.error(
      { child: name, code, signal, lastOutput: tail.slice(-5).map(formatLogLine) },
      `${name} exited unexpectedly; restarting the ${group.name}`,
    );
    for (const other of group.children)
      if (other !== child && other.exitCode === null) other.kill('SIGTERM');
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
    for (let i = 0; i < 600 && !this.stopping; i++) {
      try {
        const res = await fetch(`${url}/api/health`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (this.stopping) return;
    const password = this.db?.generatedAdminPassword;
    const lines = [
      '',
      `  Pulse is running at ${url}`,
      password
        ? `  Sign in as "admin" with password: ${password}   (shown once; set PULSE_ADMIN_PASSWORD to choose it)`
        : '  Sign in as "admin" (password from PULSE_ADMIN_PASSWORD, or the one printed at first start).',
      '  Press Ctrl-C to stop.',
      '',
    ];
    console.log(lines.join('\n'));
  }

  async stop(code: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.log.info('stopping');
    const children = this.groups.flatMap((g) => {
      if (g.restartTimer) clearTimeout(g.restartTimer);
      return g.children.filter((c) => c.exitCode === null && c.signalCode === null);
    });
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    );
    await this.db?.embedded?.stop().catch(() => undefined);
    this.log.info('stopped');
    // Give pino's async destination a moment to drain.
    setTimeout(() => process.exit(code), 50);
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
