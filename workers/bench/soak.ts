/**
 * `npm run soak`: the whole product under load for a long run, as a user starts it
 * (`node --import tsx workers/start.ts --no-build`, its own process group, data directory and
 * ports), with incidents and a stream of bad input over HTTP. Every sample interval it reads
 * the RSS of each process of the group (/proc), the event-time lag and the database size
 * (PostgreSQL), and the flush p99 (the deltas of the /metrics histogram). At the end it stops
 * the product with SIGINT, starts the cluster again to read the final accounting, and writes
 * the report and chart (lib/observability/soak-report.ts renders them).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import type { SoakArgs } from '@/lib/cli/soak-args';
import { parseConfig, type Config } from '@/lib/config/schema';
import { parseEventLine } from '@/lib/ingest/events';
import {
  accountingChecks,
  classifyProcess,
  clock,
  histogramDelta,
  MEMORY_SERIES,
  memoryBySeries,
  parseHistogram,
  quantileFromBuckets,
  renderSoakReport,
  renderSoakSvg,
  SERIES_LABELS,
  soakTrends,
  type HistogramBuckets,
  type MemorySeries,
  type PartitionCounts,
  type ProcessMemory,
  type SoakSample,
} from '@/lib/observability/soak-report';
import { EVENT_TYPES } from '@/lib/simulator/model';
import { METRIC_NAMES } from '@/lib/observability/telemetry';
import { SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { createDb, type DbHandle } from '@/db/client';
import { embeddedUrl, freePort, startEmbeddedPostgres } from '@/db/embedded';
import { globalWatermark } from '@/db/queries/stream';
import { HTTP_SOURCE } from '@/app/_server/http-ingest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Ports other runs use (npm start, tests, e2e); the soak never takes them. */
const RESERVED_PORTS = new Set([3000, 3100, 3300, 54329, 54339, 54359]);
const STOP_GRACE_MS = 20_000;
/** Incidents every 10 minutes from minute 2 (six in a 60-minute run, the scenarios twice). */
const INCIDENTS = { first: '2m', duration: '4m', gap: '6m' };

export interface SoakOptions extends SoakArgs {
  /** The command line, for the report. */
  command: string;
  /** env.ts's childEnvironment: this process's environment with overrides. */
  childEnvironment: (overrides: Record<string, string | undefined>) => NodeJS.ProcessEnv;
  /** Set when the user interrupts; the run then ends early and still reports. */
  interrupted: () => boolean;
}

interface Product {
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

/** Runs the soak and writes the report; resolves true when every check passed. */
export async function runSoak(options: SoakOptions): Promise<boolean> {
  const startedAt = Date.now();
  const load = loadavg();
  await ensureBuild(options.build);
  const stamp = new Date(startedAt).toISOString().replace(/[-:]/g, '').slice(0, 15);
  const dataDir = join(ROOT, '.data', `soak-${stamp}`);
  const logFile = `${dataDir}.log`;
  await mkdir(dataDir, { recursive: true });
  const [port, pgPort] = [await port_(), await port_()];
  const password = randomBytes(18).toString('base64url');
  const env = options.childEnvironment({
    DATABASE_URL: undefined,
    KAFKA_BROKERS: undefined,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: String(port),
    PULSE_PG_PORT: String(pgPort),
    PULSE_DATA_DIR: dataDir,
    PULSE_ADMIN_PASSWORD: password,
    PULSE_SIM_RATE: String(options.ratePerSec),
    PULSE_SIM_FIRST_INCIDENT: INCIDENTS.first,
    PULSE_SIM_INCIDENT_DURATION: INCIDENTS.duration,
    PULSE_SIM_INCIDENT_GAP: INCIDENTS.gap,
  });
  const cfg = parseConfig(env);
  const base = `http://127.0.0.1:${port}`;
  const notes: string[] = [];
  console.log(`soak: data in ${relative(ROOT, dataDir)}, web ${base}, PostgreSQL ${pgPort}`);

  const product = startProduct(env, logFile);
  const killOnExit = () => killGroup(product.pgid, 'SIGKILL');
  process.once('exit', killOnExit);
  const sender = new Sender(base);
  const samples: SoakSample[] = [];
  const sampled = await sampleRun(options, product, sender, {
    base,
    dataDir,
    pgPort,
    password,
    cfg,
    samples,
  }).catch((error: unknown) => ({
    error,
    runMs: 0,
    beforeStop: [] as PartitionCounts[],
    restarts: [] as string[],
  }));
  sender.stop();
  notes.push(...sampled.restarts);
  notes.push(await stopProduct(product));
  process.removeListener('exit', killOnExit);
  if ('error' in sampled) {
    if (!options.keep) await rm(dataDir, { recursive: true, force: true });
    throw sampled.error;
  }
  const { runMs, beforeStop } = sampled;
  if (options.interrupted())
    notes.push(`**Interrupted** at ${clock(runMs)}: the run is shorter than asked.`);
  const final = await readFinal(dataDir, pgPort).catch((error: unknown) => {
    notes.push(`**Could not read the final state**: ${(error as Error).message}`);
    return null;
  });

  // ── the report ──
  const checks = final
    ? accountingChecks({
        partitions: final.partitions,
        beforeStop,
        quarantineRows: final.quarantine,
        rollupEvents: final.rollupEvents,
        leafEvents: final.leafEvents,
        http: { source: HTTP_SOURCE, ...sender.totals() },
        simulatorSource: SIMULATOR_SOURCE,
      })
    : [{ name: 'final state read', ok: false, detail: 'see the notes' }];
  const trends = soakTrends(samples, runMs);
  notes.unshift(...sender.describe(), ...logNotes(product, logFile));
  if (final) {
    notes.push(
      `Incidents injected: ${final.injections}; anomalies opened by the detector: ${final.anomalies} (the back-fill's included). Final database size ${(final.dbBytes / 2 ** 20).toFixed(0)} MB.`,
    );
  }
  const chartPath = options.out.replace(/\.md$/, '.svg');
  const commit = gitState();
  const markdown = renderSoakReport({
    command: options.command,
    startedAt,
    machine: {
      cores: cpus().length,
      cpu: cpus()[0]?.model ?? 'unknown CPU',
      memGiB: totalmem() / 2 ** 30,
      loadavg: load,
      node: process.version,
    },
    settings: settings(options, cfg, commit),
    runMs,
    samples,
    trends,
    checks,
    notes,
    chart: basename(chartPath),
  });
  const prettierOptions = (await resolveConfig(options.out)) ?? {};
  await mkdir(dirname(resolve(ROOT, options.out)), { recursive: true });
  await writeFile(
    resolve(ROOT, options.out),
    await format(markdown, { ...prettierOptions, parser: 'markdown' }),
  );
  await writeFile(resolve(ROOT, chartPath), renderSoakSvg(samples));
  if (!options.keep) await rm(dataDir, { recursive: true, force: true });

  const failed = checks.filter((c) => !c.ok);
  console.log(
    `\nsoak: ${samples.length} samples over ${clock(runMs)}; report in ${options.out}, chart in ${chartPath}`,
  );
  for (const t of trends) {
    if (t.trend)
      console.log(
        `  ${t.label.padEnd(32)} ${t.trend.verdict.padEnd(8)} ${t.trend.slopePerHour >= 0 ? '+' : ''}${t.trend.slopePerHour.toFixed(1)} ${t.unit}/h`,
      );
  }
  console.log(
    `  accounting: ${failed.length === 0 ? `exact (${checks.length} checks)` : `${failed.length} check(s) FAILED`}`,
  );
  for (const c of failed) console.log(`    FAILED ${c.name}: ${c.detail}`);
  for (const note of notes) console.log(`  - ${note.replace(/\*\*/g, '')}`);
  const rising = trends.some((t) => t.trend?.verdict === 'rising');
  return failed.length === 0 && !rising;
}

interface RunContext {
  base: string;
  dataDir: string;
  pgPort: number;
  password: string;
  cfg: Config;
  samples: SoakSample[];
}

/** Waits for the product, starts the sender, samples until the end; reads the pre-stop state. */
async function sampleRun(options: SoakOptions, product: Product, sender: Sender, ctx: RunContext) {
  await waitHealthy(ctx.base, product, options.interrupted);
  const t0 = Date.now();
  console.log(`soak: the product is up; running ${options.minutes} min`);
  await sender.signIn(ctx.password);
  const url = await embeddedUrl({ dir: ctx.dataDir, port: ctx.pgPort });
  if (!url) throw new Error(`no embedded cluster under ${ctx.dataDir}`);
  const db = createDb(url, { max: 2, appName: 'pulse-soak' });
  const sampler = new Sampler(product.pgid, db, ctx.base, ctx.cfg);
  const sending = sender.run(options.ingestEveryMs);
  try {
    const endAt = t0 + options.minutes * 60_000;
    for (let next = t0; ; next += options.sampleMs) {
      while (Date.now() < next && !options.interrupted()) {
        await sleep(Math.min(250, next - Date.now()));
      }
      if (options.interrupted()) break;
      if (product.child.exitCode !== null) throw new Error('the product exited during the run');
      try {
        const sample = await sampler.sample(Date.now() - t0);
        ctx.samples.push(sample);
        console.log(progressLine(sample));
      } catch (error) {
        const note = `**The sample at ${clock(Date.now() - t0)} failed**: ${(error as Error).message}`;
        sampler.restarts.push(note);
        console.log(`  ${note}`);
      }
      if (next + options.sampleMs > endAt + 1000) break;
    }
    const runMs = Date.now() - t0;
    // Every request answered before the read: HTTP ingest answers once its events are written.
    sender.stop();
    await sending;
    const others = sampler.others.size > 0 ? [`"other" is ${[...sampler.others].join(', ')}.`] : [];
    return {
      runMs,
      beforeStop: await readPartitions(db),
      restarts: [...sampler.restarts, ...others],
    };
  } finally {
    sender.stop();
    await sending.catch(() => undefined);
    await db.close();
  }
}

function progressLine(x: SoakSample): string {
  const memory = MEMORY_SERIES.filter((s) => x.memoryMb[s] > 0)
    .map((s) => `${s} ${x.memoryMb[s].toFixed(0)}`)
    .join(' ');
  return `  ${clock(x.elapsedMs).padStart(6)}  RSS MB: ${memory}  lag ${x.lagSeconds?.toFixed(1) ?? '–'} s  flush p99 ${x.flushP99Ms?.toFixed(0) ?? '–'} ms  DB ${(x.dbBytes / 2 ** 20).toFixed(0)} MB  folded ${n(x.folded)}`;
}

// ── the product ──────────────────────────────────────────────────────────────────────────────

async function ensureBuild(build: boolean): Promise<void> {
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

async function port_(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!RESERVED_PORTS.has(port)) return port;
  }
}

function startProduct(env: NodeJS.ProcessEnv, logFile: string): Product {
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

async function waitHealthy(base: string, product: Product, interrupted: () => boolean) {
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
function productPids(pgid: number): number[] {
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
function killGroup(pgid: number, signal: NodeJS.Signals): void {
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
async function stopProduct(product: Product): Promise<string> {
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

function logNotes(product: Product, logFile: string): string[] {
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

// ── samples ──────────────────────────────────────────────────────────────────────────────────

class Sampler {
  /** What happened to the product's processes (and failed samples), for the notes. */
  readonly restarts: string[] = [];
  /** Command names of the processes counted as "other". */
  readonly others = new Set<string>();
  private pids = new Map<MemorySeries, Set<number>>();
  private histogram: HistogramBuckets = new Map();
  private previous: { elapsedMs: number; folded: number } | null = null;

  constructor(
    private readonly pgid: number,
    private readonly db: DbHandle,
    private readonly base: string,
    private readonly cfg: Config,
  ) {}

  async sample(elapsedMs: number): Promise<SoakSample> {
    const processes = this.processes(elapsedMs);
    const [metrics, wm, [row]] = await Promise.all([
      fetch(`${this.base}/metrics`, { signal: AbortSignal.timeout(10_000) })
        .then((r) => (r.ok ? r.text() : ''))
        .catch(() => ''),
      globalWatermark(this.db.sql, this.cfg.idleTimeoutMs),
      this.db.sql<{ size: string; folded: string; quarantined: string; queue: string }[]>`
        select pg_database_size(current_database()) as size,
          (select coalesce(sum(folded), 0) from source_partitions) as folded,
          (select coalesce(sum(quarantined), 0) from source_partitions) as quarantined,
          (select count(*) from scoring_queue) as queue`,
    ]);
    const now = Date.now();
    const histogram = parseHistogram(metrics, METRIC_NAMES.flushDuration);
    const delta = histogramDelta(this.histogram, histogram);
    const first = this.previous === null;
    this.histogram = histogram;
    const p99 = first ? null : quantileFromBuckets(delta, 0.99);
    const folded = Number(row!.folded);
    const eventsPerSec = this.previous
      ? ((folded - this.previous.folded) * 1000) / (elapsedMs - this.previous.elapsedMs)
      : null;
    this.previous = { elapsedMs, folded };
    return {
      elapsedMs,
      memoryMb: memoryBySeries(processes),
      backends: processes.filter((p) => p.series === 'pg_backends').length,
      lagSeconds: wm === null ? null : (now - wm) / 1000,
      flushP99Ms: p99 === null ? null : p99 * 1000,
      flushes: first ? null : (delta.get(Infinity) ?? 0),
      dbBytes: Number(row!.size),
      folded,
      quarantined: Number(row!.quarantined),
      eventsPerSec,
      scoringQueue: Number(row!.queue),
    };
  }

  /** Memory of every process in the group; notes a process of one kind that was replaced. */
  private processes(elapsedMs: number): ProcessMemory[] {
    const found: ProcessMemory[] = [];
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
        this.restarts.push(
          `**${SERIES_LABELS[series]} replaced** by ${clock(elapsedMs)}: pid ${[...before].join(', ')} → ${now ? [...now].join(', ') : 'none'}.`,
        );
      }
    }
    this.pids = pids;
    return found;
  }
}

async function readPartitions(db: DbHandle): Promise<PartitionCounts[]> {
  const rows = await db.sql<
    {
      source: string;
      partition: number;
      received: string;
      folded: string;
      quarantined: string;
      next_offset: string;
    }[]
  >`select source, partition, received, folded, quarantined, next_offset
    from source_partitions order by source, partition`;
  return rows.map((r) => ({
    source: r.source,
    partition: r.partition,
    received: Number(r.received),
    folded: Number(r.folded),
    quarantined: Number(r.quarantined),
    nextOffset: Number(r.next_offset),
  }));
}

/** The final state, read from the cluster started again after the product stopped. */
async function readFinal(dataDir: string, pgPort: number) {
  const pg = await startEmbeddedPostgres({ dir: dataDir, port: pgPort });
  const db = createDb(pg.url, { max: 1, appName: 'pulse-soak-final' });
  try {
    const partitions = await readPartitions(db);
    const quarantine = await db.sql<{ source: string; reason: string; count: string }[]>`
      select source, reason, count(*) as count from quarantine group by source, reason`;
    const [totals] = await db.sql<
      { rollups: string; leaves: string; size: string; injections: string; anomalies: string }[]
    >`
      select
        (select coalesce(sum(count), 0) from rollups where dim = '*' and value = '*' and measure = '') as rollups,
        (select coalesce(sum(count), 0) from leaf_rollups where measure = '') as leaves,
        pg_database_size(current_database()) as size,
        (select count(*) from injections) as injections,
        (select count(*) from anomalies) as anomalies`;
    return {
      partitions,
      quarantine: quarantine.map((r) => ({
        source: r.source,
        reason: r.reason,
        count: Number(r.count),
      })),
      rollupEvents: Number(totals!.rollups),
      leafEvents: Number(totals!.leaves),
      dbBytes: Number(totals!.size),
      injections: Number(totals!.injections),
      anomalies: Number(totals!.anomalies),
    };
  } finally {
    await db.close();
    await pg.stop();
  }
}

// ── bad input over HTTP ──────────────────────────────────────────────────────────────────────

/**
 * Signs in as admin, creates an API key, then posts a batch every interval (one request at a
 * time) and tallies what each answer says it took, against what the contract predicts.
 */
class Sender {
  private cookie = '';
  private key = '';
  private stopped = false;
  private seq = 0;
  private byStatus = new Map<string, number>();
  private records = 0;
  private valid = 0;
  private invalidByReason: Record<string, number> = {};
  private kinds = new Map<string, number>();
  private unanswered = 0;
  private disagreements: string[] = [];

  constructor(private readonly base: string) {}

  async signIn(password: string): Promise<void> {
    const origin = { origin: this.base, 'content-type': 'application/json' };
    const login = await fetch(`${this.base}/api/auth/login`, {
      method: 'POST',
      headers: origin,
      body: JSON.stringify({ username: 'admin', password }),
    });
    if (!login.ok) throw new Error(`sign-in failed: ${login.status} ${await login.text()}`);
    this.cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const created = await fetch(`${this.base}/api/api-keys`, {
      method: 'POST',
      headers: { ...origin, cookie: this.cookie },
      body: JSON.stringify({ name: 'soak' }),
    });
    if (created.status !== 201)
      throw new Error(`creating an API key failed: ${created.status} ${await created.text()}`);
    this.key = ((await created.json()) as { secret: string }).secret;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(everyMs: number): Promise<void> {
    while (!this.stopped) {
      const started = Date.now();
      await this.post();
      const wait = everyMs - (Date.now() - started);
      for (let t = 0; t < wait && !this.stopped; t += 100) await sleep(Math.min(100, wait - t));
    }
  }

  private async post(): Promise<void> {
    const now = Date.now();
    const batch = badInputBatch(this.seq++, now, EVENT_TYPES);
    // What the contract says of each record (the pipeline's own parser), 'late' by construction.
    let valid = 0;
    const reasons: Record<string, number> = {};
    for (const record of batch.records) {
      const parsed = parseEventLine(record.line, now, HTTP_SOURCE);
      const outcome = parsed.ok ? (record.late ? 'late' : 'folded') : parsed.quarantined.reason;
      this.kinds.set(
        `${record.kind} → ${outcome}`,
        (this.kinds.get(`${record.kind} → ${outcome}`) ?? 0) + 1,
      );
      if (outcome === 'folded') valid++;
      else reasons[outcome] = (reasons[outcome] ?? 0) + 1;
    }
    if (batch.malformedBody) reasons.malformed_json = 1;
    let status: string;
    try {
      const res = await fetch(`${this.base}/api/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.key}`, 'content-type': 'application/x-ndjson' },
        body: batch.body,
        signal: AbortSignal.timeout(30_000),
      });
      status = String(res.status);
      const answer = (await res.json().catch(() => ({}))) as {
        accepted?: number;
        quarantined?: number;
        reasons?: Record<string, number>;
      };
      if (res.status === 200 || (res.status === 400 && batch.malformedBody)) {
        const invalid = Object.values(reasons).reduce((a, b) => a + b, 0);
        this.records += valid + invalid;
        this.valid += valid;
        for (const [reason, count] of Object.entries(reasons)) {
          this.invalidByReason[reason] = (this.invalidByReason[reason] ?? 0) + count;
        }
        const expected = JSON.stringify({
          accepted: valid,
          quarantined: invalid,
          reasons: sorted(reasons),
        });
        const got = JSON.stringify({
          accepted: answer.accepted,
          quarantined: answer.quarantined,
          reasons: sorted(answer.reasons ?? {}),
        });
        if (expected !== got && this.disagreements.length < 5) {
          this.disagreements.push(
            `request ${this.seq}: answered ${got}, the contract predicts ${expected}`,
          );
        }
      }
    } catch (error) {
      status =
        (error as Error).name === 'TimeoutError'
          ? 'no answer in 30 s'
          : `network error (${(error as Error).message})`;
      this.unanswered++;
    }
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  totals() {
    return {
      records: this.records,
      valid: this.valid,
      invalidByReason: this.invalidByReason,
      unanswered: this.unanswered,
    };
  }

  describe(): string[] {
    const requests = [...this.byStatus.values()].reduce((a, b) => a + b, 0);
    const invalid = Object.values(this.invalidByReason).reduce((a, b) => a + b, 0);
    return [
      `HTTP ingest: ${n(requests)} requests (${list(this.byStatus, ': ')}); ${n(this.records)} records taken, ${n(this.valid)} valid and ${n(invalid)} invalid${invalid > 0 ? ` (${list(Object.entries(this.invalidByReason), ' ')})` : ''}.`,
      `Kinds of record sent → what the contract makes of them: ${[...this.kinds]
        .sort()
        .map(([k, c]) => `${k} (${n(c)})`)
        .join('; ')}.`,
      ...(this.disagreements.length > 0
        ? [`**Answers that disagree with the contract**: ${this.disagreements.join('; ')}.`]
        : [
            'Every answer of POST /api/ingest matched the contract (accepted, quarantined and reasons).',
          ]),
    ];
  }
}

function list(entries: Iterable<[string, number]>, separator: string): string {
  return [...entries].map(([key, count]) => `${key}${separator}${n(count)}`).join(', ');
}

function sorted(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

// ── the report's settings ────────────────────────────────────────────────────────────────────

/** The commit the working tree sits on, and how many files differ from it. */
function gitState(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    const changed = git('status', '--porcelain').split('\n').filter(Boolean).length;
    return `${git('rev-parse', '--short', 'HEAD').trim()} with ${changed} file(s) changed or new`;
  } catch {
    return 'unknown';
  }
}

function settings(options: SoakOptions, cfg: Config, commit: string): [string, string][] {
  const built = statSync(join(ROOT, '.next', 'BUILD_ID'))
    .mtime.toISOString()
    .slice(0, 16)
    .replace('T', ' ');
  const s = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`);
  return [
    [
      'product',
      `\`node --import tsx workers/start.ts --no-build\` (commit ${commit}; web build of ${built} UTC)`,
    ],
    [
      'duration',
      `${options.minutes} min after /api/health answered, sampled every ${s(options.sampleMs)}`,
    ],
    [
      'simulator',
      `${n(cfg.simulator.ratePerSec)} events/s on average (0.6× to 1.4× over the day), back-fill ${s(cfg.simulator.backfillMs)} at start, seed ${cfg.simulator.seed}`,
    ],
    [
      'incidents',
      `${cfg.simulator.scenarios.join(', ')} in turn: first after ${INCIDENTS.first}, each ${INCIDENTS.duration}, ${INCIDENTS.gap} apart`,
    ],
    [
      'pipeline',
      `window ${s(cfg.windowMs)}, flush every ${s(cfg.flushIntervalMs)}, out-of-order ${s(cfg.outOfOrderMs)}, allowed lateness ${s(cfg.allowedLatenessMs)}, detector ${cfg.detector ? 'on' : 'off'}`,
    ],
    [
      'HTTP ingest',
      `one NDJSON batch every ${s(options.ingestEveryMs)} (every 5th a JSON array, every 10th a broken array body): valid events of the simulator's types and a mix of bad input (see the notes)`,
    ],
    [
      'isolation',
      `fresh data directory .data/soak-…, web port ${cfg.port}, PostgreSQL port ${cfg.embeddedPgPort}, its own process group`,
    ],
  ];
}

// ── the batches ──────────────────────────────────────────────────────────────────────────────

interface BatchRecord {
  /** What the script meant to send, for the notes. */
  kind: string;
  /** The record as the server's body splitter hands it to the pipeline. */
  line: string;
  /** Valid but in a window already final: the pipeline quarantines it as late. */
  late?: boolean;
}

const DIMS = {
  region: ['us-east', 'eu-west', 'us-west', 'eu-central', 'ap-south'],
  device: ['web', 'ios', 'android'],
  feature: ['search', 'feed', 'cart', 'checkout', 'profile'],
  plan: ['free', 'pro', 'enterprise'],
  app_version: ['5.1.0', '5.2.0', '5.3.0'],
};
const VALID_PER_BATCH = 30;
const DAY_MS = 86_400_000;

/**
 * Request `seq` of the HTTP stream: 30 valid events of the simulator's types (current time,
 * the simulator's dimensions and measures), then one of each kind of bad input. Every 5th
 * request is a JSON array (only the kinds JSON can carry), every 10th a body that starts like
 * an array but is not one (400, kept as one malformed_json record).
 */
function badInputBatch(seq: number, now: number, types: readonly string[]) {
  if (seq % 10 === 9) {
    return {
      body: `[{"ts": ${now}, "type": "page_view"}, {"ts": `,
      records: [],
      malformedBody: true,
    };
  }
  let state = (seq * 2654435761) >>> 0;
  const random = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const dims = () => Object.fromEntries(Object.entries(DIMS).map(([k, vs]) => [k, pick(vs)]));
  const objects: { kind: string; value: unknown; late?: boolean }[] = [];
  for (let i = 0; i < VALID_PER_BATCH; i++) {
    const type = pick(types);
    const measures =
      type === 'purchase'
        ? { revenue: Math.round(random() * 20_000) / 100 }
        : type === 'api_request'
          ? { latency_ms: Math.round(random() * 3000) / 10 }
          : undefined;
    objects.push({
      kind: 'valid',
      value: { ts: now - Math.floor(random() * 1000), type, dims: dims(), measures },
    });
  }
  const ts = now - 500;
  objects.push(
    { kind: 'type not a string', value: { ts, type: 42 } },
    { kind: 'dimension value a number', value: { ts, type: 'page_view', dims: { region: 5 } } },
    { kind: 'no ts', value: { type: 'page_view', dims: dims() } },
    { kind: 'no type', value: { ts, dims: dims() } },
    { kind: 'unknown field', value: { ts, type: 'page_view', user: 'alice' } },
    { kind: 'ts not a date', value: { ts: 'yesterday', type: 'page_view' } },
    { kind: 'ts not an integer', value: { ts: ts + 0.5, type: 'page_view' } },
    { kind: 'ts 8 days old', value: { ts: now - 8 * DAY_MS, type: 'page_view' } },
    { kind: 'ts 1 h ahead', value: { ts: now + 3_600_000, type: 'page_view' } },
    {
      kind: 'ts 10 min old',
      value: { ts: now - 600_000, type: 'page_view', dims: dims() },
      late: true,
    },
    {
      kind: 'NUL in a dimension value',
      value: { ts, type: 'soak_edge', dims: { region: 'eu-\u0000west' } },
    },
    {
      kind: 'NUL in a dimension name',
      value: { ts, type: 'soak_edge', dims: { 're\u0000gion': 'x' } },
    },
    {
      kind: 'lone surrogate in a dimension value',
      value: { ts, type: 'soak_edge', dims: { region: 'eu\ud800' } },
    },
    { kind: 'measure 1e308', value: { ts, type: 'soak_edge', measures: { huge: 1e308 } } },
    {
      kind: 'dimension value of 200 characters',
      value: { ts, type: 'page_view', dims: { region: 'r'.repeat(200) } },
    },
    {
      kind: 'event over 8 KB',
      value: { ts, type: 'page_view', dims: { region: 'x'.repeat(9000) } },
    },
    { kind: 'array, not an object', value: [ts, 'page_view'] },
    { kind: 'null', value: null },
  );
  const records: BatchRecord[] = objects.map((o) => ({
    kind: o.kind,
    line: JSON.stringify(o.value),
    late: o.late,
  }));
  if (seq % 5 === 4) {
    return { body: `[${records.map((r) => r.line).join(',\n')}]`, records, malformedBody: false };
  }
  // Only NDJSON can carry these: the server splits lines, blank ones are not records.
  records.push(
    { kind: 'broken JSON', line: `{"ts": ${ts}, "type": "page_view"` },
    { kind: 'not JSON', line: 'hello, world' },
    {
      kind: 'measure 1e400 (Infinity)',
      line: `{"ts":${ts},"type":"api_request","measures":{"latency_ms":1e400}}`,
    },
  );
  return { body: records.map((r) => r.line).join('\n') + '\n\n', records, malformedBody: false };
}
