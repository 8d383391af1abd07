/**
 * `npm run bench -- --history`: does the cost of the read paths stay flat as history grows
 * (issue 12)? For each history size (1 and 14 days by default) one embedded PostgreSQL, in its
 * own data directory (.data/bench-history-<n>d) and port, is filled with that much history at
 * 1,000 events/s; then every read path is timed on all of them, runs alternating between the
 * databases so that the machine's other work weighs on each alike.
 *
 * Folding 14 days of events (1.2 billion) is out of reach, so the history is made of rows:
 * 1. The simulator (its default incident schedule) runs for a warm-up (one baseline, 30
 *    windows), a template (`--template-windows`, 60 one-minute windows) and the live windows
 *    at the end (2 × `--detector-windows`). Its events are folded by the `RollupAccumulator` and
 *    written with the stream's upserts (db/queries/stream.ts). The rate is set so that the
 *    template runs at 1,000 events/s actual: the daily shape's mean is 1, so a day at a
 *    configured 1,000 events/s averages that.
 * 2. The real detector (workers/services/detector.ts) scores the warm-up and the template:
 *    points, anomalies and their explanations.
 * 3. The template — rollups, leaf cube, points, anomalies (points re-linked to the copies),
 *    injections — is copied back in SQL, shifted by whole templates, until it covers the
 *    history's start. The day partitions are made first by `ensurePartitions` (called with
 *    now = the history's start, and enough days ahead to reach past today), so every row lands
 *    in its day partition, none in the default one (checked).
 * 4. VACUUM (ANALYZE) and a checkpoint, as autovacuum would have done long since.
 * The live windows stay unscored: the detector scores them one per tick while it is timed.
 * The History section of docs/benchmarks.md is rendered by workers/bench/history-section.ts.
 */
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { parseConfig } from '@/lib/config/schema';
import { DEFAULT_RULE, type LeafDelta, type RollupDelta } from '@/lib/types';
import { createLogger } from '@/lib/observability/log';
import { DAYS_AHEAD } from '@/lib/retention/partitions';
import type { TableStorage } from '@/lib/retention/policy';
import { Simulator } from '@/lib/simulator/generator';
import { dailyShape } from '@/lib/simulator/model';
import { schedule, type Injection } from '@/lib/simulator/scenarios';
import { RollupAccumulator } from '@/lib/stream/rollup';
import { createDb, type DbHandle } from '@/db/client';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { closeWindows } from '@/db/queries/detector';
import { previewDefinition } from '@/db/queries/definition-preview';
import { insertInjections } from '@/db/queries/injections';
import { ensureDefaultMetrics, getMetricByKey, toRule } from '@/db/queries/metrics';
import { applyRetention, ensurePartitions, tableStorage } from '@/db/queries/retention';
import { previewRule } from '@/db/queries/rule-preview';
import { upsertLeafRollups, upsertRollups } from '@/db/queries/stream';
import { loadAnomalyDetail, loadBoard } from '@/db/queries/views';
import { createDetector, type Detector } from '@/workers/services/detector';
import { median } from './hot-path';

/** Events per second the history is made at, and the simulator's seed. */
export const RATE = 1000;
export const SEED = 42;

export interface HistoryOptions {
  /** History sizes in days, smallest first (fractions are for trying the benchmark out). */
  days: number[];
  /** One-minute windows simulated and copied back over the history. */
  templateWindows: number;
  /** Timed runs of each read path (after one warm-up), per database. */
  runs: number;
  /** Windows the detector scores while timed, per database, before and after retention. */
  detectorWindows: number;
  /** Keep the data directories (stopped clusters) instead of removing them. */
  keep: boolean;
  log: (line: string) => void;
}

/** The history flags of workers/bench.ts, checked; throws an Error naming the flag. */
export function historyOptions(values: {
  days: string;
  templateWindows: string;
  runs: string;
  detectorWindows: string;
  keep: boolean;
}): Omit<HistoryOptions, 'log'> {
  const days = values.days.split(',').map((d) => Number(d.trim()));
  if (days.length < 2 || days.some((d) => !(d > 0 && d <= 90 && Number.isFinite(d)))) {
    throw new Error('--days: two or more sizes in days, each > 0 and ≤ 90, e.g. 1,14');
  }
  const int = (flag: string, text: string, min: number, max: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new Error(`--${flag}: an integer from ${min} to ${max}`);
    }
    return n;
  };
  return {
    days: [...new Set(days)].sort((a, b) => a - b),
    templateWindows: int('template-windows', values.templateWindows, 5, 1440),
    runs: int('runs', values.runs, 1, 100),
    detectorWindows: int('detector-windows', values.detectorWindows, 1, 200),
    keep: values.keep,
  };
}

/** Where everything sits in event time (epoch ms), oldest first; all window-aligned. */
interface Layout {
  windowMs: number;
  /** First window of the history. */
  start: number;
  warmStart: number;
  templateStart: number;
  /** = templateEnd: the live windows, unscored until the detector is timed. */
  liveStart: number;
  /** End of the history: the reads' `now`. */
  end: number;
}

/** What the simulator made, folded per window; the same for every database. */
interface Simulated {
  windows: { windowStart: number; deltas: RollupDelta[]; leaves: LeafDelta[] }[];
  injections: Injection[];
  ratePerSec: number;
  /** Events per second over the template windows. */
  templateRate: number;
  leavesPerWindow: number;
  rollupsPerWindow: number;
}

interface Cluster {
  days: number;
  dir: string;
  pg: EmbeddedDatabase;
  handle: DbHandle;
  detector: Detector;
  layout: Layout;
  drillAnomaly: number | null;
  load: LoadReport;
}

export interface LoadReport {
  days: number;
  /** Seconds: writing the simulated windows, scoring them, copying, VACUUM + checkpoint. */
  writeSeconds: number;
  scoreSeconds: number;
  copySeconds: number;
  vacuumSeconds: number;
  rows: { rollups: number; leaves: number; points: number; anomalies: number };
  defaultPartitionRows: number;
  partitions: number;
}

export interface SizeReport {
  databaseBytes: number;
  tables: TableStorage[];
  /** The cluster directory on disk (du), WAL included. */
  diskBytes: number;
}

export interface PathResult {
  path: string;
  /** Median ms per history size, in `days` order. */
  before: number[];
  after: number[];
}

export interface HistoryResult {
  date: string;
  cpus: number;
  load: number[];
  days: number[];
  templateWindows: number;
  runs: number;
  detectorWindows: number;
  simulated: Omit<Simulated, 'windows' | 'injections'> & { injections: number };
  loads: LoadReport[];
  paths: PathResult[];
  retentionFirst: { ms: number; dropped: number }[];
  retentionSteady: number[];
  baseline: BaselineReads[];
  sizesBefore: SizeReport[];
  sizesAfter: SizeReport[];
  seconds: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const interval = (ms: number) => `${ms} milliseconds`;
const seconds = (since: number) => (performance.now() - since) / 1000;

function layoutFor(days: number, options: Omit<HistoryOptions, 'log'>, end: number): Layout {
  const windowMs = 60_000;
  const liveStart = end - 2 * options.detectorWindows * windowMs;
  const templateStart = liveStart - options.templateWindows * windowMs;
  const warmStart = templateStart - DEFAULT_RULE.baselineWindows * windowMs;
  const start = end - Math.round(days * 1440) * windowMs;
  if (start > warmStart) {
    throw new Error(
      `--days ${days}: shorter than the simulated windows (${(end - warmStart) / windowMs}); use more days or fewer template windows`,
    );
  }
  return { windowMs, start, warmStart, templateStart, liveStart, end };
}

/** Simulates and folds the warm-up, template and live windows (see the module comment). */
function simulate(lay: Layout): Simulated {
  const { windowMs } = lay;
  const templateShape = (() => {
    let sum = 0;
    let n = 0;
    for (let w = lay.templateStart; w < lay.liveStart; w += windowMs, n++) {
      sum += dailyShape(w + windowMs / 2);
    }
    return sum / n;
  })();
  const ratePerSec = RATE / templateShape;
  const sim = parseConfig({}).simulator;
  const injections = schedule({
    startMs: lay.warmStart,
    firstAfterMs: sim.firstIncidentMs,
    durationMs: sim.incidentDurationMs,
    gapMs: sim.incidentGapMs,
    scenarios: sim.scenarios,
    untilMs: lay.end,
  });
  const simulator = new Simulator({ seed: SEED, ratePerSec, injections });
  const windows: Simulated['windows'] = [];
  let templateEvents = 0;
  for (let w = lay.warmStart; w < lay.end; w += windowMs) {
    const acc = new RollupAccumulator({
      windowMs,
      maxValuesPerDim: parseConfig({}).maxValuesPerDim,
    });
    const events = simulator.generate(w, w + windowMs);
    for (const event of events) acc.add(event);
    if (w >= lay.templateStart && w < lay.liveStart) templateEvents += events.length;
    windows.push({ windowStart: w, ...acc.drain() });
  }
  const template = windows.filter(
    (x) => x.windowStart >= lay.templateStart && x.windowStart < lay.liveStart,
  );
  return {
    windows,
    injections,
    ratePerSec,
    templateRate: templateEvents / ((lay.liveStart - lay.templateStart) / 1000),
    leavesPerWindow: template.reduce((n, x) => n + x.leaves.length, 0) / template.length,
    rollupsPerWindow: template.reduce((n, x) => n + x.deltas.length, 0) / template.length,
  };
}

async function clusterDiskBytes(dir: string): Promise<number> {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

async function sizes(c: Cluster): Promise<SizeReport> {
  const [row] = await c.handle.sql<{ bytes: string }[]>`
    select pg_database_size(current_database())::text as bytes`;
  return {
    databaseBytes: Number(row!.bytes),
    tables: await tableStorage(c.handle.db),
    diskBytes: await clusterDiskBytes(c.pg.clusterDir),
  };
}

/** Copies the template back over [start, warmStart), two blocks at a time (two connections). */
async function copyTemplate(handle: DbHandle, lay: Layout, log: (line: string) => void) {
  const span = lay.liveStart - lay.templateStart;
  const blocks: { shift: number; from: number; to: number }[] = [];
  for (let k = 1; lay.liveStart - k * span > lay.start; k++) {
    const shift = k * span;
    const from = Math.max(lay.templateStart, lay.start + shift);
    const to = Math.min(lay.liveStart, lay.warmStart + shift);
    if (from < to) blocks.push({ shift, from, to });
  }
  const rows = { rollups: 0, leaves: 0, points: 0, anomalies: 0 };
  const { sql } = handle;
  let next = 0;
  let done = 0;
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < blocks.length; i = next++) {
      const { shift, from, to } = blocks[i]!;
      const [f, t, s] = [iso(from), iso(to), interval(shift)];
      const r = await sql`
        insert into rollups (window_start, event_type, dim, value, measure, count, sum, sumsq, min, max)
        select window_start - ${s}::interval, event_type, dim, value, measure, count, sum, sumsq, min, max
        from rollups where window_start >= ${f}::timestamptz and window_start < ${t}::timestamptz`;
      const l = await sql`
        insert into leaf_rollups (window_start, event_type, leaf, measure, count, sum, sumsq)
        select window_start - ${s}::interval, event_type, leaf, measure, count, sum, sumsq
        from leaf_rollups where window_start >= ${f}::timestamptz and window_start < ${t}::timestamptz`;
      // Anomalies opened in the block, and its points linked to the copies.
      const [counts] = await sql<{ anomalies: number; points: number }[]>`
        with copied as (
          insert into anomalies (metric_id, status, severity, direction, first_window, last_window,
            peak_window, value, expected, sigma, z, explanation, sentence, normal_windows,
            revisions, created_at, updated_at)
          select metric_id, case when status = 'open' then 'resolved' else status end, severity,
            direction, first_window - ${s}::interval, last_window - ${s}::interval,
            peak_window - ${s}::interval, value, expected, sigma, z, explanation, sentence,
            normal_windows, revisions, created_at - ${s}::interval, updated_at - ${s}::interval
          from anomalies
          where first_window >= ${f}::timestamptz and first_window < ${t}::timestamptz
          returning id, metric_id, first_window
        ), points as (
          insert into metric_points (metric_id, window_start, value, expected, sigma, z, volume,
            status, anomaly_id)
          select p.metric_id, p.window_start - ${s}::interval, p.value, p.expected, p.sigma, p.z,
            p.volume, p.status, c.id
          from metric_points p
          left join anomalies a on a.id = p.anomaly_id
          left join copied c on c.metric_id = a.metric_id
            and c.first_window = a.first_window - ${s}::interval
          where p.window_start >= ${f}::timestamptz and p.window_start < ${t}::timestamptz
          returning 1
        )
        select (select count(*) from copied)::int as anomalies, (select count(*) from points)::int as points`;
      await sql`
        insert into injections (scenario, metric_key, description, root_cause, starts_at, ends_at)
        select scenario, metric_key, description, root_cause, starts_at - ${s}::interval,
          ends_at - ${s}::interval
        from injections where starts_at >= ${f}::timestamptz and starts_at < ${t}::timestamptz`;
      rows.rollups += r.count;
      rows.leaves += l.count;
      rows.points += counts!.points;
      rows.anomalies += counts!.anomalies;
      if (++done % 24 === 0 || done === blocks.length) {
        const rate = Math.round(rows.leaves / seconds(started)).toLocaleString('en-US');
        log(`  copied ${done}/${blocks.length} templates (${rate} leaf rows/s)`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return rows;
}

/** Starts a fresh cluster and fills it with `days` of history. */
async function build(days: number, lay: Layout, sim: Simulated, log: (line: string) => void) {
  const dir = `.data/bench-history-${days}d`;
  await rm(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres({ dir, port: await freePort() });
  const handle = createDb(pg.url, { max: 4, appName: 'bench-history' });
  const { db, sql } = handle;
  const config = parseConfig({});
  const detector = createDetector({
    handle,
    log: createLogger('bench-history', 'warn'),
    windowMs: lay.windowMs,
  });
  const cluster: Cluster = {
    days,
    dir,
    pg,
    handle,
    detector,
    layout: lay,
    drillAnomaly: null,
    load: {} as LoadReport,
  };
  try {
    await runMigrations(db);
    // Loading only: no autovacuum racing the copy (VACUUM runs once at the end), commits
    // without waiting for the WAL flush, fewer checkpoints. Reset before anything is timed.
    for (const setting of [
      'autovacuum = off',
      'synchronous_commit = off',
      "max_wal_size = '4GB'",
    ]) {
      await sql.unsafe(`alter system set ${setting}`);
    }
    await sql`select pg_reload_conf()`;
    await ensureDefaultMetrics(db);
    await ensurePartitions(db, lay.start, config.retention, {
      daysAhead: Math.ceil(days) + DAYS_AHEAD,
    });

    let t = performance.now();
    for (let i = 0; i < sim.windows.length; i += 10) {
      const batch = sim.windows.slice(i, i + 10);
      await upsertRollups(
        sql,
        batch.flatMap((w) => w.deltas),
      );
      await upsertLeafRollups(
        sql,
        batch.flatMap((w) => w.leaves),
      );
    }
    await insertInjections(
      db,
      sim.injections.map((x) => ({
        scenario: x.scenario,
        metricKey: x.metricKey,
        description: x.description,
        rootCause: x.rootCause,
        startsAt: new Date(x.startsAt),
        endsAt: new Date(x.endsAt),
      })),
    );
    const writeSeconds = seconds(t);

    t = performance.now();
    const scored: number[] = [];
    for (let w = lay.warmStart; w < lay.liveStart; w += lay.windowMs) scored.push(w);
    await closeWindows(db, scored, lay.windowMs);
    while ((await detector.tick()) > 0);
    const scoreSeconds = seconds(t);
    const [drill] = await sql<{ id: number }[]>`
      select id from anomalies where first_window >= ${iso(lay.templateStart)}::timestamptz
      order by first_window desc, id desc limit 1`;
    cluster.drillAnomaly = drill?.id ?? null;

    t = performance.now();
    log(`${days} d: copying the template back to ${iso(lay.start)}`);
    const copied = await copyTemplate(handle, lay, log);
    const copySeconds = seconds(t);

    t = performance.now();
    for (const setting of ['autovacuum', 'synchronous_commit', 'max_wal_size']) {
      await sql.unsafe(`alter system reset ${setting}`);
    }
    await sql`select pg_reload_conf()`;
    await sql.unsafe(
      'vacuum (analyze) rollups, leaf_rollups, metric_points, anomalies, injections',
    );
    await sql`checkpoint`;
    const vacuumSeconds = seconds(t);

    const [counts] = await sql<{ n: number; partitions: number }[]>`
      select ((select count(*) from rollups_default) + (select count(*) from leaf_rollups_default)
        + (select count(*) from metric_points_default))::int as n,
        (select count(*) from pg_inherits where inhparent = 'leaf_rollups'::regclass)::int as partitions`;
    const [totals] = await sql<{ r: number; l: number; p: number; a: number }[]>`
      select (select count(*) from rollups where window_start >= ${iso(lay.warmStart)}::timestamptz)::int as r,
        (select count(*) from leaf_rollups where window_start >= ${iso(lay.warmStart)}::timestamptz)::int as l,
        (select count(*) from metric_points)::int as p, (select count(*) from anomalies)::int as a`;
    cluster.load = {
      days,
      writeSeconds,
      scoreSeconds,
      copySeconds,
      vacuumSeconds,
      rows: {
        rollups: copied.rollups + totals!.r,
        leaves: copied.leaves + totals!.l,
        points: totals!.p,
        anomalies: totals!.a,
      },
      defaultPartitionRows: counts!.n,
      partitions: counts!.partitions - 1,
    };
    log(
      `${days} d: ${cluster.load.rows.leaves.toLocaleString('en-US')} leaf rows, ${cluster.load.rows.rollups.toLocaleString('en-US')} rollup rows, ${cluster.load.rows.anomalies} anomalies; write ${writeSeconds.toFixed(0)} s, score ${scoreSeconds.toFixed(0)} s, copy ${copySeconds.toFixed(0)} s, vacuum ${vacuumSeconds.toFixed(0)} s`,
    );
    return cluster;
  } catch (error) {
    await stopCluster(cluster, false);
    throw error;
  }
}

async function stopCluster(c: Cluster, keep: boolean) {
  await c.detector.stop().catch(() => undefined);
  await c.handle.close().catch(() => undefined);
  await c.pg.stop();
  if (!keep) {
    await rm(c.pg.clusterDir, { recursive: true, force: true });
    await rm(c.dir, { recursive: true, force: true });
  }
}

/**
 * Times `work` on every cluster: one warm-up each, then `runs` rounds, alternating the order
 * between rounds. Returns the median ms per cluster.
 */
async function interleaved(
  clusters: Cluster[],
  runs: number,
  work: (c: Cluster) => Promise<unknown>,
): Promise<number[]> {
  for (const c of clusters) await work(c);
  const times = clusters.map(() => [] as number[]);
  for (let r = 0; r < runs; r++) {
    const order = r % 2 === 0 ? clusters : [...clusters].reverse();
    for (const c of order) {
      const t = performance.now();
      await work(c);
      times[clusters.indexOf(c)]!.push(performance.now() - t);
    }
  }
  return times.map(median);
}

/** The detector's work for one window: one tick that scores the window just closed. */
async function detectorWindows(clusters: Cluster[], first: number, count: number) {
  const times = clusters.map(() => [] as number[]);
  for (let i = 0; i < count; i++) {
    for (const [k, c] of clusters.entries()) {
      const w = c.layout.liveStart + (first + i) * c.layout.windowMs;
      await closeWindows(c.handle.db, [w], c.layout.windowMs);
      const t = performance.now();
      const scored = await c.detector.tick();
      times[k]!.push(performance.now() - t);
      if (scored !== 1) throw new Error(`the detector scored ${scored} windows, expected 1`);
    }
  }
  return times.map(median);
}

/** One statement under EXPLAIN ANALYZE: partitions visited, planning and execution, rows. */
export interface BaselinePlan {
  partitions: number;
  planningMs: number;
  executionMs: number;
  rows: number;
}

/** The two statements of the baseline read (db/queries/points.ts `latestBefore`). */
export interface BaselineReads {
  /** The metric read, and how many metrics the detector scores per window. */
  metric: string;
  metrics: number;
  /** Points read (2 × baseline windows) and the metric's window: the bound is count × spanMs. */
  count: number;
  spanMs: number;
  /** With `window_start >= before − count × spanMs`: the read when those windows were scored. */
  bounded: BaselinePlan;
  /** Without a lower bound: the fallback when the bounded read returns fewer than `count`. */
  unbounded: BaselinePlan;
}

/**
 * EXPLAIN ANALYZE of both statements the detector's baseline read sends (db/queries/points.ts
 * `latestBefore`, with its parameters inlined, as drizzle's unnamed statements are planned with
 * their values): the latest 2 × baseline windows points of a metric before the next window the
 * detector scores, with the lower bound (every window before scored: the normal case) and
 * without it (the fallback after a gap). Runs alternate between the two.
 */
async function explainBaseline(c: Cluster, runs: number): Promise<BaselineReads> {
  const { sql, db } = c.handle;
  const key = 'api_latency';
  const metric = await getMetricByKey(db, key);
  if (!metric) throw new Error(`no ${key} metric`);
  const count = 2 * toRule(metric).baselineWindows;
  const spanMs = c.layout.windowMs * Math.max(1, metric.windowMultiple);
  const [row] = await sql<{ latest: number | null; metrics: number }[]>`
    select (select extract(epoch from max(window_start)) * 1000 from metric_points
        where metric_id = ${metric.id})::float8 as latest,
      (select count(*) from metrics where enabled)::int as metrics`;
  if (row?.latest == null) throw new Error(`no scored window of ${key}`);
  const before = row.latest + spanMs;
  const explain = async (notBefore: number | null): Promise<BaselinePlan> => {
    const [result] = await sql.unsafe<{ 'QUERY PLAN': unknown }[]>(
      `explain (analyze, summary, format json)
       select window_start, value, expected, sigma, z, volume, status, anomaly_id
       from metric_points
       where metric_id = ${metric.id} and window_start < '${iso(before)}'
         ${notBefore === null ? '' : `and window_start >= '${iso(notBefore)}'`}
       order by window_start desc limit ${count}`,
    );
    const [plan] = result!['QUERY PLAN'] as {
      Plan: { 'Actual Rows': number };
      'Planning Time': number;
      'Execution Time': number;
    }[];
    const scanned = JSON.stringify(plan!.Plan).match(/"Relation Name":"metric_points/g) ?? [];
    return {
      partitions: scanned.length,
      planningMs: plan!['Planning Time'],
      executionMs: plan!['Execution Time'],
      rows: plan!.Plan['Actual Rows'],
    };
  };
  const samples = { bounded: [] as BaselinePlan[], unbounded: [] as BaselinePlan[] };
  for (let i = 0; i <= runs; i++) {
    const order =
      i % 2 === 0 ? (['bounded', 'unbounded'] as const) : (['unbounded', 'bounded'] as const);
    for (const kind of order) {
      samples[kind].push(await explain(kind === 'bounded' ? before - count * spanMs : null));
    }
  }
  const summary = (xs: BaselinePlan[]): BaselinePlan => {
    xs.shift(); // the warm-up
    return {
      partitions: xs[0]!.partitions,
      planningMs: median(xs.map((s) => s.planningMs)),
      executionMs: median(xs.map((s) => s.executionMs)),
      rows: xs[0]!.rows,
    };
  };
  return {
    metric: key,
    metrics: row.metrics,
    count,
    spanMs,
    bounded: summary(samples.bounded),
    unbounded: summary(samples.unbounded),
  };
}

async function readPaths(clusters: Cluster[], runs: number, detectorFrom: number, count: number) {
  const windowMs = clusters[0]!.layout.windowMs;
  const now = clusters[0]!.layout.end;
  const metric = await getMetricByKey(clusters[0]!.handle.db, 'api_latency');
  if (!metric) throw new Error('no api_latency metric');
  const candidate = { ...toRule(metric), warnZ: 2.5, criticalZ: 4 };
  const draft = {
    kind: 'avg' as const,
    eventType: 'api_request',
    extraEventTypes: [],
    measure: 'latency_ms',
    denominatorEventType: null,
    filters: { feature: ['search'], device: ['android'] },
    windowMultiple: 1,
  };
  const paths: [string, (c: Cluster) => Promise<unknown>][] = [
    ['board API (`loadBoard`)', (c) => loadBoard(c.handle.db, { windowMs, now })],
    [
      'drill-down of one anomaly (`loadAnomalyDetail`)',
      async (c) => {
        if (c.drillAnomaly === null) return;
        const detail = await loadAnomalyDetail(c.handle.db, c.drillAnomaly, windowMs);
        if (!detail) throw new Error('no anomaly to drill into');
      },
    ],
    [
      '24 h rule preview, API latency (`previewRule`)',
      (c) =>
        previewRule(c.handle.db, metric, candidate, { baseWindowMs: windowMs, now, hours: 24 }),
    ],
    [
      'filtered-metric preview, 2 dimensions, leaf cube (`previewDefinition`)',
      (c) => previewDefinition(c.handle.db, draft, { baseWindowMs: windowMs, now }),
    ],
  ];
  const result: [string, number[]][] = [];
  for (const [path, work] of paths) result.push([path, await interleaved(clusters, runs, work)]);
  result.push([
    "detector's work per window (one tick: engine + store, one transaction)",
    await detectorWindows(clusters, detectorFrom, count),
  ]);
  return result;
}

/** Fails early when the disk cannot hold `days` of history (WAL allowance included). */
function checkDisk(days: number, bytesPerDay: number) {
  const fs = statfsSync('.data');
  const free = fs.bavail * fs.bsize;
  const need = days * bytesPerDay * 1.1 + 6 * 2 ** 30;
  if (free < need) {
    const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
    throw new Error(`${days} days of history need about ${gib(need)} on disk; ${gib(free)} free`);
  }
}

export async function benchHistory(options: HistoryOptions, load: number[], cpus: number) {
  const started = performance.now();
  const { log } = options;
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const largest = layoutFor(Math.max(...options.days), options, end);
  const t = performance.now();
  const sim = simulate(largest);
  log(
    `simulated ${sim.windows.length} windows in ${seconds(t).toFixed(0)} s: ${Math.round(sim.templateRate)} events/s, ${Math.round(sim.leavesPerWindow)} leaf rows and ${Math.round(sim.rollupsPerWindow)} rollup rows per window`,
  );
  const clusters: Cluster[] = [];
  try {
    await mkdir('.data', { recursive: true });
    let bytesPerDay = 3 * 2 ** 30; // until the first database says (2.6 GB/day measured)
    for (const days of options.days) {
      checkDisk(days, bytesPerDay);
      const c = await build(days, layoutFor(days, options, end), sim, log);
      clusters.push(c);
      bytesPerDay = Math.max(2 ** 30, (await sizes(c)).databaseBytes / days);
    }
    const sizesBefore = await Promise.all(clusters.map(sizes));
    log('timing the read paths with all of the history (before the retention pass)');
    const before = await readPaths(clusters, options.runs, 0, options.detectorWindows);
    const policy = parseConfig({}).retention;
    const retentionFirst = [];
    for (const c of clusters) {
      const t0 = performance.now();
      const report = await applyRetention(c.handle.db, end, policy);
      retentionFirst.push({ ms: performance.now() - t0, dropped: report.dropped.length });
    }
    const retentionSteady = await interleaved(clusters, options.runs, (c) =>
      applyRetention(c.handle.db, end, policy),
    );
    const sizesAfter = await Promise.all(clusters.map(sizes));
    const baseline = [];
    for (const c of clusters) baseline.push(await explainBaseline(c, options.runs));
    log('timing the read paths after the retention pass');
    const after = await readPaths(
      clusters,
      options.runs,
      options.detectorWindows,
      options.detectorWindows,
    );
    return {
      date: new Date().toISOString().slice(0, 10),
      cpus,
      load,
      days: options.days,
      templateWindows: options.templateWindows,
      runs: options.runs,
      detectorWindows: options.detectorWindows,
      simulated: {
        ratePerSec: sim.ratePerSec,
        templateRate: sim.templateRate,
        leavesPerWindow: sim.leavesPerWindow,
        rollupsPerWindow: sim.rollupsPerWindow,
        injections: sim.injections.length,
      },
      loads: clusters.map((c) => c.load),
      paths: before.map(([path, ms], i) => ({ path, before: ms, after: after[i]![1] })),
      retentionFirst,
      retentionSteady,
      baseline,
      sizesBefore,
      sizesAfter,
      seconds: seconds(started),
    } satisfies HistoryResult;
  } finally {
    for (const c of clusters) await stopCluster(c, options.keep);
  }
}
