/**
 * No input can stall the Kafka source (issue 12): a few thousand records of valid events mixed
 * with hostile ones (db/testing/poison.ts: text PostgreSQL cannot hold, invalid UTF-8, numbers
 * at every edge, oversized dimensions, junk, tombstones) are produced as raw bytes to
 * librdkafka's mock cluster and consumed by a Kafka source (in-process) into a real PostgreSQL.
 *
 * 1. No stall: one clean event produced afterwards to each partition is stored within a bound.
 * 2. Accounting, per partition: next_offset = records in the log; received = records whose
 *    value decodes to non-blank text (a null or blank value takes an offset but is no event,
 *    exactly as the source reads `message.value`); folded = the valid events; quarantined =
 *    received − folded, and that many quarantine rows.
 * 3. The rollups and the leaf cube equal an independent fold of the valid events.
 *
 * The traffic comes from a fixed seed (PULSE_TEST_SEED overrides it), printed on failure.
 */
import fc from 'fast-check';
import { Kafka, logLevel, Partitioners, type Admin, type Producer } from 'kafkajs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaSourceName } from '@/lib/ingest/kafka';
import { createTestDatabase, type TestDatabase } from '@/db/testing/test-db';
import { decodeUtf8, expectedOf, poisonBytes } from '@/db/testing/poison';
import { storedFoldProblems } from '@/db/testing/rollups';
import { startMockCluster, type MockCluster } from '@/workers/testing/kafka-mock-cluster';
import { KafkaSource } from './kafka-source';

const TOPIC = 'poison';
const SOURCE = kafkaSourceName(TOPIC);
const PARTITIONS = 3;
const RECORDS = 3000;
const WINDOW_MS = 60_000;
/** How long the clean events may take to be stored once produced (the group join included). */
const NO_STALL_MS = 30_000;
const SEED = Number(process.env.PULSE_TEST_SEED ?? 120_612);

let cluster: MockCluster;
let producer: Producer;
let admin: Admin;
let t: TestDatabase;

beforeAll(async () => {
  [cluster, t] = await Promise.all([
    startMockCluster({ brokers: 1, topic: TOPIC, partitions: PARTITIONS }),
    createTestDatabase(),
  ]);
  const kafka = new Kafka({
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
  await t?.drop();
});

interface KafkaRecord {
  partition: number;
  /** Null: a tombstone. */
  value: Uint8Array | null;
}

/** A logger keeping the last warnings and errors, printed when the test fails. */
function tailLogger() {
  const lines: string[] = [];
  const log = pino(
    { level: 'warn', base: undefined },
    {
      write: (line: string) => {
        lines.push(line.trimEnd().slice(0, 600));
        if (lines.length > 30) lines.shift();
      },
    },
  );
  return { log, tail: () => lines.join('\n') };
}

interface PartitionRow {
  partition: number;
  next_offset: string;
  received: string;
  folded: string;
  quarantined: string;
}

const rows = () =>
  t.sql<PartitionRow[]>`
    select partition, next_offset, received, folded, quarantined from source_partitions
    where source = ${SOURCE} order by partition`;

describe('Kafka source: no input can stall it', () => {
  it('folds the valid events of hostile traffic exactly, quarantines the rest, and goes on', async () => {
    const started = Date.now();
    const now = Date.now();
    const records: KafkaRecord[] = fc.sample(
      fc.record({
        partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
        value: fc.option(poisonBytes(now), { freq: 25, nil: null }),
      }),
      { seed: SEED, numRuns: RECORDS },
    );
    const clean = Array.from({ length: PARTITIONS }, (_, partition) =>
      JSON.stringify({
        ts: now,
        type: 'checkout',
        dims: { region: 'eu-west', device: `clean-${partition}` },
        measures: { amount: partition + 1 },
      }),
    );

    // What the source must make of each partition's log, decoding values as it does
    // (`message.value ? message.value.toString('utf8') : ''`).
    const lines = (partition: number) => [
      ...records
        .filter((r) => r.partition === partition)
        .map((r) => (r.value === null ? '' : decodeUtf8(r.value))),
      clean[partition]!,
    ];
    const logs = Array.from({ length: PARTITIONS }, (_, p) => ({
      records: records.filter((r) => r.partition === p).length + 1,
      expected: expectedOf(lines(p), now, SOURCE),
    }));

    for (let i = 0; i < records.length; i += 500) {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: records.slice(i, i + 500).map((r) => ({
          partition: r.partition,
          value: r.value === null ? null : Buffer.from(r.value),
        })),
      });
    }

    const { log, tail } = tailLogger();
    const source = new KafkaSource({
      kafka: {
        brokers: cluster.brokers,
        topic: TOPIC,
        groupId: 'poison-test',
        clientId: 'pulse-test',
        fromBeginning: true,
        sessionTimeoutMs: 6000,
      },
      sql: t.sql,
      log,
      windowMs: WINDOW_MS,
      // Ample disorder and lateness: no event is late, so validity alone decides.
      outOfOrderMs: 3_600_000,
      allowedLatenessMs: 3_600_000,
      flushIntervalMs: 200,
      // No dimension overflows into '(other)': the independent fold has no limit.
      maxValuesPerDim: 1_000_000,
    });
    let stopped = false;
    const context = async () =>
      `seed ${SEED}\nstats ${JSON.stringify(source.stats)}\nrows ${JSON.stringify(await rows())}\n${tail()}`;
    source.start();
    try {
      await producer.send({
        topic: TOPIC,
        acks: -1,
        messages: clean.map((value, partition) => ({ partition, value: Buffer.from(value) })),
      });
      const ends = await admin.fetchTopicOffsets(TOPIC);
      expect(
        ends.sort((a, b) => a.partition - b.partition).map((e) => Number(e.high)),
        `seed ${SEED}: the logs hold what was sent`,
      ).toEqual(logs.map((l) => l.records));

      // 1. No stall: every partition's stored position reaches the end of its log.
      const deadline = Date.now() + NO_STALL_MS;
      for (;;) {
        const stored = await rows();
        if (
          stored.length === PARTITIONS &&
          stored.every((r) => Number(r.next_offset) === logs[r.partition]!.records)
        )
          break;
        if (Date.now() > deadline)
          throw new Error(
            `stalled: the clean events were not stored within ${NO_STALL_MS} ms\n${await context()}`,
          );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await source.stop();
      stopped = true;

      // 2. Accounting, per partition.
      const quarantine = await t.sql<{ partition: number; n: string; reasons: string }[]>`
        select partition, count(*) as n, string_agg(distinct reason, ',' order by reason) as reasons
        from quarantine where source = ${SOURCE} group by partition order by partition`;
      const actual = (await rows()).map((r) => ({
        partition: r.partition,
        records: Number(r.next_offset),
        received: Number(r.received),
        folded: Number(r.folded),
        quarantined: Number(r.quarantined),
        quarantineRows: Number(quarantine.find((q) => q.partition === r.partition)?.n ?? 0),
      }));
      const want = logs.map(({ records: n, expected }, p) => ({
        partition: p,
        records: n,
        received: expected.received,
        folded: expected.valid.length,
        quarantined: expected.quarantined,
        quarantineRows: expected.quarantined,
      }));
      expect(
        actual,
        `seed ${SEED}: accounting (quarantine reasons ${JSON.stringify(quarantine)})`,
      ).toEqual(want);
      // The traffic is hostile enough to mean something.
      for (const { expected } of logs) {
        expect(expected.valid.length).toBeGreaterThan(100);
        expect(expected.quarantined).toBeGreaterThan(100);
      }

      // 3. The rollups and the leaf cube equal an independent fold of the valid events.
      const valid = logs.flatMap(({ expected }) => expected.valid);
      const problems = await storedFoldProblems(t.db, valid, WINDOW_MS);
      expect(problems.slice(0, 10), `seed ${SEED}: ${problems.length} cells differ`).toEqual([]);
      console.info(
        `kafka poison (seed ${SEED}): ${records.length} records, ` +
          `${valid.length} valid, ${Date.now() - started} ms`,
      );
    } catch (error) {
      console.error(await context());
      throw error;
    } finally {
      if (!stopped) await source.stop();
    }
  }, 60_000);
});
