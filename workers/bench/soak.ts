/**
 * `npm run soak`: the whole product under load for a long run, as a user starts it, with
 * incidents and a stream of bad input over HTTP. This file holds the run: it starts the product
 * (soak-product.ts) and the HTTP sender (soak-input.ts), and every sample interval reads the RSS
 * of each process of the group (/proc), the event-time lag and the database size (PostgreSQL),
 * and the flush p99 (the deltas of the /metrics histogram). At the end it stops the product with
 * SIGINT, starts the cluster again to read the final accounting, and writes the report and chart
 * (lib/observability/soak-report.ts and soak-chart.ts render them).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import type { SoakArgs } from '@/lib/cli/soak-args';
import { parseConfig, type Config } from '@/lib/config/schema';
import { renderSoakSvg } from '@/lib/observability/soak-chart';
import {
  accountingChecks,
  clock,
  MEMORY_SERIES,
  memoryBySeries,
  renderSoakReport,
  soakTrends,
  type PartitionCounts,
  type SoakSample,
} from '@/lib/observability/soak-report';
import {
  histogramDelta,
  parseHistogram,
  quantileFromBuckets,
  type HistogramBuckets,
} from '@/lib/observability/soak-trend';
import { METRIC_NAMES } from '@/lib/observability/telemetry';
import { SIMULATOR_SOURCE } from '@/lib/stream/pipeline';
import { createDb, type DbHandle } from '@/db/client';
import { embeddedUrl, startEmbeddedPostgres } from '@/db/embedded';
import { globalWatermark } from '@/db/queries/stream';
import { HTTP_SOURCE } from '@/app/_server/http-ingest';
import { Sender } from './soak-input';
import {
  ensureBuild,
  freeSoakPort,
  killGroup,
  logNotes,
  ProductProcesses,
  ROOT,
  startProduct,
  stopProduct,
  waitHealthy,
  type Product,
} from './soak-product';

export { SoakSetupError } from './soak-product';

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
  const [port, pgPort] = [await freeSoakPort(), await freeSoakPort()];
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
    const { others } = sampler.processes;
    const other = others.size > 0 ? [`"other" is ${[...others].join(', ')}.`] : [];
    return {
      runMs,
      beforeStop: await readPartitions(db),
      restarts: [...sampler.restarts, ...other],
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

// ── samples ──────────────────────────────────────────────────────────────────────────────────

class Sampler {
  /** What happened to the product's processes (and failed samples), for the notes. */
  readonly restarts: string[] = [];
  /** The memory of the product's processes, and the command names counted as "other". */
  readonly processes: ProductProcesses;
  private histogram: HistogramBuckets = new Map();
  private previous: { elapsedMs: number; folded: number } | null = null;

  constructor(
    pgid: number,
    private readonly db: DbHandle,
    private readonly base: string,
    private readonly cfg: Config,
  ) {
    this.processes = new ProductProcesses(pgid);
  }

  async sample(elapsedMs: number): Promise<SoakSample> {
    const { memory, replaced } = this.processes.read(elapsedMs);
    this.restarts.push(...replaced);
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
      memoryMb: memoryBySeries(memory),
      backends: memory.filter((p) => p.series === 'pg_backends').length,
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
