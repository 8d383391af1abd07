/**
 * The Kafka source end to end: real worker processes (`node --import tsx workers/stream.ts`)
 * consume librdkafka's mock cluster (a real Kafka protocol peer) into a real PostgreSQL, and are
 * killed, rebalanced, cut off from their broker or from PostgreSQL while they work. Whatever
 * happens, the final rollups must equal exactly a fold of the produced events computed here
 * independently (`naiveFold`), and so must the leaf cube (`naiveLeafFold`), every partition
 * must account for every record
 * (received = folded + quarantined, next_offset = records in the partition), and quarantine
 * must hold each bad record once.
 *
 * Verdicts do not depend on timing: the tests wait on conditions (stored offsets reaching the
 * produced count) with timeouts. Kill points are random; the seed is printed on failure and
 * PULSE_TEST_SEED replays it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSourceName } from '@/lib/ingest/kafka';
import { naiveFold, naiveLeafFold } from '@/lib/stream/rollup-merge';
import { Simulator } from '@/lib/simulator/generator';
import type { LeafDelta, PulseEvent, RollupDelta } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { ensureDefaultMetrics } from '@/db/queries/metrics';
import { allLeaves, allRollups } from '@/db/testing/rollups';
import { startMockCluster, type MockCluster } from '@/workers/testing/kafka-mock-cluster';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PARTITIONS = 4;
const WINDOW_MS = 60_000;
/** Session timeout of every group member: how long a killed worker holds its partitions. */
const SESSION_TIMEOUT_MS = 3000;
const SEED = Number(process.env.PULSE_TEST_SEED ?? Date.now() % 1_000_000);

let cluster: MockCluster;
let producer: Producer;
let admin: Admin;
let kafka: Kafka;

beforeAll(async () => {
  cluster = await startMockCluster({ brokers: 3, topic: 'unused', partitions: 1 });
  kafka = new Kafka({
    clientId: 'pulse-test',
    brokers: cluster.brokers,
    logLevel: logLevel.NOTHING,
  });
  producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await cluster?.stop();
});

// ── workload and ground truth ───────────────────────────────────────────────────────────────

interface Message {
  partition: number;
  value: string | null;
}

interface Workload {
  topic: string;
  /** In production order; each partition's subsequence is its log. */
  messages: Message[];
  /** Ground truth: a fold of the valid, on-time events. */
  truth: RollupDelta[];
  /** The same events' leaf cube. */
  leafTruth: LeafDelta[];
  perPartition: { records: number; received: number; quarantined: number }[];
  quarantined: number;
}

/** A small deterministic PRNG (mulberry32), for kill points and workload shapes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BAD_RECORDS = [
  '{"ts": 1, "type": ', // malformed_json
  '{"type": "page_view"}', // schema: ts missing
  '{"ts": "yesterday", "type": "page_view"}', // bad_timestamp
  JSON.stringify({ ts: Date.now() + 3_600_000, type: 'page_view' }), // future
];

/**
 * Simulated events of the last few minutes spread round-robin over the partitions, with bad
 * records, empty records (tombstones: offsets without events) and late events mixed in. A late
 * event is two hours old and follows newer events in its partition, so it is late however the
 * worker was restarted: the watermark is restored from PostgreSQL.
 */
function buildWorkload(topic: string, seed: number, events: number): Workload {
  const end = Date.now() - 5_000;
  const ratePerSec = 200;
  const sim = new Simulator({ seed, ratePerSec, injections: [] });
  const generated: PulseEvent[] = [];
  // The daily shape varies the rate: generate minute by minute until there are enough.
  for (let from = end - 60_000; generated.length < events; from -= 60_000) {
    generated.unshift(...sim.generate(from, from + 60_000));
  }
  const valid = generated.slice(generated.length - events);
  const messages: Message[] = [];
  const perPartition = Array.from({ length: PARTITIONS }, () => ({
    records: 0,
    received: 0,
    quarantined: 0,
  }));
  const push = (value: string | null, bad: boolean) => {
    const partition = messages.length % PARTITIONS;
    messages.push({ partition, value });
    const p = perPartition[partition]!;
    p.records++;
    if (value !== null) p.received++;
    if (bad) p.quarantined++;
  };
  valid.forEach((event, i) => {
    push(JSON.stringify(event), false);
    if (i > 100 && i % 997 === 0) push(BAD_RECORDS[(i / 997) % BAD_RECORDS.length]!, true);
    if (i > 100 && i % 1499 === 0)
      push(JSON.stringify({ ...event, ts: event.ts - 7_200_000 }), true);
    if (i % 2003 === 0) push(null, false);
  });
  return {
    topic,
    messages,
    truth: naiveFold(valid, WINDOW_MS),
    leafTruth: naiveLeafFold(valid, WINDOW_MS),
    perPartition,
    quarantined: perPartition.reduce((n, p) => n + p.quarantined, 0),
  };
}

async function produce(workload: Workload, from: number, to: number, chunk = 2000) {
  for (let i = from; i < to; i += chunk) {
    await producer.send({
      topic: workload.topic,
      acks: -1,
      messages: workload.messages.slice(i, Math.min(to, i + chunk)),
    });
  }
}

/** [from, to) index ranges cutting `length` into `parts` nearly equal segments. */
function split(length: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i) => [
    Math.floor((i * length) / parts),
    Math.floor(((i + 1) * length) / parts),
  ]);
}

/** Produces messages [from, to) in chunks spread over about `seconds`. */
async function produceSlowly(workload: Workload, from: number, to: number, seconds: number) {
  const chunks = Math.max(1, Math.round(seconds * 4));
  const size = Math.ceil((to - from) / chunks);
  for (let i = from; i < to; i += size) {
    await produce(workload, i, Math.min(to, i + size));
    await sleep(250);
  }
}

// ── workers ─────────────────────────────────────────────────────────────────────────────────

interface Worker {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: () => string;
}

function startWorker(
  workload: Workload,
  group: string,
  databaseUrl: string,
  env: Record<string, string> = {},
): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/stream.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.PULSE_TEST_WORKER_LOG ?? 'info',
      DATABASE_URL: databaseUrl,
      KAFKA_BROKERS: cluster.bootstrap,
      KAFKA_TOPIC: workload.topic,
      KAFKA_GROUP_ID: group,
      KAFKA_SESSION_TIMEOUT: `${SESSION_TIMEOUT_MS}ms`,
      PULSE_WINDOW: '1m',
      PULSE_FLUSH_INTERVAL: '200ms',
      PULSE_DETECTOR: 'off',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-200_000);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, log: () => log };
}

async function kill(worker: Worker, signal: NodeJS.Signals): Promise<number | null> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  return worker.exited;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Commits offsets for the group as another member would: joins it (which waits until a killed
 * member's session has expired), commits, leaves.
 */
async function commitOffsets(group: string, topic: string, offset: (partition: number) => number) {
  // Same session timeout as the workers: librdkafka's mock coordinator can stall a group whose
  // members mix session timeouts. Short fetch waits make leaving quick.
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: SESSION_TIMEOUT_MS / 3,
    maxWaitTimeInMs: 100,
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async () => {},
    });
    consumer.pause([{ topic }]);
    await consumer.commitOffsets(
      Array.from({ length: PARTITIONS }, (_, partition) => ({
        topic,
        partition,
        offset: String(offset(partition)),
      })),
    );
  } finally {
    await consumer.disconnect();
  }
}

/** Worker pid of each partition's claim, from the `owner` column (host:pid:nonce). */
async function owners(database: TestDatabase, workload: Workload): Promise<number[]> {
  const rows = await database.sql<{ owner: string | null }[]>`
    select owner from source_partitions where source = ${kafkaSourceName(workload.topic)}
    order by partition`;
  return rows.map((r) => Number(r.owner?.split(':')[1]));
}

async function ownsSome(database: TestDatabase, workload: Workload, worker: Worker) {
  const rows = await database.sql<{ n: string }[]>`
    select count(*) as n from source_partitions
    where source = ${kafkaSourceName(workload.topic)} and owner like ${`%:${worker.child.pid}:%`}`;
  return Number(rows[0]!.n) > 0;
}

async function storedOffsets(database: TestDatabase, workload: Workload): Promise<number> {
  const [row] = await database.sql<{ n: string }[]>`
    select coalesce(sum(next_offset), 0) as n from source_partitions
    where source = ${kafkaSourceName(workload.topic)}`;
  return Number(row!.n);
}

async function waitForProgress(
  database: TestDatabase,
  workload: Workload,
  above: number,
  timeoutMs = 30_000,
) {
  let now = above;
  await waitFor(
    `stored offsets above ${above}`,
    async () => (now = await storedOffsets(database, workload)) > above,
    timeoutMs,
  );
  return now;
}

async function waitForAll(database: TestDatabase, workload: Workload, timeoutMs = 40_000) {
  await waitFor(
    `all ${workload.messages.length} records stored`,
    async () => (await storedOffsets(database, workload)) === workload.messages.length,
    timeoutMs,
  );
}

/**
 * A TCP proxy in front of PostgreSQL that the test can cut: `down()` destroys the open
 * connections and refuses new ones until `up()`.
 */
async function startProxy(host: string, targetPort: number) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, host);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('close', () => sockets.delete(socket));
          socket.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get port() {
      return port;
    },
    down() {
      server?.close();
      server = null;
      for (const socket of sockets) socket.destroy();
    },
    up: listen,
    async stop() {
      this.down();
    },
  };
}

// ── verdict ─────────────────────────────────────────────────────────────────────────────────

const cellKey = (d: RollupDelta) =>
  `${d.windowStart}|${d.eventType}|${d.dim}|${d.value}|${d.measure}`;
const leafKey = (d: LeafDelta) => `${d.windowStart}|${d.eventType}|${d.leaf}|${d.measure}`;
const close = (a: number, b: number) =>
  Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/** Asserts that the test's database holds exactly the workload's effect, once. */
async function expectExactlyOnce(workload: Workload, database: TestDatabase) {
  const actual = new Map((await allRollups(database.db)).map((d) => [cellKey(d), d]));
  const problems: string[] = [];
  for (const want of workload.truth) {
    const got = actual.get(cellKey(want));
    actual.delete(cellKey(want));
    if (!got) problems.push(`missing ${cellKey(want)}`);
    else if (
      got.count !== want.count ||
      !close(got.sum, want.sum) ||
      !close(got.sumsq, want.sumsq) ||
      got.min !== want.min ||
      got.max !== want.max
    ) {
      problems.push(`${cellKey(want)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
    }
  }
  for (const key of actual.keys()) problems.push(`unexpected ${key}`);
  expect(problems.slice(0, 10), `seed ${SEED}: ${problems.length} rollup cells differ`).toEqual([]);

  // The leaf cube: written in the same transactions, so exactly once as well.
  const leaves = new Map((await allLeaves(database.db)).map((d) => [leafKey(d), d]));
  const leafProblems: string[] = [];
  for (const want of workload.leafTruth) {
    const got = leaves.get(leafKey(want));
    leaves.delete(leafKey(want));
    if (!got) leafProblems.push(`missing ${leafKey(want)}`);
    else if (got.count !== want.count || !close(got.sum, want.sum) || !close(got.sumsq, want.sumsq))
      leafProblems.push(
        `${leafKey(want)}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`,
      );
  }
  for (const key of leaves.keys()) leafProblems.push(`unexpected ${key}`);
  expect(
    leafProblems.slice(0, 10),
    `seed ${SEED}: ${leafProblems.length} leaf cells differ`,
  ).toEqual([]);

  const partitions = await database.sql<
    {
      partition: number;
      next_offset: string;
      received: string;
      folded: string;
      quarantined: string;
    }[]
  >`select partition, next_offset, received, folded, quarantined from source_partitions
    where source = ${kafkaSourceName(workload.topic)} order by partition`;
  expect(
    partitions.map((p) => ({
      partition: p.partition,
      records: Number(p.next_offset),
      received: Number(p.received),
      quarantined: Number(p.quarantined),
      balanced: Number(p.received) === Number(p.folded) + Number(p.quarantined),
    })),
    `seed ${SEED}`,
  ).toEqual(workload.perPartition.map((p, partition) => ({ partition, ...p, balanced: true })));

  const [q] = await database.sql<{ n: string }[]>`select count(*) as n from quarantine`;
  expect(Number(q!.n), `seed ${SEED}: quarantined records`).toBe(workload.quarantined);
}

/** Each test gets its own database, topic and consumer group. */
async function fresh(name: string, events: number) {
  const database = await createTestDatabase();
  const topic = `pulse-${name}`;
  await cluster.createTopic(topic, PARTITIONS);
  return { database, workload: buildWorkload(topic, SEED, events), group: `workers-${name}` };
}

/** The workers' logs (tails), printed when a test fails or PULSE_TEST_DUMP_LOGS is set. */
function failureContext(workers: Worker[]): string {
  return workers
    .map(
      (w, i) =>
        `── worker ${i} ──\n${w.log().slice(-(Number(process.env.PULSE_TEST_LOG_TAIL) || 6000))}`,
    )
    .join('\n');
}

// ── tests ───────────────────────────────────────────────────────────────────────────────────

describe('Kafka source: exactly-once effect on the rollups', () => {
  it('survives SIGKILL at random points: restarted workers end exactly at the truth', async () => {
    const { database, workload, group } = await fresh('kill', 36_000);
    const rng = random(SEED);
    const segments = split(workload.messages.length, 4);
    const workers: Worker[] = [];
    try {
      let worker = startWorker(workload, group, database.url);
      workers.push(worker);
      for (let round = 0; round < 3; round++) {
        const [from, to] = segments[round]!;
        const producing = produceSlowly(workload, from, to, 2.5);
        // Kill somewhere in this segment: after a random share of it is stored, plus a bit.
        await waitForProgress(database, workload, from + Math.floor(rng() * 0.8 * (to - from)));
        await sleep(rng() * 300);
        await kill(worker, 'SIGKILL');
        await producing;
        // Kafka's committed offsets are a hint only: rewind them to the start of the log, or
        // move them past everything produced so far, and the restarted worker must still take
        // its position from PostgreSQL. (Round 1 restarts at once, while the dead member
        // still holds the group.)
        if (round === 0) await commitOffsets(group, workload.topic, () => 0);
        if (round === 2) {
          const ends = await admin.fetchTopicOffsets(workload.topic);
          await commitOffsets(group, workload.topic, (p) =>
            Number(ends.find((e) => e.partition === p)!.high),
          );
        }
        worker = startWorker(workload, group, database.url);
        workers.push(worker);
      }
      await produceSlowly(workload, segments[3]![0], segments[3]![1], 1);
      await waitForAll(database, workload);
      expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
      await expectExactlyOnce(workload, database);
    } catch (error) {
      console.error(`seed ${SEED}\n${failureContext(workers)}`);
      throw error;
    } finally {
      if (process.env.PULSE_TEST_DUMP_LOGS) console.error(failureContext(workers));
      for (const w of workers) await kill(w, 'SIGKILL');
      await database.drop();
    }
  }, 90_000);

  it('rebalances mid-stream, fencing a stalled worker: exactly the truth', async () => {
    const { database, workload, group } = await fresh('rebalance', 30_000);
    const rng = random(SEED + 1);
    const [first, second, third, fourth] = split(workload.messages.length, 4) as [number, number][];
    const workers: Worker[] = [];
    try {
      // A flushes rarely, so it holds unflushed data most of the time.
      const a = startWorker(workload, group, database.url, { PULSE_FLUSH_INTERVAL: '2s' });
      workers.push(a);
      await produceSlowly(workload, ...first!, 2);
      await waitForProgress(database, workload, first![0] + (first![1] - first![0]) / 2);

      // B joins: the group rebalances while A is consuming; A flushes what it holds and B
      // takes some partitions over from the offsets A stored.
      const b = startWorker(workload, group, database.url);
      workers.push(b);
      const producing = produceSlowly(workload, ...second!, 4);
      await waitFor('B to own a partition', () => ownsSome(database, workload, b), 30_000);
      const pid = a.child.pid!;
      await waitFor(
        'A to own one too',
        async () => (await owners(database, workload)).includes(pid),
        10_000,
      );
      await waitForProgress(database, workload, await storedOffsets(database, workload));
      await sleep(rng() * 500);

      // A stalls (SIGSTOP), most likely holding unflushed data: its session expires and B
      // claims every partition as records keep arriving. When A wakes up, its flush carries
      // stale data and must be fenced.
      a.child.kill('SIGSTOP');
      await producing;
      const arriving = produceSlowly(workload, ...third!, 3);
      await waitFor(
        'B to claim every partition',
        async () => (await owners(database, workload)).every((p) => p === b.child.pid),
        30_000,
      );
      a.child.kill('SIGCONT');
      await arriving;
      await sleep(1000);
      // Then A dies; B carries on alone.
      await kill(a, 'SIGKILL');
      await produceSlowly(workload, ...fourth!, 1);
      await waitForAll(database, workload);
      expect(await owners(database, workload), 'B owns every partition').toEqual(
        Array(PARTITIONS).fill(b.child.pid),
      );
      expect(await kill(b, 'SIGTERM'), 'graceful exit').toBe(0);
      await expectExactlyOnce(workload, database);
    } catch (error) {
      console.error(`seed ${SEED}\n${failureContext(workers)}`);
      throw error;
    } finally {
      if (process.env.PULSE_TEST_DUMP_LOGS) console.error(failureContext(workers));
      for (const w of workers) {
        w.child.kill('SIGCONT');
        await kill(w, 'SIGKILL');
      }
      await database.drop();
    }
  }, 90_000);

  it('rides out brokers going down and coming back, without exiting: exactly the truth', async () => {
    const { database, workload, group } = await fresh('brokers', 20_000);
    const [first, second] = split(workload.messages.length, 2) as [
      [number, number],
      [number, number],
    ];
    const workers: Worker[] = [];
    try {
      const worker = startWorker(workload, group, database.url);
      workers.push(worker);
      await produceSlowly(workload, ...first, 2);
      await waitForProgress(database, workload, first[0] + (first[1] - first[0]) / 2);
      // The whole cluster goes away, then comes back one broker at a time.
      for (const id of [1, 2, 3]) await cluster.setBrokerDown(id);
      await sleep(4000);
      await cluster.setBrokerUp(2);
      await cluster.setBrokerUp(3);
      await sleep(3000);
      await cluster.setBrokerUp(1);
      expect(worker.child.exitCode, 'the worker is still running').toBeNull();
      await produceSlowly(workload, ...second, 2);
      await waitForAll(database, workload, 45_000);
      expect(worker.child.exitCode, 'the worker is still running').toBeNull();
      expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
      await expectExactlyOnce(workload, database);
    } catch (error) {
      console.error(`seed ${SEED}\n${failureContext(workers)}`);
      throw error;
    } finally {
      if (process.env.PULSE_TEST_DUMP_LOGS) console.error(failureContext(workers));
      for (const id of [1, 2, 3]) await cluster.setBrokerUp(id);
      for (const w of workers) await kill(w, 'SIGKILL');
      await database.drop();
    }
  }, 90_000);

  it('pauses while PostgreSQL is unreachable and resumes, without exiting: exactly the truth', async () => {
    const { database, workload, group } = await fresh('postgres', 20_000);
    const [first, second, third] = split(workload.messages.length, 3) as [
      [number, number],
      [number, number],
      [number, number],
    ];
    const target = new URL(database.url);
    const proxy = await startProxy(target.hostname, Number(target.port));
    const viaProxy = new URL(database.url);
    viaProxy.port = String(proxy.port);
    const workers: Worker[] = [];
    try {
      const worker = startWorker(workload, group, viaProxy.toString());
      workers.push(worker);
      await produceSlowly(workload, ...first, 2);
      await waitForProgress(database, workload, first[0] + (first[1] - first[0]) / 2);
      // PostgreSQL goes away mid-stream (open connections cut, new ones refused) while events
      // keep arriving in Kafka.
      proxy.down();
      const stalled = await storedOffsets(database, workload);
      await produceSlowly(workload, ...second, 2);
      await sleep(2500);
      expect(await storedOffsets(database, workload)).toBe(stalled);
      expect(worker.child.exitCode, 'the worker is still running').toBeNull();
      await proxy.up();
      await produceSlowly(workload, ...third, 1);
      await waitForAll(database, workload);
      expect(worker.child.exitCode, 'the worker is still running').toBeNull();
      expect(worker.log()).toContain('consumption paused');
      expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
      await expectExactlyOnce(workload, database);
    } catch (error) {
      console.error(`seed ${SEED}\n${failureContext(workers)}`);
      throw error;
    } finally {
      if (process.env.PULSE_TEST_DUMP_LOGS) console.error(failureContext(workers));
      for (const w of workers) await kill(w, 'SIGKILL');
      await proxy.stop();
      await database.drop();
    }
  }, 90_000);
});

describe('Kafka source: event time', () => {
  it('revises a scored window with events late within the allowed lateness; later ones are quarantined', async () => {
    const database = await createTestDatabase();
    await ensureDefaultMetrics(database.db);
    const topic = 'pulse-lateness';
    await cluster.createTopic(topic, 1);
    const base = Math.floor((Date.now() - 12 * WINDOW_MS) / WINDOW_MS) * WINDOW_MS;
    const W = base + 3 * WINDOW_MS;
    // A modest rate: the mock cluster keeps only about 5 MB per partition.
    const sim = new Simulator({ seed: SEED, ratePerSec: 20, injections: [] });
    const events = sim.generate(base, base + 8 * WINDOW_MS);
    const isHeld = (e: PulseEvent) => e.ts >= W && e.ts < W + WINDOW_MS && e.type === 'purchase';
    const held = events.filter(isHeld);
    expect(held.length).toBeGreaterThan(0);
    // Ten minutes before the first window: past the allowed lateness whatever the watermark.
    const tooLate = events
      .slice(0, 3)
      .map((e, i) => ({ ...e, id: `too-late-${i}`, ts: e.ts - 10 * WINDOW_MS }));
    const send = (list: PulseEvent[]) =>
      producer.send({
        topic,
        acks: -1,
        messages: list.map((e) => ({ partition: 0, value: JSON.stringify(e) })),
      });
    const purchasesAt = async (windowStart: number) => {
      const [row] = await database.sql<{ value: number | null }[]>`
        select p.value from metric_points p join metrics m on m.id = p.metric_id
        where m.key = 'purchases' and p.window_start = ${new Date(windowStart).toISOString()}::timestamptz`;
      return row?.value ?? null;
    };
    const worker = startWorker(
      { topic, messages: [], truth: [], leafTruth: [], perPartition: [], quarantined: 0 },
      'workers-lateness',
      database.url,
      { PULSE_DETECTOR: 'on', PULSE_ALLOWED_LATENESS: '10m', PULSE_IDLE_TIMEOUT: '1h' },
    );
    try {
      await send(events.filter((e) => !isHeld(e)));
      let before: number | null = null;
      await waitFor(
        `window ${new Date(W).toISOString()} scored`,
        async () => (before = await purchasesAt(W)) !== null,
        30_000,
      );
      // Five windows behind the watermark: within the 10-minute lateness, so the window is
      // revised and re-scored. Events older than that are quarantined as late.
      await send([...held, ...tooLate]);
      await waitFor(
        'the revised window re-scored with the late purchases',
        async () => (await purchasesAt(W)) === before! + held.length,
        30_000,
      );
      const [late] = await database.sql<{ n: string }[]>`
        select count(*) as n from quarantine where reason = 'late'`;
      expect(Number(late!.n)).toBe(tooLate.length);
      const [p] = await database.sql<{ received: string; folded: string; quarantined: string }[]>`
        select received, folded, quarantined from source_partitions
        where source = ${kafkaSourceName(topic)}`;
      expect(Number(p!.received)).toBe(events.length + tooLate.length);
      expect(Number(p!.folded) + Number(p!.quarantined)).toBe(Number(p!.received));
      expect(await kill(worker, 'SIGTERM'), 'graceful exit').toBe(0);
    } catch (error) {
      console.error(`seed ${SEED}\n${failureContext([worker])}`);
      throw error;
    } finally {
      await kill(worker, 'SIGKILL');
      await database.drop();
    }
  }, 90_000);
});
