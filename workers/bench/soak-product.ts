/**
 * The product under `npm run soak`, as a process group: its web build, free ports, starting it
 * as a user would (`node --import tsx workers/start.ts --no-build`, its own process group), its
 * log and the WARN/ERROR/FATAL lines in it, waiting for /api/health, stopping it with SIGINT
 * (SIGKILL after a grace period), and its processes read from /proc: the group and every
 * descendant, and the memory of each, named by kind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  classifyProcess,
  clock,
  SERIES_LABELS,
  type MemorySeries,
  type ProcessMemory,
} from '@/lib/observability/soak-report';
import { freePort } from '@/db/embedded';

/** The repository: the product runs from here, and the soak's paths are relative to it. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Ports other runs use (npm start, tests, e2e); the soak never takes them. */
const RESERVED_PORTS = new Set([3000, 3100, 3300, 54329, 54339, 54359]);
const STOP_GRACE_MS = 20_000;

export interface Product {
  child: ChildProcess;
  pgid: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** WARN, ERROR and FATAL lines by message: while it ran, and once the stop began. */
  findings: { run: Findings; stop: Findings };
  stopping: boolean;
  tail: string[];
}

type Findings = Map<string, { count: number; example: string }>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const n = (x: number) => x.toLocaleString('en-US');

export async function ensureBuild(build: boolean): Promise<void> {
  if (existsSync(join(ROOT, '.next', 'BUILD_ID'))) return;
  if (!build) {
    throw new SoakSetupError(
      'There is no production build of the web app (.next/BUILD_ID). Run `npx next build` first, or pass --build.',
    );
  }
  console.log('soak: building the web app (next build)');
  const code = await new Promise<number | null>((resolveExit) =>
    spawn(process.execPath, [join(ROOT, 'node_modules/next/dist/bin/next'), 'build'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    }).once('exit', resolveExit),
  );
  if (code !== 0) throw new SoakSetupError(`next build failed with exit code ${code}`);
}

/** A refusal to start (no build): the entry point prints it and exits 2. */
export class SoakSetupError extends Error {}

/** A free port that no other run uses. */
export async function freeSoakPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!RESERVED_PORTS.has(port)) return port;
  }
}

export function startProduct(env: NodeJS.ProcessEnv, logFile: string): Product {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/start.ts', '--no-build'], {
    cwd: ROOT,
    env,
    detached: true, // its own process group, like a shell job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(logFile);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => {
      log.end();
      r({ code, signal });
    }),
  );
  const product: Product = {
    child,
    pgid: child.pid!,
    exited,
    findings: { run: new Map(), stop: new Map() },
    stopping: false,
    tail: [],
  };
  for (const stream of [child.stdout!, child.stderr!]) {
    createInterface({ input: stream }).on('line', (line) => {
      log.write(`${line}\n`);
      product.tail.push(line);
      if (product.tail.length > 30) product.tail.shift();
      if (!/\b(WARN|ERROR|FATAL)\b|"level":[456]0/.test(line)) return;
      // One finding per message: the process column and message, without clock and fields.
      const key = line
        .replace(/\d{2}:\d{2}:\d{2}/, '')
        .replace(/ {2}\S+=.*$/, '')
        .trim()
        .slice(0, 160);
      const findings = product.stopping ? product.findings.stop : product.findings.run;
      const found = findings.get(key) ?? { count: 0, example: line.slice(0, 200) };
      found.count++;
      findings.set(key, found);
    });
  }
  return product;
}

export async function waitHealthy(base: string, product: Product, interrupted: () => boolean) {
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline && !interrupted()) {
    if (product.child.exitCode !== null) {
      throw new Error(
        `the product exited before it was up:\n${product.tail.slice(-15).join('\n')}`,
      );
    }
    try {
      if ((await fetch(`${base}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await sleep(500);
  }
  throw new Error(
    interrupted()
      ? 'interrupted before the product was up'
      : 'the product did not answer /api/health within 10 minutes',
  );
}

/**
 * The product's processes: the group `pgid` (field 5 of /proc/<pid>/stat) and every
 * descendant, since PostgreSQL's backends start sessions of their own (setsid).
 */
export function productPids(pgid: number): number[] {
  const parent = new Map<number, number>();
  const members = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name in brackets may hold spaces: count fields after its closing one.
      const [, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(ppid));
      if (Number(pgrp) === pgid) members.add(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!members.has(pid) && members.has(ppid)) {
        members.add(pid);
        grew = true;
      }
    }
  }
  return [...members];
}

/** Signals the group, and with SIGKILL each descendant outside it too. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  const pids = signal === 'SIGKILL' ? productPids(pgid) : [];
  for (const target of [-pgid, ...pids]) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
}

/** SIGINT to the group, as Ctrl-C would; SIGKILL after 20 s. Says how it went. */
export async function stopProduct(product: Product): Promise<string> {
  const started = Date.now();
  product.stopping = true;
  killGroup(product.pgid, 'SIGINT');
  while (Date.now() - started < STOP_GRACE_MS && productPids(product.pgid).length > 0)
    await sleep(200);
  const left = productPids(product.pgid).map((pid) => {
    try {
      return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 80)})`;
    } catch {
      return String(pid);
    }
  });
  if (left.length > 0) {
    killGroup(product.pgid, 'SIGKILL');
    await product.exited;
    return `**Stop: still running ${STOP_GRACE_MS / 1000} s after SIGINT, SIGKILLed**: ${left.join(', ')}.`;
  }
  const { code, signal } = await product.exited;
  return `Stop: SIGINT to the process group; every process was gone after ${((Date.now() - started) / 1000).toFixed(1)} s (supervisor exit ${signal ?? `code ${code}`}).`;
}

export function logNotes(product: Product, logFile: string): string[] {
  const describe = (findings: Findings, when: string) => {
    if (findings.size === 0) return [`No WARN, ERROR or FATAL line ${when}.`];
    const lines = [...findings.values()].sort((a, b) => b.count - a.count);
    const total = lines.reduce((sum, l) => sum + l.count, 0);
    return [
      `**${n(total)} WARN/ERROR/FATAL line(s) ${when}**, ${lines.length} distinct:`,
      ...lines.slice(0, 10).map((l) => `  ${l.count} × \`${l.example.replace(/`/g, "'")}\``),
    ];
  };
  return [
    `The product's log is kept in ${relative(ROOT, logFile)}.`,
    ...describe(product.findings.run, 'while it ran'),
    ...describe(product.findings.stop, 'once the stop began'),
  ];
}

// ── the processes' memory ────────────────────────────────────────────────────────────────────

/** The memory of the product's processes, read from /proc at each sample. */
export class ProductProcesses {
  /** Command names of the processes counted as "other". */
  readonly others = new Set<string>();
  private pids = new Map<MemorySeries, Set<number>>();

  constructor(private readonly pgid: number) {}

  /**
   * Memory of every process in the group, and a note for each kind of process whose pid
   * changed since the previous read (a process replaced).
   */
  read(elapsedMs: number): { memory: ProcessMemory[]; replaced: string[] } {
    const found: ProcessMemory[] = [];
    const replaced: string[] = [];
    const pids = new Map<MemorySeries, Set<number>>();
    for (const pid of productPids(this.pgid)) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        const kb = (field: string) =>
          Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
        const series = classifyProcess(argv);
        if (series === 'other') this.others.add(basename(argv[0] ?? '?'));
        found.push({ series, rssKb: kb('VmRSS'), anonKb: kb('RssAnon') });
        pids.set(series, (pids.get(series) ?? new Set()).add(pid));
      } catch {
        // exited meanwhile
      }
    }
    for (const series of ['supervisor', 'web', 'worker', 'simulator', 'postgres'] as const) {
      const before = this.pids.get(series);
      const now = pids.get(series);
      if (before && [...before].some((pid) => !now?.has(pid))) {
        replaced.push(
          `**${SERIES_LABELS[series]} replaced** by ${clock(elapsedMs)}: pid ${[...before].join(', ')} → ${now ? [...now].join(', ') : 'none'}.`,
        );
      }
    }
    this.pids = pids;
    return { memory: found, replaced };
  }
}
