/**
 * `npm run bench:detector -- [--metrics 100,1000,10000] [--windows 3]`: the detector's time per
 * window as the number of metrics grows (issue 17, item 2). One embedded PostgreSQL
 * (.data/bench-detector), the simulator's traffic at 1,000 events/s folded and written as the
 * stream writes it for a warm-up and the timed windows; then, for each count, that many metrics
 * — a third plain (the five defaults' kinds over the simulator's event types), a third filtered
 * on one or two dimension values (read from the leaf cube), a third series of split metrics
 * (filtered, and "other" series excluding values) — and the real detector
 * (workers/services/detector.ts) scores the timed windows one `tick()` each. Reports the median
 * time per window, per metric, and the ratio to the first count (linear growth: the ratio of
 * times equals the ratio of counts).
 *
 * `--shards 1,2` times each count with one worker holding one shard, then with the metrics split
 * into two shards and a second worker process (./detector-shard.ts) holding one of them: the time
 * per window is from queueing the window until no shard's entry is left. Both runs use polling
 * detectors (every 20 ms), so the ratio is between equals.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDb } from '@/db/client';
import { freePort, startEmbeddedPostgres } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { closeWindows } from '@/db/queries/detector';
import { metrics as metricsTable } from '@/db/schema';
import { upsertLeafRollups, upsertRollups } from '@/db/queries/stream';
import { ensurePartitions } from '@/db/queries/retention';
import { createDetector, startDetector, type Detector } from '@/workers/services/detector';
import { parseConfig } from '@/lib/config/schema';
import { createLogger } from '@/lib/observability/log';
import { Simulator } from '@/lib/simulator/generator';
import { RollupAccumulator } from '@/lib/stream/rollup';
import { DEFAULT_RULE } from '@/lib/types';
import { median } from './hot-path';

const WINDOW_MS = 60_000;
const REGIONS = ['us-east', 'eu-west', 'us-west', 'eu-central', 'ap-south'];
const DEVICES = ['web', 'ios', 'android'];
const KINDS = [
  { kind: 'count', eventType: 'purchase', measure: null, denominatorEventType: null },
  { kind: 'ratio', eventType: 'purchase', measure: null, denominatorEventType: 'session_start' },
  { kind: 'avg', eventType: 'api_request', measure: 'latency_ms', denominatorEventType: null },
  { kind: 'ratio', eventType: 'error', measure: null, denominatorEventType: 'api_request' },
  { kind: 'sum', eventType: 'purchase', measure: 'amount', denominatorEventType: null },
] as const;

/** The i-th metric of a mix: plain, filtered, or a split's series. */
function metricRow(i: number) {
  const base = KINDS[i % KINDS.length]!;
  const family = Math.floor(i / KINDS.length) % 3;
  const region = REGIONS[i % REGIONS.length]!;
  const device = DEVICES[Math.floor(i / 7) % DEVICES.length]!;
  const filters: Record<string, string[]> =
    family === 1 ? (i % 2 ? { region: [region] } : { region: [region], device: [device] }) : {};
  const exclude: Record<string, string[]> =
    family === 2 && i % 6 === 0 ? { region: REGIONS.slice(0, 3) } : {};
  if (family === 2 && i % 6 !== 0) filters.region = [region];
  return {
    key: `m${i}`,
    name: `Metric ${i}`,
    ...base,
    filters,
    exclude,
    windowMultiple: 1,
    unit: '',
    ...DEFAULT_RULE,
  };
}

/** The simulator's traffic at 1,000 events/s for `windows` windows from `start`, as the stream writes it. */
async function writeTraffic(
  sql: ReturnType<typeof createDb>['sql'],
  start: number,
  windows: number,
) {
  const sim = new Simulator({ seed: 17, ratePerSec: 1000, injections: [] });
  for (let w = 0; w < windows; w++) {
    const acc = new RollupAccumulator({ windowMs: WINDOW_MS });
    const from = start + w * WINDOW_MS;
    for (const e of sim.generate(from, from + WINDOW_MS)) acc.add(e);
    const { deltas, leaves } = acc.drain();
    await upsertRollups(sql, deltas);
    await upsertLeafRollups(sql, leaves);
  }
  console.log(`${windows} windows of traffic written`);
}

/**
 * A fresh embedded PostgreSQL in .data/bench-detector, migrated, with `windows` windows of
 * traffic from `hoursBack` hours ago; says the machine's load first.
 */
async function openBench(hoursBack: number, windows: number) {
  const load = loadavg();
  console.log(`load at start ${load.map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
  const dir = '.data/bench-detector';
  await rm(dir, { recursive: true, force: true });
  const pg = await startEmbeddedPostgres({ dir, port: await freePort() });
  const handle = createDb(pg.url, { max: 4, appName: 'bench-detector' });
  try {
    await runMigrations(handle.db);
    const start = Math.floor((Date.now() - hoursBack * 3_600_000) / WINDOW_MS) * WINDOW_MS;
    await ensurePartitions(handle.db, start, parseConfig({}).retention, { daysAhead: 2 });
    await writeTraffic(handle.sql, start, windows);
    return { pg, handle, start };
  } catch (error) {
    await handle.close();
    await pg.stop();
    throw error;
  }
}

/** Replaces the metrics with `count` of the mix ({@link metricRow}), 500 rows a statement. */
async function replaceMetrics(db: ReturnType<typeof createDb>['db'], count: number) {
  await db.delete(metricsTable);
  for (let i = 0; i < count; i += 500) {
    const rows = [];
    for (let j = i; j < Math.min(count, i + 500); j++) rows.push(metricRow(j));
    await db.insert(metricsTable).values(rows);
  }
}

/** Polls until the scoring queue is empty. */
async function drained(sql: ReturnType<typeof createDb>['sql']): Promise<void> {
  for (;;) {
    const [row] = await sql<{ n: number }[]>`select count(*)::int as n from scoring_queue`;
    if (row?.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Workers holding detector shards (db/shard-locks.ts: advisory locks (LOCKS, shard)). */
async function shardHolders(sql: ReturnType<typeof createDb>['sql']): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(distinct pid)::int as n from pg_locks
    where locktype = 'advisory' and classid = ${0x70756c73}::oid and objsubid = 2
      and mode = 'ExclusiveLock' and granted`;
  return row?.n ?? 0;
}

/**
 * `--shards`: for each count and each shard setting, the median time from queueing a window to
 * every shard having scored it, with as many worker processes as shards (this one and children).
 */
async function sharded(counts: number[], shardRuns: number[], timed: number, warmup: number) {
  const { pg, handle, start } = await openBench(
    12,
    counts.length * shardRuns.length * (warmup + timed),
  );
  const { db, sql } = handle;
  const children: ChildProcess[] = [];
  try {
    const results: { metrics: number; shards: number; msPerWindow: number }[] = [];
    let at = start;
    for (const count of counts) {
      await replaceMetrics(db, count);
      for (const shards of shardRuns) {
        // Each run scores windows no run scored before: fresh points, the same baselines' depth.
        const detectors: Detector[] = [
          startDetector({
            handle,
            log: createLogger('bench-detector', 'warn'),
            windowMs: WINDOW_MS,
            shards,
            pollMs: 20,
            incidents: { publicUrl: 'http://pulse.test' },
          }),
        ];
        for (let k = 1; k < shards; k++) {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', 'workers/bench/detector-shard.ts', pg.url, String(shards)],
            { stdio: 'inherit' },
          );
          children.push(child);
        }
        while ((await shardHolders(sql)) < shards) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const warm = Array.from({ length: warmup }, (_, k) => at + k * WINDOW_MS);
        await closeWindows(db, warm, WINDOW_MS, shards);
        await drained(sql);
        at += warmup * WINDOW_MS;
        const times: number[] = [];
        for (let k = 0; k < timed; k++) {
          await closeWindows(db, [at], WINDOW_MS, shards);
          const t = performance.now();
          await drained(sql);
          times.push(performance.now() - t);
          at += WINDOW_MS;
        }
        for (const d of detectors) await d.stop();
        for (const child of children.splice(0)) {
          const exited = new Promise((resolve) => child.once('exit', resolve));
          child.kill('SIGTERM');
          await exited;
        }
        const ms = median(times);
        results.push({ metrics: count, shards, msPerWindow: ms });
        console.log(
          `${count} metrics, ${shards} shard${shards > 1 ? 's' : ''}: ${ms.toFixed(0)} ms per window (${times.map((x) => x.toFixed(0)).join(', ')})`,
        );
      }
    }
    console.log(
      '\n| metrics | shards (workers) | ms per window | vs. 1 shard | share of a 1-min window |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      const one = results.find((x) => x.metrics === r.metrics && x.shards === shardRuns[0])!;
      console.log(
        `| ${r.metrics.toLocaleString('en-US')} | ${r.shards} | ${r.msPerWindow.toFixed(0)} | ${(r.msPerWindow / one.msPerWindow).toFixed(2)}× | ${((r.msPerWindow / WINDOW_MS) * 100).toFixed(1)} % |`,
      );
    }
  } finally {
    for (const child of children) child.kill('SIGKILL');
    await handle.close();
    await pg.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      metrics: { type: 'string', default: '100,1000,10000' },
      windows: { type: 'string', default: '3' },
      warmup: { type: 'string', default: '25' },
      shards: { type: 'string' },
    },
  });
  const counts = values.metrics!.split(',').map(Number);
  const shardRuns = values.shards?.split(',').map(Number) ?? null;
  if (shardRuns) return sharded(counts, shardRuns, Number(values.windows), Number(values.warmup));
  const timed = Number(values.windows);
  const warmup = Number(values.warmup);
  // Traffic for every count's warm-up and timed windows, written once.
  const { pg, handle, start } = await openBench(6, counts.length * (warmup + timed));
  const { db } = handle;
  try {
    const results: { metrics: number; msPerWindow: number }[] = [];
    let at = start;
    for (const count of counts) {
      await replaceMetrics(db, count);
      const detector = createDetector({
        handle,
        log: createLogger('bench-detector', 'warn'),
        windowMs: WINDOW_MS,
        incidents: { publicUrl: 'http://pulse.test' },
      });
      // Warm-up: baselines for every metric (not timed).
      const warm = Array.from({ length: warmup }, (_, k) => at + k * WINDOW_MS);
      await closeWindows(db, warm, WINDOW_MS);
      const t0 = performance.now();
      await detector.tick();
      const warmSeconds = (performance.now() - t0) / 1000;
      at += warmup * WINDOW_MS;
      const times: number[] = [];
      for (let k = 0; k < timed; k++) {
        await closeWindows(db, [at], WINDOW_MS);
        const t = performance.now();
        await detector.tick();
        times.push(performance.now() - t);
        at += WINDOW_MS;
      }
      await detector.stop();
      const ms = median(times);
      results.push({ metrics: count, msPerWindow: ms });
      console.log(
        `${count} metrics: ${ms.toFixed(0)} ms per window (${((ms * 1000) / count).toFixed(0)} µs per metric; warm-up ${warmup} windows in ${warmSeconds.toFixed(1)} s)`,
      );
    }
    const first = results[0]!;
    console.log(
      '\n| metrics | ms per window | µs per metric | time ratio | count ratio | share of a 1-min window |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const r of results) {
      console.log(
        `| ${r.metrics.toLocaleString('en-US')} | ${r.msPerWindow.toFixed(0)} | ${((r.msPerWindow * 1000) / r.metrics).toFixed(0)} | ${(r.msPerWindow / first.msPerWindow).toFixed(2)}× | ${(r.metrics / first.metrics).toFixed(0)}× | ${((r.msPerWindow / WINDOW_MS) * 100).toFixed(1)} % |`,
      );
    }
  } finally {
    await handle.close();
    await pg.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
