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
 * The histories are built by ./history-build.ts (steps 1–4); this file times the read paths.
 * The History section of docs/benchmarks.md is rendered by workers/bench/history-section.ts.
 */

import { statfsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { parseConfig } from '@/lib/config/schema';

import { closeWindows } from '@/db/queries/detector';
import { previewDefinition } from '@/db/queries/definition-preview';

import { getMetricByKey, savedRule, toRule } from '@/db/queries/metrics';
import { applyRetention } from '@/db/queries/retention';
import { previewRule } from '@/db/queries/rule-preview';

import { loadAnomalyDetail, loadBoard } from '@/db/queries/views';

import {
  RATE,
  SEED,
  build,
  iso,
  layoutFor,
  seconds,
  simulate,
  sizes,
  stopCluster,
  type Cluster,
  type LoadReport,
  type SizeReport,
  type Simulated,
} from './history-build';
import { median } from './hot-path';

export { RATE, SEED, type LoadReport, type SizeReport };

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
  const candidate = { ...savedRule(metric), warnZ: 2.5, criticalZ: 4 };
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
