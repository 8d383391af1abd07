/**
 * Kafka → PostgreSQL end to end, for `npm run bench`: one real worker process
 * (`node --import tsx workers/stream.ts`) consumes librdkafka's mock cluster (1 broker,
 * at least 20 partitions, see partitionsFor) into an embedded PostgreSQL with its exactly-once fenced flushes.
 *
 * 1. Sustained throughput: N simulator events are produced before the worker starts; the worker
 *    drains them. Progress is read from PostgreSQL (`source_partitions.next_offset`, i.e. what
 *    landed in a committed flush) every 200 ms; throughput counts the records that landed
 *    between the first flush and the last, over that time. The group join and the first
 *    flush interval are outside the measured span. This worker runs under `--cpu-prof`, whose
 *    self-time profile says what bounds it.
 * 2. Live lag (unless `lagSeconds` is 0): a second worker (same group, resumes from the stored
 *    offsets) runs while events are produced at a fixed rate; each send is a sample, its lag =
 *    first time PostgreSQL shows all of its records (polled every 50 ms) − time the send started.
 * 3. Rollup row writes (pg_stat_user_tables inserts + updates on `rollups`) at two live rates:
 *    they must follow cardinality, not rate.
 *
 * Everything (workers, producer, cluster, PostgreSQL, temp dir) is torn down in `finally`.
 */
import { chmod, copyFile, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { kafkaSourceName, messageKey } from '@/lib/ingest/kafka';
import { Simulator } from '@/lib/simulator/generator';
import type { PulseEvent } from '@/lib/types';
import { createDb, type DbHandle } from '@/db/client';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '@/db/embedded';
import { runMigrations } from '@/db/migrate';
import { startMockCluster, type MockCluster } from '@/workers/testing/kafka-mock-cluster';
import { startWorker, stopWorker, type Worker } from './worker-process';
import {
  machineJiffies,
  processCpuSeconds,
  summariseProfile,
  type CpuProfile,
} from './cpu-profile';

/**
 * librdkafka's mock cluster keeps only about 5 MB per partition (older message sets are
 * deleted), so a backlog of 400 000 events of ~160 bytes fits only spread over more partitions
 * than the 4 of the integration tests: at most 20 000 events (~4 MB) each, and at least 20.
 * One worker reads them all either way.
 */
export function partitionsFor(events: number): number {
  return Math.max(20, Math.ceil(events / 20_000));
}
const TOPIC = 'pulse-bench';
const SEND_CHUNK = 5_000;

export interface KafkaBenchOptions {
  /** Events produced before the worker starts (default 400 000). */
  events?: number;
  /** Live lag phase: rate and duration (default 20 000/s for 10 s). */
  lagRate?: number;
  lagSeconds?: number;
  /** Live rates compared for rollup row writes (default 10 000/s and 100 000/s, 10 s each). */
  rowRates?: [number, number];
  rowSeconds?: number;
  log?: (line: string) => void;
  /** Where to copy the drain worker's `.cpuprofile` (for a closer look; default: not kept). */
  keepProfile?: string;
  /** The worker folds one response while fetching the next (KAFKA_PREFETCH; default on). */
  prefetch?: boolean;
  /** Delay of the broker's responses, as a network and disk between worker and broker (ms). */
  rttMs?: number;
}

export interface LivePhase {
  targetRate: number;
  /** Events actually produced per second (the producer shares the machine). */
  producedRate: number;
  events: number;
  /** Rollup row writes (inserts + updates) during the phase, until its last offset landed. */
  rowWrites: number;
  flushes: number;
  rowWritesPerSecond: number;
  lagP50Ms: number;
  lagP99Ms: number;
  lagSamples: number;
  /** Records deleted by the mock cluster's retention before the worker read them. */
  lost: number;
}

export interface KafkaBenchResult {
  events: number;
  avgBytes: number;
  produceSeconds: number;
  /** From the first flush landing to the last offset landing. */
  drainSeconds: number;
  /** Records that landed during that span (those of the first flush excluded). */
  drainedEvents: number;
  eventsPerSecond: number;
  flushes: number;
  rowWrites: number;
  rowWritesPerFlush: number;
  /** CPU of the worker process during the drain, in % of one core; machine-wide busy %. */
  workerCpuPercent: number;
  /** Events (received) landed by each flush of the drain, in order. */
  perFlush: number[];
  /** Events drained per CPU-second of the worker: its ceiling if it never waited. */
  eventsPerCpuSecond: number;
  /** Times the worker paused consumption because more than 200 000 events awaited a flush. */
  pauses: number;
  machineBusyPercent: number;
  /** Self time of the worker during the drain phase run, by component, % of non-idle samples. */
  profile: { component: string; percent: number }[];
  topFunctions: { name: string; percent: number }[];
  flushIntervalMs: number;
  partitions: number;
  /** Null when the run had no live lag phase (`lagSeconds: 0`). */
  lag: LivePhase | null;
  rows: [LivePhase, LivePhase] | null;
  /** Whether the worker prefetched (KAFKA_PREFETCH). */
  prefetch: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Simulated events with event times ending about now, `count` of them. */
function simulate(count: number, seed: number): PulseEvent[] {
  const end = Date.now() - 1_000;
  const sim = new Simulator({ seed, ratePerSec: count / 120, injections: [] });
  const out: PulseEvent[][] = [];
  let total = 0;
  for (let from = end - 60_000; total < count; from -= 60_000) {
    const chunk = sim.generate(from, from + 60_000);
    out.unshift(chunk);
    total += chunk.length;
  }
  const all = out.flat();
  return all.slice(all.length - count);
}

/** Inserts + updates on `rollups`, its day partitions included (the parent itself has none). */
async function rollupWrites(handle: DbHandle): Promise<number> {
  const [row] = await handle.sql<{ n: string }[]>`
    select coalesce(sum(n_tup_ins + n_tup_upd), 0) as n from pg_stat_user_tables
    where relid in (select relid from pg_partition_tree('rollups'))`;
  return Number(row!.n);
}

/**
 * Per-partition stored next offsets, the time of the latest flush (its transaction's now(), in
 * epoch ms) and every partition's flush time.
 */
async function stored(handle: DbHandle, source: string, partitions: number) {
  const rows = await handle.sql<
    { partition: number; next_offset: string; received: string; updated_ms: string }[]
  >`
    select partition, next_offset, received, extract(epoch from updated_at) * 1000 as updated_ms
    from source_partitions where source = ${source}`;
  const offsets = new Array<number>(partitions).fill(0);
  for (const r of rows) offsets[r.partition] = Number(r.next_offset);
  const stamps = rows.map((r) => Math.round(Number(r.updated_ms)));
  // Every partition with new data is written in each flush, so the latest time is its time.
  return {
    offsets,
    total: offsets.reduce((a, b) => a + b, 0),
    received: rows.reduce((n, r) => n + Number(r.received), 0),
    latest: Math.max(0, ...stamps),
  };
}

/** Sends messages with explicit partitions (seq % partitions) and keys; per-send metadata. */
async function send(producer: Producer, values: string[], seq: number, partitions: number) {
  const messages = values.map((value, i) => ({
    key: messageKey(seq + i),
    partition: (seq + i) % partitions,
    value,
  }));
  const counts = new Array<number>(partitions).fill(0);
  for (const m of messages) counts[m.partition]!++;
  const meta = await producer.send({ topic: TOPIC, acks: -1, messages });
  // Last offset written per partition by this send (-1: none).
  const last = new Array<number>(partitions).fill(-1);
  for (const r of meta) {
    if (counts[r.partition]! > 0)
      last[r.partition] = Number(r.baseOffset) + counts[r.partition]! - 1;
  }
  return last;
}

export async function benchKafka(options: KafkaBenchOptions = {}): Promise<KafkaBenchResult> {
  const count = options.events ?? 400_000;
  const lagRate = options.lagRate ?? 20_000;
  const lagSeconds = options.lagSeconds ?? 10;
  const rowRates = options.rowRates ?? [10_000, 100_000];
  const rowSeconds = options.rowSeconds ?? 10;
  const log = options.log ?? ((line: string) => console.log(line));
  const flushIntervalMs = 1000;
  const source = kafkaSourceName(TOPIC);
  const P = partitionsFor(count);

  let dir: string | null = null;
  let pg: EmbeddedDatabase | null = null;
  let handle: DbHandle | null = null;
  let cluster: MockCluster | null = null;
  let producer: Producer | null = null;
  let worker: Worker | null = null;

  try {
    dir = await mkdtemp(join(tmpdir(), 'pulse-bench-kafka-'));
    await chmod(dir, 0o755); // as root, the postgres system user must reach the cluster directory
    const port = await freePort();
    log(`kafka bench: embedded PostgreSQL on port ${port} in ${dir}`);
    pg = await startEmbeddedPostgres({ dir, port });
    handle = createDb(pg.url, { max: 2, appName: 'pulse-bench' });
    await runMigrations(handle.db);
    cluster = await startMockCluster({ brokers: 1, topic: TOPIC, partitions: P });
    if (options.rttMs) await cluster.setBrokerRtt(1, options.rttMs);
    const kafka = new Kafka({
      clientId: 'pulse-bench',
      brokers: cluster.brokers,
      logLevel: logLevel.NOTHING,
    });
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();

    // ── 1. pre-produce, then drain with one worker ──────────────────────────────────────────
    const values = simulate(count, 42).map((e) => JSON.stringify(e));
    const avgBytes = values.reduce((n, v) => n + Buffer.byteLength(v), 0) / values.length;
    let seq = 0;
    const produceStart = performance.now();
    for (let i = 0; i < values.length; i += SEND_CHUNK * 4) {
      await Promise.all(
        [0, 1, 2, 3].map(async (k) => {
          const from = i + k * SEND_CHUNK;
          if (from >= values.length) return;
          const slice = values.slice(from, Math.min(values.length, from + SEND_CHUNK));
          await send(producer!, slice, from, P);
        }),
      );
    }
    seq = values.length;
    const produceSeconds = (performance.now() - produceStart) / 1000;
    log(
      `kafka bench: produced ${values.length} events (${avgBytes.toFixed(0)} B) in ${produceSeconds.toFixed(1)} s`,
    );

    const profileDir = join(dir, 'prof');
    const workerEnv = {
      NODE_ENV: 'production',
      DATABASE_URL: pg.url,
      KAFKA_BROKERS: cluster.bootstrap,
      KAFKA_TOPIC: TOPIC,
      KAFKA_GROUP_ID: 'pulse-bench',
      KAFKA_FROM_BEGINNING: 'true',
      KAFKA_SESSION_TIMEOUT: '6s',
      KAFKA_PREFETCH: options.prefetch === false ? 'off' : 'on',
      PULSE_DETECTOR: 'off',
      PULSE_WINDOW: '1m',
      PULSE_FLUSH_INTERVAL: `${flushIntervalMs}ms`,
      LOG_LEVEL: 'warn',
    };
    const writesBefore = await rollupWrites(handle);
    // At info level for this worker only: its few info lines say when consumption paused.
    worker = startWorker(
      { ...workerEnv, LOG_LEVEL: 'info' },
      ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
      log,
    );
    const flushTimes = new Set<number>();
    const perFlush: number[] = [];
    type Point = {
      t: number;
      hrUs: number;
      flushAt: number;
      total: number;
      received: number;
      cpu: number;
      machine: [number, number];
    };
    let first: Point | null = null;
    let last: Point = { t: 0, hrUs: 0, flushAt: 0, total: 0, received: 0, cpu: 0, machine: [0, 0] };
    const deadline = Date.now() + 300_000;
    for (;;) {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.stderr()}`);
      if (Date.now() > deadline) throw new Error('drain did not finish within 5 minutes');
      const s = await stored(handle, source, P);
      const t = performance.now();
      if (s.total > last.total) flushTimes.add(s.latest);
      if (s.total > 0) {
        const point = {
          t,
          hrUs: Number(process.hrtime.bigint() / 1000n),
          flushAt: s.latest,
          total: s.total,
          received: s.received,
          cpu: processCpuSeconds(worker.child.pid!),
          machine: machineJiffies(),
        };
        first ??= point;
        if (s.total > last.total) {
          perFlush.push(s.received - last.received);
          log(`  landed ${s.total} (flush at ${new Date(s.latest).toISOString().slice(11, 23)})`);
          last = point;
        }
        if (s.total >= values.length) break;
      }
      await sleep(200);
    }
    // The span between the first and the last flush, by their transactions' times; polls (every
    // 200 ms) only locate them, and measure the CPU figures.
    const drainSeconds = (last.flushAt - first!.flushAt) / 1000;
    if (!(drainSeconds > 0)) {
      throw new Error('the backlog landed in one flush: produce more events (--kafka-events)');
    }
    if (last.received < values.length) {
      throw new Error(
        `${values.length - last.received} records were deleted by the mock cluster's retention`,
      );
    }
    const drainedEvents = last.received - first!.received;
    const workerCpuPercent = (100 * (last.cpu - first!.cpu)) / ((last.t - first!.t) / 1000);
    const eventsPerCpuSecond = drainedEvents / (last.cpu - first!.cpu);
    const pauses = worker.pauses();
    const machineBusyPercent =
      (100 * (last.machine[0] - first!.machine[0])) / (last.machine[1] - first!.machine[1]);
    await sleep(1500); // let the backends report their table statistics
    const rowWrites = (await rollupWrites(handle)) - writesBefore;
    // Flushes that moved offsets: their transaction times (polls are 5× more frequent).
    const flushes = flushTimes.size;
    log(
      `kafka bench: drained ${drainedEvents} events in ${drainSeconds.toFixed(2)} s → ` +
        `${Math.round(drainedEvents / drainSeconds)} ev/s; ${rowWrites} row writes in ~${flushes} flushes`,
    );
    await stopWorker(worker);
    worker = null;
    const files = (await readdir(profileDir).catch(() => [])).filter((f) =>
      f.endsWith('.cpuprofile'),
    );
    if (files[0] && options.keepProfile) {
      await copyFile(join(profileDir, files[0]), options.keepProfile);
    }
    const summary = files[0]
      ? summariseProfile(
          JSON.parse(await readFile(join(profileDir, files[0]), 'utf8')) as CpuProfile,
          first!.hrUs,
          last.hrUs,
        )
      : { profile: [], topFunctions: [] };

    // ── 2 and 3. live phases with a fresh worker (resumes from the stored offsets) ──────────
    worker = startWorker(workerEnv, [], log);
    // Wait until it has claimed its partitions (first flush after the join).
    const claimed = async () =>
      Number(
        (
          await handle!.sql<{ n: string }[]>`
            select count(*) as n from source_partitions
            where source = ${source} and owner like ${`%:${worker!.child.pid}:%`}`
        )[0]!.n,
      );
    // Nothing to claim until records arrive: trickle a few while waiting for the join.
    const pool = (rate: number, seconds: number) => {
      const now = Date.now();
      const s = new Simulator({ seed: rate, ratePerSec: rate * 1.6, injections: [] });
      return s.generate(now, now + seconds * 1000);
    };
    const probeEvent = pool(1000, 1)[0]!;
    {
      const joinDeadline = Date.now() + 60_000;
      while ((await claimed()) < P) {
        if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.stderr()}`);
        if (Date.now() > joinDeadline) throw new Error('second worker did not claim partitions');
        const probe = Array.from({ length: P }, (_, i) =>
          JSON.stringify({ ...probeEvent, id: `probe-${seq + i}`, ts: Date.now() }),
        );
        await send(producer, probe, seq, P);
        seq += probe.length;
        await sleep(500);
      }
      // And until everything produced so far has landed.
      while ((await stored(handle, source, P)).total < seq) await sleep(100);
    }

    const live = async (rate: number, seconds: number): Promise<LivePhase> => {
      // Event times are restamped to the send time, so no event is late or in the future.
      const template = pool(rate, Math.min(seconds, 10)).map((e) => ({ ...e }));
      const samples: { t0: number; last: number[] }[] = [];
      const lags: number[] = [];
      const phaseFlushes = new Set<number>();
      const before = await rollupWrites(handle!);
      const atStart = await stored(handle!, source, P);
      const receivedBefore = atStart.received;
      let lastTotal = atStart.total;
      const startSeq = seq;
      let polling = true;
      let aborted = false;
      const poller = (async () => {
        let next = 0;
        let deadline = Infinity;
        for (;;) {
          if (!polling && deadline === Infinity) deadline = Date.now() + 120_000;
          if (Date.now() > deadline) {
            throw new Error(`live phase at ${rate}/s did not land within 2 minutes`);
          }
          if (aborted) return;
          if (worker?.child.exitCode !== null) throw new Error('worker exited');
          const s = await stored(handle!, source, P);
          const t = performance.now();
          if (s.total > lastTotal) phaseFlushes.add(s.latest);
          lastTotal = s.total;
          while (next < samples.length && samples[next]!.last.every((o, p) => o < s.offsets[p]!)) {
            lags.push(t - samples[next]!.t0);
            next++;
          }
          if (!polling && next >= samples.length) break;
          await sleep(50);
        }
      })();
      poller.catch(() => undefined); // awaited below; this only avoids an early unhandled report
      const started = performance.now();
      let sent = 0;
      let k = 0;
      try {
        while (performance.now() - started < seconds * 1000) {
          const tick = performance.now();
          const due = Math.round((rate * (tick - started)) / 1000) - sent;
          if (due > 0) {
            // Up to 4 sends of ≤ 5000 in parallel, each a lag sample.
            const n = Math.min(due, SEND_CHUNK * 4);
            const now = Date.now();
            const batch: string[] = new Array<string>(n);
            for (let i = 0; i < n; i++) {
              batch[i] = JSON.stringify({
                ...template[k++ % template.length]!,
                ts: now - (i % 50),
              });
            }
            const parts = Math.ceil(n / SEND_CHUNK);
            const t0 = performance.now();
            await Promise.all(
              Array.from({ length: parts }, async (_, j) => {
                const from = Math.floor((j * n) / parts);
                const to = Math.floor(((j + 1) * n) / parts);
                const last = await send(producer!, batch.slice(from, to), seq + from, P);
                samples.push({ t0, last });
              }),
            );
            seq += n;
            sent += n;
          }
          await sleep(Math.max(0, 50 - (performance.now() - tick)));
        }
      } catch (error) {
        aborted = true;
        throw error;
      }
      const produceEnd = performance.now();
      polling = false;
      await poller;
      const landed = performance.now();
      await sleep(1500);
      const rowWrites = (await rollupWrites(handle!)) - before;
      const lost = seq - startSeq - ((await stored(handle!, source, P)).received - receivedBefore);
      const sorted = lags.sort((a, b) => a - b);
      const flushes = Math.max(1, phaseFlushes.size);
      const result: LivePhase = {
        targetRate: rate,
        producedRate: (seq - startSeq) / ((produceEnd - started) / 1000),
        events: seq - startSeq,
        rowWrites,
        flushes,
        rowWritesPerSecond: rowWrites / ((landed - started) / 1000),
        lagP50Ms: percentile(sorted, 50),
        lagP99Ms: percentile(sorted, 99),
        lagSamples: sorted.length,
        lost,
      };
      log(
        `kafka bench: live ${rate}/s → produced ${Math.round(result.producedRate)}/s, ` +
          `lag p50 ${Math.round(result.lagP50Ms)} ms p99 ${Math.round(result.lagP99Ms)} ms ` +
          `(${sorted.length} sends), ${rowWrites} row writes in ~${flushes} flushes` +
          (lost ? `, ${lost} records lost to retention` : ''),
      );
      return result;
    };

    const lag = lagSeconds > 0 ? await live(lagRate, lagSeconds) : null;
    let rows: [LivePhase, LivePhase] | null = null;
    if (rowSeconds > 0)
      rows = [await live(rowRates[0], rowSeconds), await live(rowRates[1], rowSeconds)];

    return {
      events: values.length,
      avgBytes,
      produceSeconds,
      drainSeconds,
      drainedEvents,
      eventsPerSecond: drainedEvents / drainSeconds,
      flushes,
      rowWrites,
      rowWritesPerFlush: rowWrites / flushes,
      workerCpuPercent,
      eventsPerCpuSecond,
      perFlush,
      pauses,
      machineBusyPercent,
      ...summary,
      flushIntervalMs,
      partitions: P,
      lag,
      rows,
      prefetch: options.prefetch !== false,
    };
  } finally {
    await stopWorker(worker).catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await cluster?.stop().catch(() => undefined);
    await handle?.close().catch(() => undefined);
    await pg?.stop().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}
