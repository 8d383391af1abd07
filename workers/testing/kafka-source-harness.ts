/**
 * The harness of the Kafka source's end-to-end tests (workers/services/kafka-source.int.test.ts
 * and kafka-outage.int.test.ts): librdkafka's mock cluster, a workload of simulator events with
 * bad records among them and its ground truth, worker processes (`node --import tsx
 * workers/stream.ts`) to start and kill, a TCP proxy to cut, and the exactly-once check of what
 * they stored. Two files so that the integration suite's two workers share the ~100 s they take.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import { kafkaSourceName } from '@/lib/ingest/kafka';
import { naiveFold, naiveLeafFold } from '@/lib/stream/rollup-merge';
import { Simulator } from '@/lib/simulator/generator';
import type { LeafDelta, PulseEvent, RollupDelta } from '@/lib/types';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { storedProblems } from '@/db/testing/rollups';
import { startMockCluster, type MockCluster } from '@/workers/testing/kafka-mock-cluster';
import { mulberry32 } from '@/lib/simulator/random';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PARTITIONS = 4;
export const WINDOW_MS = 60_000;
/** Session timeout of every group member: how long a killed worker holds its partitions. */
const SESSION_TIMEOUT_MS = 3000;
export const SEED = Number(process.env.PULSE_TEST_SEED ?? Date.now() % 1_000_000);

export let cluster: MockCluster;
export let producer: Producer;
export let admin: Admin;
let kafka: Kafka;

/**
 * Starts librdkafka's mock cluster and a producer and admin client for the calling test file
 * (beforeAll), and stops them after it (afterAll).
 */
export function useKafkaCluster(): void {
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
}

// ── workload and ground truth ───────────────────────────────────────────────────────────────

interface Message {
  partition: number;
  value: string | null;
}

export interface Workload {
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
export const random = mulberry32;

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
export function split(length: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, i) => [
    Math.floor((i * length) / parts),
    Math.floor(((i + 1) * length) / parts),
  ]);
}

/** Produces messages [from, to) in chunks spread over about `seconds`. */
export async function produceSlowly(workload: Workload, from: number, to: number, seconds: number) {
  const chunks = Math.max(1, Math.round(seconds * 4));
  const size = Math.ceil((to - from) / chunks);
  for (let i = from; i < to; i += size) {
    await produce(workload, i, Math.min(to, i + size));
    await sleep(250);
  }
}

// ── workers ─────────────────────────────────────────────────────────────────────────────────

export interface Worker {
  child: ChildProcess;
  exited: Promise<number | null>;
  log: () => string;
}

export function startWorker(
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

export async function kill(worker: Worker, signal: NodeJS.Signals): Promise<number | null> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
  return worker.exited;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number) {
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
export async function commitOffsets(
  group: string,
  topic: string,
  offset: (partition: number) => number,
) {
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
export async function owners(database: TestDatabase, workload: Workload): Promise<number[]> {
  const rows = await database.sql<{ owner: string | null }[]>`
    select owner from source_partitions where source = ${kafkaSourceName(workload.topic)}
    order by partition`;
  return rows.map((r) => Number(r.owner?.split(':')[1]));
}

export async function ownsSome(database: TestDatabase, workload: Workload, worker: Worker) {
  const rows = await database.sql<{ n: string }[]>`
    select count(*) as n from source_partitions
    where source = ${kafkaSourceName(workload.topic)} and owner like ${`%:${worker.child.pid}:%`}`;
  return Number(rows[0]!.n) > 0;
}

export async function storedOffsets(database: TestDatabase, workload: Workload): Promise<number> {
  const [row] = await database.sql<{ n: string }[]>`
    select coalesce(sum(next_offset), 0) as n from source_partitions
    where source = ${kafkaSourceName(workload.topic)}`;
  return Number(row!.n);
}

export async function waitForProgress(
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

export async function waitForAll(database: TestDatabase, workload: Workload, timeoutMs = 40_000) {
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
export async function startProxy(host: string, targetPort: number) {
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

/** Asserts that the test's database holds exactly the workload's effect, once. */
export async function expectExactlyOnce(workload: Workload, database: TestDatabase) {
  // The leaf cube is written in the same transactions as the rollups: exactly once as well.
  const problems = await storedProblems(database.db, workload.truth, workload.leafTruth);
  expect(
    problems.rollups.slice(0, 10),
    `seed ${SEED}: ${problems.rollups.length} rollup cells differ`,
  ).toEqual([]);
  expect(
    problems.leaves.slice(0, 10),
    `seed ${SEED}: ${problems.leaves.length} leaf cells differ`,
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
export async function fresh(name: string, events: number) {
  const database = await createTestDatabase();
  const topic = `pulse-${name}`;
  await cluster.createTopic(topic, PARTITIONS);
  return { database, workload: buildWorkload(topic, SEED, events), group: `workers-${name}` };
}

/**
 * Runs a test's scenario: `body` starts its workers and adds them to the list it is given. On
 * failure the seed and the workers' logs are printed; afterwards every worker is killed and
 * `cleanup` runs (the test's database, proxy, brokers).
 */
export async function runScenario(
  body: (workers: Worker[]) => Promise<void>,
  cleanup: () => Promise<void>,
): Promise<void> {
  const workers: Worker[] = [];
  try {
    await body(workers);
  } catch (error) {
    console.error(`seed ${SEED}\n${failureContext(workers)}`);
    throw error;
  } finally {
    if (process.env.PULSE_TEST_DUMP_LOGS) console.error(failureContext(workers));
    for (const w of workers) {
      if (w.child.exitCode === null) w.child.kill('SIGCONT'); // one the test stopped (SIGSTOP)
      await kill(w, 'SIGKILL');
    }
    await cleanup();
  }
}

/** A proxy in front of the test's database (see {@link startProxy}), and the URL through it. */
export async function proxiedDatabase(database: TestDatabase) {
  const target = new URL(database.url);
  const proxy = await startProxy(target.hostname, Number(target.port));
  const url = new URL(database.url);
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

/** The workers' logs (tails), printed when a test fails or PULSE_TEST_DUMP_LOGS is set. */
export function failureContext(workers: Worker[]): string {
  return workers
    .map(
      (w, i) =>
        `── worker ${i} ──\n${w.log().slice(-(Number(process.env.PULSE_TEST_LOG_TAIL) || 6000))}`,
    )
    .join('\n');
}
