/**
 * Building the histories of `npm run bench -- --history` (./history.ts, whose comment says how):
 * where every window sits, what the simulator makes, and one embedded PostgreSQL per history
 * size filled with it — written, scored by the real detector, copied back in SQL, vacuumed.
 */
import { execFileSync } from 'node:child_process';

import { rm } from 'node:fs/promises';
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

import { insertInjections } from '@/db/queries/injections';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { ensurePartitions, tableStorage } from '@/db/queries/retention';

import { upsertLeafRollups, upsertRollups } from '@/db/queries/stream';

import { createDetector, type Detector } from '@/workers/services/detector';
import type { HistoryOptions } from './history';

/** Events per second the history is made at, and the simulator's seed. */
export const RATE = 1000;
export const SEED = 42;

/** Where everything sits in event time (epoch ms), oldest first; all window-aligned. */
export interface Layout {
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
export interface Simulated {
  windows: { windowStart: number; deltas: RollupDelta[]; leaves: LeafDelta[] }[];
  injections: Injection[];
  ratePerSec: number;
  /** Events per second over the template windows. */
  templateRate: number;
  leavesPerWindow: number;
  rollupsPerWindow: number;
}

export interface Cluster {
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

export const iso = (ms: number) => new Date(ms).toISOString();
export const interval = (ms: number) => `${ms} milliseconds`;
export const seconds = (since: number) => (performance.now() - since) / 1000;

export function layoutFor(days: number, options: Omit<HistoryOptions, 'log'>, end: number): Layout {
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
export function simulate(lay: Layout): Simulated {
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

export async function clusterDiskBytes(dir: string): Promise<number> {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

export async function sizes(c: Cluster): Promise<SizeReport> {
  const [row] = await c.handle.sql<{ bytes: string }[]>`
    select pg_database_size(current_database())::text as bytes`;
  return {
    databaseBytes: Number(row!.bytes),
    tables: await tableStorage(c.handle.db),
    diskBytes: await clusterDiskBytes(c.pg.clusterDir),
  };
}

/** Copies the template back over [start, warmStart), two blocks at a time (two connections). */
export async function copyTemplate(handle: DbHandle, lay: Layout, log: (line: string) => void) {
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
export async function build(
  days: number,
  lay: Layout,
  sim: Simulated,
  log: (line: string) => void,
) {
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
    incidents: { publicUrl: 'http://pulse.test' },
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

export async function stopCluster(c: Cluster, keep: boolean) {
  await c.detector.stop().catch(() => undefined);
  await c.handle.close().catch(() => undefined);
  await c.pg.stop();
  if (!keep) {
    await rm(c.pg.clusterDir, { recursive: true, force: true });
    await rm(c.dir, { recursive: true, force: true });
  }
}
